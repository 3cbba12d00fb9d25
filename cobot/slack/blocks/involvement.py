"""Block Kit for involvement and payment: the attendance register, time logs, payment
choices, expenses, claims, the coordinators' pay settings, totals and the Home record."""

from __future__ import annotations

from datetime import date
from typing import Any

from cobot.domain.involvement import ACTIVITY_LABELS
from cobot.domain.involvement import BENEFITS_WORDS
from cobot.domain.involvement import EXPENSE_LABELS
from cobot.domain.involvement import LOGGABLE
from cobot.domain.involvement import MAX_NOTE
from cobot.domain.involvement import MAX_RECEIPTS
from cobot.domain.involvement import MAX_WHAT_FOR
from cobot.domain.involvement import PAYMENT_LABELS
from cobot.domain.involvement import RECEIPT_FILETYPES
from cobot.domain.involvement import Activity
from cobot.domain.involvement import PaymentChoice
from cobot.domain.involvement import chunks
from cobot.domain.involvement import format_money
from cobot.domain.involvement import hours_text
from cobot.domain.involvement import percent
from cobot.domain.involvement import safe_link
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionRole
from cobot.services.involvement import ACTIVITY_KEY
from cobot.services.involvement import ROLE_KEY
from cobot.services.involvement import ClaimNote
from cobot.services.involvement import ClaimQueriedNote
from cobot.services.involvement import Done
from cobot.services.involvement import ExpenseNote
from cobot.services.involvement import InvolvementNote
from cobot.services.involvement import InvolvementRecord
from cobot.services.involvement import PayForm
from cobot.services.involvement import PayTotals
from cobot.services.involvement import ProjectForm
from cobot.services.involvement import RegisterForm
from cobot.services.involvement import RegisterNote
from cobot.services.involvement import RegisterSaved
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.renderers import ByKind

OPEN_REGISTER = "register_open"
REGISTER_MODAL = "register_submit"
LOG_TIME_MODAL = "log_time_submit"
PAYMENT_MODAL = "payment_submit"
EXPENSE_MODAL = "expense_submit"
EXPENSE_APPROVE = "expense_approve"
EXPENSE_ASK = "expense_ask"
EXPENSE_ANSWER = "expense_answer"
QUESTION_MODAL = "expense_question_submit"
ANSWER_MODAL = "expense_answer_submit"
CLAIM_CONFIRM = "claim_confirm"
CLAIM_QUERY = "claim_query"
CLAIM_QUERY_MODAL = "claim_query_submit"
PAY_MODAL = "pay_setup_submit"

PRESENT = "present_"  # + 1.. (one checkbox input per 10 people)
EXTRA = "extra"
ACTIVITY = "activity"
DAY = "day"
HOURS = "hours"
MINUTES = "minutes"
NOTE = "note"
CHOICE = "choice"
KIND = "kind"
AMOUNT = "amount"
WHAT_FOR = "what_for"
RECEIPT = "receipt"
QUESTION = "question"
ANSWER = "answer"
QUERY = "query"
CURRENCY = "currency"
DEFAULT_RATE = "default_rate"
REASON = "reason"
BENEFITS = "benefits_contact"
PREP = "prep_"  # + session role
RATE_ROLES = (Role.PARTICIPANT, Role.PRACTITIONER)
RATE_ACTIVITIES = (Activity.SESSION, *LOGGABLE)
# each rate a coordinator may set apart from the default: (rates key, what it pays for)
RATE_FIELDS = (
    *((f"{ROLE_KEY}{r.value}", r.label) for r in RATE_ROLES),
    *((f"{ACTIVITY_KEY}{a.value}", ACTIVITY_LABELS[a]) for a in RATE_ACTIVITIES),
)


def rate_block(key: str) -> str:
    """The block id of a role's or activity's rate ("role:participant" -> "role_participant")."""
    return key.replace(":", "_")


def _msg(text: str, blocks: list[dict[str, Any]]) -> OutgoingMessage:
    return OutgoingMessage(text=text, blocks=blocks)


