"""Involvement and payment: the register's button and modal, `/cobot log time`, `payment`,
`expense`, the coordinators' `pay setup`, `budget`, `claims`, `pay report` and `finance`, and
the claim and expense buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from cobot.domain.involvement import TimeLogInput
from cobot.domain.involvement import UploadedFile
from cobot.domain.sessions import SessionRole
from cobot.services.involvement import Involvement
from cobot.services.involvement import PaySettingsInput
from cobot.services.reports import finance_csv
from cobot.slack import kit
from cobot.slack.blocks import involvement as blocks
from cobot.slack.blocks.common import escape
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.kit import Answer
from cobot.slack.kit import Form
from cobot.slack.kit import Press
from cobot.slack.kit import Submission

GROUP = "Involvement and payment"


@dataclass(frozen=True)
class Deps:
    """The service the involvement listeners call."""

    involvement: Involvement


listen = kit.Listeners(group=GROUP)


@dataclass(frozen=True)
class OneQuestion:
    """A one-question modal (an expense question or answer, a claim query): opened from a
    button with what it is about, read back from the same block."""

    callback_id: str
    title: str
    block: str
    label: str

    def open(self, press: Press, intro: str, subject_id: int) -> None:
        """Open it under `intro`, for the expense or claim `subject_id`."""
        press.open(
            blocks.text_modal(
                self.callback_id, self.title, intro, self.block, self.label, subject_id
            )
        )

    def read(self, sent: Submission) -> str:
        """What was typed."""
        return sent.form().text(self.block)


QUESTION = OneQuestion(
    blocks.QUESTION_MODAL, "Ask about an expense", blocks.QUESTION, "Your question"
)
ANSWER = OneQuestion(blocks.ANSWER_MODAL, "Answer", blocks.ANSWER, "Your answer")
QUERY = OneQuestion(blocks.CLAIM_QUERY_MODAL, "Query your claim", blocks.QUERY, "What looks wrong?")


def register(app: App, router: CommandRouter, *, involvement: Involvement) -> None:
    """Wire the involvement commands, buttons and modals."""
    deps = Deps(involvement=involvement)
    listen.wire(app, router, deps, _COMMANDS)


# ---------------------------------------------------------------- payload reading (pure)


def read_register(values: dict[str, Any]) -> tuple[list[str], tuple[str, ...]]:
    """(who was ticked as came, who else came) from the register modal."""
    form = Form(values)
    present = [
        user
        for block in sorted(values)
        if block.startswith(blocks.PRESENT)
        for user in form.checked(block)
    ]
    return present, form.users(blocks.EXTRA)


def read_time_log(values: dict[str, Any]) -> TimeLogInput:
    """The time-log modal's state."""
    form = Form(values)
    return TimeLogInput(
        activity=form.selected(blocks.ACTIVITY),
        day=form.date(blocks.DAY),
        hours=form.text(blocks.HOURS),
        minutes=form.text(blocks.MINUTES),
        note=form.text(blocks.NOTE),
    )