def _period(start: date, end: date) -> str:
    return f"{start:%d %b %Y} to {end:%d %b %Y}"


# ---------------------------------------------------------------- messages


def involvement_message(note: InvolvementNote) -> OutgoingMessage:
    """Any involvement delivery, as Slack shows it."""
    return _BY_KIND(note)


def register_message(note: RegisterNote) -> OutgoingMessage:
    """The register (or its one nudge) for a session's facilitators."""
    title = escape(note.session.title)
    when = slack_date(note.session.starts_at, note.session.timezone)
    if note.nudge:
        text = f"Nobody has saved the register for *{title}* yet"
        lead = (
            f":clipboard: {text} ({when}). It takes one click: everyone expected is "
            "already ticked. Hours, payments and feedback follow it."
        )
    else:
        text = f"Attendance register for *{title}*"
        lead = (
            f":clipboard: {text} ({when}): {note.expected} expected, all ticked as came. "
            "Untick anyone who did not come, add anyone who came unexpectedly, and save. "
            "You can change it for a week."
        )
    blocks = [
        section(lead),
        actions([button("Take the register", OPEN_REGISTER, str(note.session.id))]),
    ]
    if note.saved_by:
        blocks.append(context(f"Saved by {mention(note.saved_by)}; you can still change it."))
    return _msg(text, blocks)


def claim_lines(note: ClaimNote) -> list[str]:
    """A claim's lines: hours × rate = amount, then expenses, then the total."""
    lines: list[str] = []
    for line in note.lines:
        amount = format_money(line.amount, note.currency)
        if line.expense:
            lines.append(f"• {escape(line.what)} (expense): {amount}")
        elif line.rate:
            rate = format_money(line.rate, note.currency)
            lines.append(f"• {escape(line.what)}: {hours_text(line.minutes)} × {rate}/h = {amount}")
        else:
            lines.append(f"• {escape(line.what)}: {hours_text(line.minutes)}")
    lines.append(
        f"*Payment:* {format_money(note.fees, note.currency)} ({note.choice.label.lower()})  "
        f"*Expenses:* {format_money(note.expenses, note.currency)}  "
        f"*Total:* {format_money(note.total, note.currency)}"
    )
    return lines


def claim_message(note: ClaimNote) -> OutgoingMessage:
    """A claim for its person to confirm with one click, or query."""
    period = _period(note.period_start, note.period_end)
    text = f"Your claim for *{escape(note.project_name)}*, {period}"
    blocks = [
        section(f":receipt: {text}. Please check it: once you confirm, it goes to finance."),
        section("\n".join(claim_lines(note))),
        actions(
            [
                button("Confirm", CLAIM_CONFIRM, str(note.claim_id), style="primary"),
                button("Something is wrong", CLAIM_QUERY, str(note.claim_id)),
            ]
        ),
    ]
    return _msg(text, blocks)


def claim_queried_message(note: ClaimQueriedNote) -> OutgoingMessage:
    """A query about a claim, for the coordinators."""
    text = f"{mention(note.user_id)} queried their claim for *{escape(note.claim.project_name)}*"
    blocks = [
        section(f":speech_balloon: {text}:\n>{escape(note.query)}"),
        section("\n".join(claim_lines(note.claim))),
        context("Put it right, then send claims again with `/cobot claims end`."),
    ]
    return _msg(text, blocks)


def expense_text(note: ExpenseNote) -> str:
    """An expense in one line."""
    return (
        f"*{note.kind.label}*: {format_money(note.amount, note.currency)} for "
        f"{escape(note.what_for)}"
    )


def receipts_text(note: ExpenseNote) -> str:
    """ "Receipt: <name>" for each attached file, linked to it in Slack ("" when none)."""
    lines = []
    for receipt in note.receipts:
        name = escape(receipt.name)
        link = safe_link(receipt.permalink)
        linked = f"<{link}|{name}>" if link else name
        lines.append(f":paperclip: Receipt: {linked}")
    return "\n".join(lines)


def expense_message(note: ExpenseNote) -> OutgoingMessage:
    """An expense to approve (coordinators) or a question about it (its person)."""
    ident = str(note.expense_id)
    if note.for_person:
        text = f"A question about your expense for *{escape(note.project_name)}*"
        return _msg(
            text,
            [
                section(
                    f":question: {text} ({expense_text(note)}):\n>{escape(note.question or '')}"
                ),
                actions([button("Answer", EXPENSE_ANSWER, ident)]),
            ],
        )
    text = f"{mention(note.user_id)} claims an expense in *{escape(note.project_name)}*"
    blocks = [section(f":money_with_wings: {text}: {expense_text(note)}")]
    if note.receipts:
        blocks.append(section(receipts_text(note)))
    if note.answer:
        blocks.append(
            section(
                f"You asked: {escape(note.question or '')}\nThey answered: {escape(note.answer)}"
            )
        )
    blocks.append(
        actions(
            [
                button("Approve", EXPENSE_APPROVE, ident, style="primary"),
                button("Ask a question", EXPENSE_ASK, ident),
            ]
        )
    )
    return _msg(text, blocks)


def expense_decided_blocks(note: ExpenseNote, by: str) -> list[dict[str, Any]]:
    """The review message once approved by `by` (its buttons gone)."""
    head = f"{mention(note.user_id)}: {expense_text(note)}"
    if note.receipts:
        head += "\n" + receipts_text(note)
    return [section(head), context(f":white_check_mark: Approved by {mention(by)}.")]


# ---------------------------------------------------------------- modals


def register_modal(form: RegisterForm) -> dict[str, Any]:
    """Everyone expected, ticked; untick absentees, add unexpected attendees, save."""
    people = [u for u, role in form.expected if role == SessionRole.PARTICIPANT]
    blocks: list[dict[str, Any]] = [
        section(
            f"*{escape(form.session.title)}*, "
            f"{slack_date(form.session.starts_at, form.session.timezone)}. Untick anyone who "
            "did not come. Facilitators are counted as there."
        )
    ]
    groups = chunks(people)
    for number, group in enumerate(groups, start=1):
        label = "Came" if len(groups) == 1 else f"Came ({number} of {len(groups)})"
        blocks.append(
            forms.checkboxes(
                f"{PRESENT}{number}",
                label,
                [(u, mention(u)) for u in group],
                checked=frozenset(u for u in group if u in form.present),
                mrkdwn=True,
            )
        )
    blocks.append(
        forms.users_select(EXTRA, "Also came (not on the list)", initial=form.extra, optional=True)
    )
    if form.saved_by:
        blocks.append(context(f"Last saved by {mention(form.saved_by)}."))
    return forms.modal(REGISTER_MODAL, "Attendance register", blocks, metadata=str(form.session.id))


def log_time_modal(form: ProjectForm) -> dict[str, Any]:
    """`/cobot log time`: what, when, how long, an optional note."""
    return forms.modal(
        LOG_TIME_MODAL,
        "Log time",
        [
            section(f"Time you gave *{escape(form.project_name)}* outside its sessions."),
            forms.select(ACTIVITY, "What was it?", [(a.value, a.label) for a in LOGGABLE]),
            forms.datepicker(DAY, "Which day?"),
            forms.text_input(HOURS, "Hours", hint="Whole hours, 0 to 24"),
            forms.text_input(MINUTES, "Minutes", optional=True, hint="0 to 59"),
            forms.text_input(
                NOTE,
                "Note (only you and coordinators see it)",
                optional=True,
                multiline=True,
                max_length=MAX_NOTE,
            ),
        ],
        metadata=str(form.project_id),
    )