def read_receipts(values: dict[str, Any]) -> list[UploadedFile]:
    """The files uploaded in the expense modal's receipt input (Slack sends each file's
    object under `files`; anything else in the list is ignored). A field Slack did not send
    as text reads as empty, which the rules refuse."""
    found = Form(values).element(blocks.RECEIPT).get("files") or []
    files = [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []

    def text(file: dict[str, Any], key: str) -> str:
        value = file.get(key)
        return value if isinstance(value, str) else ""

    return [
        UploadedFile(
            id=text(f, "id"),
            name=text(f, "name"),
            mimetype=text(f, "mimetype"),
            permalink=text(f, "permalink"),
        )
        for f in files
    ]


def read_pay(values: dict[str, Any]) -> PaySettingsInput:
    """The pay settings modal's state."""
    form = Form(values)
    return PaySettingsInput(
        currency=form.selected(blocks.CURRENCY),
        default_rate=form.text(blocks.DEFAULT_RATE),
        rates={key: form.text(blocks.rate_block(key)) for key, _what in blocks.RATE_FIELDS},
        reason=form.text(blocks.REASON),
        prep={
            role.value: form.text(f"{blocks.PREP}{role.value}")
            for role in (SessionRole.FACILITATOR, SessionRole.PARTICIPANT)
        },
        benefits_contact=form.text(blocks.BENEFITS),
    )


# ---------------------------------------------------------------- slash commands


def on_log_time(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot log time`: the form."""
    tools.open(blocks.log_time_modal(deps.involvement.project_form(**request.caller)))


def on_payment(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot payment`: the form."""
    tools.open(blocks.payment_modal(deps.involvement.project_form(**request.caller)))


def on_expense(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot expense`: the form."""
    tools.open(blocks.expense_modal(deps.involvement.project_form(**request.caller)))


def on_pay_setup(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot pay setup`: the coordinators' form."""
    tools.open(blocks.pay_modal(deps.involvement.pay_form(**request.caller)))


def on_budget(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot budget <amount>`."""
    totals = deps.involvement.set_budget(**request.caller, typed=" ".join(request.args))
    return Reply(text=":white_check_mark: Budget saved.\n" + blocks.totals_text(totals))


def on_claims(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot claims [end]`: send claims now (the last closed month, or everything)."""
    at_end = [a.lower() for a in request.args] == ["end"]
    sent, start, end = deps.involvement.send_claims(**request.caller, at_end=at_end)
    return Reply(
        text=f":receipt: {sent} claim(s) for {start:%d %b %Y} to {end:%d %b %Y} went to "
        "their people to confirm."
    )


def on_report(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot pay report`: totals against the budget."""
    return Reply(text=blocks.totals_text(deps.involvement.project_totals(**request.caller)))


def on_finance(deps: Deps, request: CommandRequest, tools: Any) -> Reply:
    """`/cobot finance`: the confirmed claims as a CSV, in the coordinator's DM."""
    totals = deps.involvement.project_totals(**request.caller)
    kit.dm_files(
        tools.client,
        request.user_id,
        [("finance.csv", "Confirmed claims (finance)", finance_csv(totals))],
        comment=f"{len(totals.rows)} confirmed claim(s).",
        what="the finance CSV",
    )
    return Reply(text="The finance CSV is in your DM with cobot.")


# ---------------------------------------------------------------- buttons


# take the register: the modal
listen.opens(
    blocks.OPEN_REGISTER, "involvement.register_form", blocks.register_modal, key="session_id"
)


@listen.button(blocks.EXPENSE_APPROVE)
def approve_expense(deps: Deps, press: Press) -> None:
    """A coordinator approves an expense."""
    note = deps.involvement.approve_expense(**press.caller, expense_id=press.id())
    press.replace("Expense approved", blocks.expense_decided_blocks(note, press.user))


@listen.button(blocks.EXPENSE_ASK)
def ask_expense(deps: Deps, press: Press) -> None:
    """A coordinator asks about an expense: the question modal."""
    note = deps.involvement.expense_form(**press.caller, expense_id=press.id())
    if note.for_person:
        raise kit.Stale()
    QUESTION.open(press, blocks.expense_text(note), note.expense_id)


@listen.button(blocks.EXPENSE_ANSWER)
def answer_expense(deps: Deps, press: Press) -> None:
    """The person answers a question about their expense: the modal."""
    note = deps.involvement.expense_form(**press.caller, expense_id=press.id())
    if not note.for_person:
        raise kit.Stale()
    ANSWER.open(
        press, f"{blocks.expense_text(note)}\n>{escape(note.question or '')}", note.expense_id
    )


@listen.button(blocks.CLAIM_CONFIRM)
def confirm_claim(deps: Deps, press: Press) -> None:
    """The person confirms their claim with one click."""
    note = deps.involvement.confirm_claim(**press.caller, claim_id=press.id())
    press.replace(blocks.claim_done_text(note))


@listen.button(blocks.CLAIM_QUERY)
def query_claim(deps: Deps, press: Press) -> None:
    """The person queries their claim: the modal."""
    note = deps.involvement.claim_view(**press.caller, claim_id=press.id())
    QUERY.open(press, "\n".join(blocks.claim_lines(note)), note.claim_id)


# ---------------------------------------------------------------- modals


@listen.form(blocks.REGISTER_MODAL, fallback=blocks.EXTRA)
def submit_register(deps: Deps, sent: Submission) -> Answer:
    """The register: who came."""
    present, extra = read_register(sent.values)
    saved = deps.involvement.save_register(
        **sent.caller, session_id=sent.id(), present=present, extra=extra
    )
    return Answer(dm=blocks.register_saved_text(saved))


@listen.form(blocks.LOG_TIME_MODAL, fallback=blocks.HOURS)
def submit_time(deps: Deps, sent: Submission) -> Answer:
    """A time log."""
    data = read_time_log(sent.values)
    done = deps.involvement.log_time(**sent.caller, project_id=sent.id(), data=data)
    return Answer(dm=blocks.time_logged_text(done))


@listen.form(blocks.PAYMENT_MODAL, fallback=blocks.CHOICE)
def submit_payment(deps: Deps, sent: Submission) -> Answer:
    """A payment choice."""
    choice = sent.form().selected(blocks.CHOICE)
    done = deps.involvement.set_payment(**sent.caller, project_id=sent.id(), choice=choice)
    return Answer(dm=blocks.payment_set_text(done))


@listen.form(blocks.EXPENSE_MODAL, fallback=blocks.AMOUNT)
def submit_expense(deps: Deps, sent: Submission) -> Answer:
    """An expense."""
    form = sent.form()
    done = deps.involvement.claim_expense(
        **sent.caller,
        project_id=sent.id(),
        kind=form.selected(blocks.KIND),
        amount=form.text(blocks.AMOUNT),
        what_for=form.text(blocks.WHAT_FOR),
        receipts=read_receipts(sent.values),
    )
    return Answer(dm=blocks.expense_sent_text(done))


@listen.form(QUESTION.callback_id, fallback=QUESTION.block)
def submit_question(deps: Deps, sent: Submission) -> Answer:
    """A coordinator's question about an expense."""
    question = QUESTION.read(sent)
    deps.involvement.question_expense(**sent.caller, expense_id=sent.id(), question=question)
    return Answer(dm=":white_check_mark: Your question went to them; their answer comes back here.")


@listen.form(ANSWER.callback_id, fallback=ANSWER.block)
def submit_answer(deps: Deps, sent: Submission) -> Answer:
    """The person's answer about their expense."""
    answer = ANSWER.read(sent)
    deps.involvement.answer_expense(**sent.caller, expense_id=sent.id(), answer=answer)
    return Answer(dm=":white_check_mark: Your answer went to the coordinators.")


@listen.form(QUERY.callback_id, fallback=QUERY.block)
def submit_query(deps: Deps, sent: Submission) -> Answer:
    """The person's query about their claim."""
    query = QUERY.read(sent)
    deps.involvement.query_claim(**sent.caller, claim_id=sent.id(), text=query)
    return Answer(
        dm=":white_check_mark: Your query went to the coordinators; they will send the claim "
        "again once it is sorted."
    )


@listen.form(blocks.PAY_MODAL, fallback=blocks.DEFAULT_RATE)
def submit_pay(deps: Deps, sent: Submission) -> Answer:
    """The coordinators' pay settings."""
    form = deps.involvement.save_pay(
        **sent.caller, project_id=sent.id(), data=read_pay(sent.values)
    )
    return Answer(
        dm=f":white_check_mark: Pay and rates for *{escape(form.project_name)}* are saved."
    )


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command("log time", "log time you gave the project outside sessions", on_log_time),
    Command(
        "payment", "how you would like to be paid (private to you and coordinators)", on_payment
    ),
    Command("expense", "claim back travel, carer or childcare cover, or another cost", on_expense),
    Command(
        "pay setup", "rates, preparation time and benefits contact (coordinators)", on_pay_setup
    ),
    Command(
        "budget",
        "the project's budget for involvement payments (coordinators)",
        on_budget,
        usage="budget <amount>",
    ),
    Command(
        "claims",
        "send claims for the last month, or everything (coordinators)",
        on_claims,
        usage="claims [end]",
    ),
    Command("pay report", "payments against the budget (coordinators)", on_report),
    Command("finance", "confirmed claims as a CSV for finance (coordinators)", on_finance),
)