def payment_modal(form: ProjectForm) -> dict[str, Any]:
    """`/cobot payment`: how the person chooses to be paid, with plain words on benefits."""
    contact = (
        f"For advice before you choose, contact {escape(form.benefits_contact)}."
        if form.benefits_contact
        else "Ask a coordinator who gives the project's benefits advice."
    )
    return forms.modal(
        PAYMENT_MODAL,
        "Payment",
        [
            section(f"How would you like to be paid for *{escape(form.project_name)}*?"),
            section(f":information_source: {BENEFITS_WORDS} {contact}"),
            forms.select(
                CHOICE,
                "Your choice",
                [(c.value, c.label) for c in PaymentChoice],
                initial=form.choice.value if form.choice else None,
            ),
            context("Only you and the project's coordinators see your choice."),
        ],
        metadata=str(form.project_id),
    )


def expense_modal(form: ProjectForm) -> dict[str, Any]:
    """`/cobot expense`: what kind, how much, what for."""
    return forms.modal(
        EXPENSE_MODAL,
        "Claim an expense",
        [
            section(
                f"Expenses for *{escape(form.project_name)}* are repaid whatever payment you "
                "chose. A coordinator approves them (or asks a question)."
            ),
            forms.select(KIND, "What for?", [(k.value, v) for k, v in EXPENSE_LABELS.items()]),
            forms.text_input(AMOUNT, f"Amount ({form.currency})", hint="For example 12.50"),
            forms.text_input(
                WHAT_FOR, "Details (the journey, the hours of cover...)", max_length=MAX_WHAT_FOR
            ),
            receipt_input(),
            context(
                "A receipt stays in your Slack workspace; cobot keeps only its name and link, "
                "for you and the coordinators."
            ),
        ],
        metadata=str(form.project_id),
        submit="Send",
    )


def receipt_input() -> dict[str, Any]:
    """The optional receipt: photos or PDFs uploaded to Slack; the listener reads its
    `files` (Slack's filetypes check is a convenience; the service checks again)."""
    element = {
        "type": "file_input",
        "filetypes": list(RECEIPT_FILETYPES),
        "max_files": MAX_RECEIPTS,
    }
    return forms.input_block(
        RECEIPT,
        "Receipt (optional)",
        element,
        optional=True,
        hint=f"A photo or a PDF; up to {MAX_RECEIPTS} files.",
    )


def text_modal(
    callback: str, title: str, intro: str, block: str, label: str, ident: int
) -> dict[str, Any]:
    """A one-question modal (an expense question or answer, a claim query)."""
    return forms.modal(
        callback,
        title,
        [section(intro), forms.text_input(block, label, multiline=True, max_length=1000)],
        metadata=str(ident),
        submit="Send",
    )


def pay_modal(form: PayForm) -> dict[str, Any]:
    """The coordinators' rates, preparation time and benefits-advice contact."""

    def money(pence: int | None) -> str:
        return "" if pence is None else f"{pence // 100}.{pence % 100:02d}"

    blocks: list[dict[str, Any]] = [
        section(
            f"Rates for *{escape(form.project_name)}*, per hour. Everyone is paid the same "
            "rate unless you set a different one for a role or activity; then say why."
        ),
        forms.select(
            CURRENCY,
            "Currency",
            [("GBP", "GBP (£)"), ("EUR", "EUR (€)"), ("USD", "USD ($)")],
            initial=form.currency,
        ),
        forms.text_input(DEFAULT_RATE, "Hourly rate for everyone", money(form.default_rate)),
    ]
    for key, what in RATE_FIELDS:
        blocks.append(
            forms.text_input(
                rate_block(key),
                f"Rate for {what.lower()} (if not the same)",
                money(form.rates.get(key)),
                optional=True,
            )
        )
    blocks += [
        forms.text_input(
            REASON,
            "Why rates differ (needed if they do)",
            form.reason,
            optional=True,
            multiline=True,
            max_length=1000,
        ),
        forms.text_input(
            f"{PREP}{SessionRole.FACILITATOR.value}",
            "Minutes to get ready for each session: facilitators",
            str(form.prep.get(SessionRole.FACILITATOR.value, 0)),
        ),
        forms.text_input(
            f"{PREP}{SessionRole.PARTICIPANT.value}",
            "Minutes to get ready for each session: participants",
            str(form.prep.get(SessionRole.PARTICIPANT.value, 0)),
        ),
        forms.text_input(
            BENEFITS,
            "Benefits-advice contact (shown with payment choices)",
            form.benefits_contact,
            optional=True,
            max_length=300,
        ),
    ]
    return forms.modal(PAY_MODAL, "Pay and rates", blocks, metadata=str(form.project_id))


# ---------------------------------------------------------------- answers


def register_saved_text(saved: RegisterSaved) -> str:
    """What the facilitator who saved the register is told."""
    verb = "updated" if saved.updated else "saved"
    text = f":white_check_mark: The register for *{escape(saved.session.title)}* is {verb}: "
    text += f"{len(saved.came)} came"
    if saved.absent:
        text += f"; not there: {mentions(saved.absent)}"
    if saved.extra:
        text += f"; also came: {mentions(saved.extra)}"
    return text + ". Hours follow, and feedback goes to those who came."


def time_logged_text(done: Done) -> str:
    """A time log was saved."""
    return (
        f":white_check_mark: Logged {hours_text(done.amount)} of {done.label.lower()} for "
        f"*{escape(done.project_name)}*. Your record is on your App Home."
    )


def payment_set_text(done: Done) -> str:
    """A payment choice was saved."""
    return (
        f":white_check_mark: Your payment choice for *{escape(done.project_name)}*: "
        f"{done.label}. You can change it at any time with `/cobot payment`."
    )


def expense_sent_text(done: Done) -> str:
    """An expense went to the coordinators."""
    receipts = ""
    if done.attached:
        receipts = " with your receipt" if done.attached == 1 else f" with {done.attached} receipts"
    return (
        f":white_check_mark: Your expense ({done.label.lower()}, "
        f"{format_money(done.amount, done.currency)}){receipts} went to the coordinators of "
        f"*{escape(done.project_name)}*. You will hear when it is approved or if they ask "
        "something."
    )


def claim_done_text(note: ClaimNote) -> str:
    """A claim was confirmed."""
    return (
        f":white_check_mark: Thank you: your claim of {format_money(note.total, note.currency)} "
        f"for {_period(note.period_start, note.period_end)} is confirmed and goes to finance."
    )


def totals_text(totals: PayTotals) -> str:
    """Payments against the budget, with the warning when spending runs ahead."""
    cur = totals.currency
    lines = [
        f"*Confirmed claims:* {format_money(totals.confirmed, cur)} "
        f"(payments {format_money(totals.fees, cur)}, expenses "
        f"{format_money(totals.expenses, cur)})",
        f"*Awaiting confirmation:* {format_money(totals.awaiting, cur)}",
    ]
    pace = totals.pace
    if pace is None:
        lines.append("No budget set yet: `/cobot budget <amount>`.")
    else:
        lines.append(
            f"*Budget:* {format_money(pace.budget, cur)}; {percent(pace.spent_share)} spent "
            f"with {percent(pace.time_share)} of the project's time gone."
        )
        if pace.ahead:
            lines.append(
                ":warning: Spending is running ahead of the timeline: at this pace the budget "
                "runs out before the project ends. Review rates or plan the remaining sessions."
            )
    return "\n".join(lines)


def record_blocks(records: list[InvolvementRecord]) -> list[dict[str, Any]]:
    """The person's involvement record, for their App Home."""
    blocks: list[dict[str, Any]] = []
    for record in records:
        items = "\n".join(
            f"• {item.day:%d %b}: {escape(item.what)}, {hours_text(item.minutes)}"
            for item in record.items[-8:]
        )
        choice = (
            PAYMENT_LABELS[record.choice] if record.choice else "not chosen yet (`/cobot payment`)"
        )
        blocks.append(
            section(
                f"*Your involvement in {escape(record.project_name)}:* "
                f"{hours_text(record.minutes)} in all. Payment: {choice}.\n{items}".rstrip()
            )
        )
    if blocks:
        blocks.append(
            context("Log other time with `/cobot log time`; expenses with `/cobot expense`.")
        )
    return blocks


_BY_KIND = ByKind(register_message, claim_message, claim_queried_message, expense_message)
