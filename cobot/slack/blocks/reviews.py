"""Block Kit for the participants' review: the start modal, the DM and its answer modal, the
results for coordinators, the outcome for oversight and steering members."""

from __future__ import annotations

from typing import Any

from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.reviews import Choice
from cobot.domain.reviews import Tally
from cobot.domain.roles import Role
from cobot.services.ports import OutgoingMessage
from cobot.services.reviews import Answered
from cobot.services.reviews import AnswerForm
from cobot.services.reviews import Awaiting
from cobot.services.reviews import InviteNote
from cobot.services.reviews import OpenRound
from cobot.services.reviews import OutcomeNote
from cobot.services.reviews import Results
from cobot.services.reviews import ReviewNote
from cobot.services.reviews import Started
from cobot.services.reviews import StartForm
from cobot.services.reviews import Status
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.renderers import ByKind

START_MODAL = "review_start"
ANSWER_MODAL = "review_answer"
APPROVE = "review_approve"
CHANGES = "review_changes"
NOT_YET = "review_not_yet"
VALUE = forms.INPUT
DRAFT_URL = "draft_url"
DEADLINE = "deadline"
NOTE = "note"
TEXT = "text"
NAMED = "named"
NAMED_YES = "named"
# the block the Home's review line puts its buttons in
ANSWER_BUTTONS = "review_buttons"
MAX_TEXTS = 20


def link(url: str, label: str) -> str:
    """A link to the draft: the address was checked when it was typed, and is escaped here too
    (Slack reads `&amp;` in a link as `&`; a `|` would end the address)."""
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def start_modal(form: StartForm) -> dict[str, Any]:
    """The coordinator's form: the link to the draft, the deadline, a note."""
    blocks = [
        section(
            f"*Round {form.number} of the participants' review of “{escape(form.project_name)}”.*"
            " Every participant (only participants) gets a DM with the link and three answers: "
            "*I approve*, *I approve with changes* or *Not yet*. They can change their answer "
            "until the deadline; one reminder goes to those who have not answered. You see "
            "the results when the review closes, without names unless someone chose to show "
            "theirs; oversight and steering members hear only the outcome."
        ),
        forms.text_input(DRAFT_URL, "Link to the draft", max_length=500, hint="https://..."),
        forms.datepicker(DEADLINE, "The review closes on", initial=form.default_deadline),
        forms.text_input(
            NOTE,
            "A note to the participants (optional)",
            multiline=True,
            optional=True,
            max_length=1000,
        ),
    ]
    return forms.modal(
        START_MODAL, "Participants' review", blocks, metadata=str(form.project_id), submit="Send"
    )


def started_text(started: Started) -> str:
    """The coordinator's confirmation."""
    return (
        f":memo: Round {started.number} of the review of “{escape(started.project_name)}” has "
        f"started: {started.asked} participants are asked by DM. It closes "
        f"{slack_date(started.deadline, started.timezone)}; `/cobot review` shows how many "
        "have answered."
    )


def _answer_buttons(round_id: int) -> dict[str, Any]:
    value = str(round_id)
    return actions(
        [
            button(Choice.APPROVE.label, APPROVE, value, style="primary"),
            button(Choice.CHANGES.label, CHANGES, value),
            button(Choice.NOT_YET.label, NOT_YET, value),
        ],
        block_id=f"{ANSWER_BUTTONS}_{round_id}",
    )


def invite_message(note: InviteNote) -> OutgoingMessage:
    """The participant's DM (and the one reminder)."""
    first = (
        f":bell: A reminder: the review of “{escape(note.project_name)}” closes "
        if note.reminder
        else f":memo: *Please review the draft of “{escape(note.project_name)}”* (round "
        f"{note.number}). It is yours to approve: the oversight and steering groups have no "
        "say over its content. The review closes "
    )
    text = f"{first}{slack_date(note.deadline, note.timezone)}."
    blocks = [
        section(text),
        section(link(note.draft_url, "Open the draft")),
    ]
    if note.note:
        blocks.append(section(f"_From your coordinator:_ {escape(note.note)}"))
    blocks.append(_answer_buttons(note.round_id))
    privacy = (
        "Your answer and your words are shown to the coordinators only after the review "
        "closes, without your name unless you choose to show it."
    )
    if note.small_group:
        privacy += (
            f" This group has fewer than {MIN_PEOPLE} participants, so people may be able to "
            "guess whose words are whose even without names."
        )
    blocks.append(context(privacy))
    return OutgoingMessage(text=text, blocks=blocks)


def answer_modal(form: AnswerForm) -> dict[str, Any]:
    """The changes asked for, or why not yet; and whether to show one's name."""
    label = (
        "Which changes do you ask for?"
        if form.choice is Choice.CHANGES
        else "What would need to change before you can approve it?"
    )
    blocks = [
        section(f"*{form.choice.label}*: round {form.number} of “{escape(form.project_name)}”."),
        forms.text_input(TEXT, label, form.text, multiline=True, max_length=3000),
        forms.checkboxes(
            NAMED,
            "Your name",
            [(NAMED_YES, "You may show my name with my comments")],
            checked=frozenset({NAMED_YES}) if form.named else frozenset(),
        ),
    ]
    return forms.modal(
        ANSWER_MODAL,
        "Your answer",
        blocks,
        metadata=f"{form.round_id}:{form.choice.value}",
        submit="Send",
    )


def answered_text(answered: Answered) -> str:
    """The participant's confirmation."""
    verb = "changed your answer to" if answered.changed else "answered"
    name = (
        "with your name" if answered.named and answered.choice.needs_text else "without your name"
    )
    return (
        f"Thank you: you {verb} *{answered.choice.label}* for round {answered.number} of "
        f"“{escape(answered.project_name)}”, shown {name} once the review closes. You can "
        f"change it until {slack_date(answered.deadline, answered.timezone)}."
    )


def tally_line(tally: Tally, asked: int) -> str:
    """The counts, in words."""
    return (
        f"{tally.answered} of {asked} participants answered: {tally.approve} approve, "
        f"{tally.changes} approve with changes, {tally.not_yet} not yet."
    )


def _texts(title: str, texts: tuple[str, ...]) -> list[dict[str, Any]]:
    if not texts:
        return []
    shown = "\n".join(f"• {escape(t)}" for t in texts[:MAX_TEXTS])
    more = f"\n…and {len(texts) - MAX_TEXTS} more" if len(texts) > MAX_TEXTS else ""
    return [section(f"*{title}*\n{shown}{more}")]


def results_blocks(results: Results) -> list[dict[str, Any]]:
    """A closed round for coordinators: outcome, counts, the words (names only if chosen)."""
    blocks = [
        section(
            f":memo: *Round {results.number} of the review of “{escape(results.project_name)}” "
            f"closed: {results.outcome.label}.*\n{tally_line(results.tally, results.asked)}"
        ),
        *_texts("Changes asked for", results.changes),
        *_texts("Not yet, because", results.not_yet),
    ]
    if results.named:
        lines = [
            f"• {mention(a.user_id)}: {a.choice.label}" + (f": {escape(a.text)}" if a.text else "")
            for a in results.named[:MAX_TEXTS]
        ]
        blocks.append(section("*From people who chose to show their name*\n" + "\n".join(lines)))
    note = "Words without names are sorted by text, not by when they came."
    if results.small_group:
        note += (
            f" Fewer than {MIN_PEOPLE} people answered without their name: please do not try "
            "to work out whose words are whose."
        )
    blocks.append(context(note))
    return blocks


def outcome_text(note: OutcomeNote) -> str:
    """What oversight and steering members are told: that it happened, and its outcome."""
    return (
        f":memo: The participants' review of “{escape(note.project_name)}” (round "
        f"{note.number}) closed {slack_date(note.closed_at, note.timezone)}: "
        f"*{note.outcome.label}*."
    )


def review_message(note: ReviewNote) -> OutgoingMessage:
    """Render a review delivery."""
    return _BY_KIND(note)


def _results(note: Results) -> OutgoingMessage:
    return OutgoingMessage(
        text=f"The review of “{escape(note.project_name)}” closed: {note.outcome.label}",
        blocks=results_blocks(note),
    )


def _open_line(current: OpenRound, *, counts: bool) -> str:
    line = (
        f"Round {current.number} is open until {slack_date(current.deadline, current.timezone)}"
        f" ({link(current.draft_url, 'the draft')})"
    )
    if counts:
        line += (
            f": {current.answered} of {current.asked} participants have answered. What they "
            "answered shows when it closes."
        )
    return line + "."


def status_blocks(status: Status) -> list[dict[str, Any]]:
    """`/cobot review`, as the asker may see it."""
    blocks: list[dict[str, Any]] = [
        section(f"*The participants' review of “{escape(status.project_name)}”*")
    ]
    if status.open is not None:
        coordinator = status.role is Role.COORDINATOR
        blocks.append(section(_open_line(status.open, counts=coordinator)))
    if status.open_round_id is not None and status.role is Role.PARTICIPANT:
        mine = (
            f"You answered *{status.mine.label}*." if status.mine else "You have not answered yet."
        )
        blocks.append(section(f"{mine} You can change it until the review closes."))
        blocks.append(_answer_buttons(status.open_round_id))
    if status.results:
        for results in status.results[-3:]:
            blocks += results_blocks(results)
    else:
        blocks += [section(outcome_text(n)) for n in status.outcomes[-10:]]
    if status.open is None and not status.outcomes:
        blocks.append(section("No review yet. Coordinators start one with `/cobot review start`."))
    return blocks[:50]


# ---------------------------------------------------------------- App Home


def home_blocks(waiting: tuple[Awaiting, ...]) -> list[dict[str, Any]]:
    """A participant's Home: the reviews waiting for their answer."""
    blocks: list[dict[str, Any]] = []
    for item in waiting[:3]:
        blocks.append(
            section(
                f":memo: *Your review of “{escape(item.project_name)}”* (round {item.number}): "
                f"{link(item.draft_url, 'open the draft')}, then answer by "
                f"{slack_date(item.deadline, item.timezone)}."
            )
        )
        blocks.append(_answer_buttons(item.round_id))
    return blocks


def coordinator_text(current: OpenRound | None, last: OutcomeNote | None) -> str | None:
    """The review line on a coordinator's Home: counts while open, the last outcome."""
    if current is not None:
        return f"*Participants' review:* {_open_line(current, counts=True)}"
    if last is not None:
        return (
            f"*Participants' review:* round {last.number} closed "
            f"{slack_date(last.closed_at, last.timezone)}: {last.outcome.label}. "
            "`/cobot review` shows the results; `/cobot review start` starts another round."
        )
    return None


def find_round(message: dict[str, Any]) -> str:
    """The round id an invite's buttons carry ("" when none)."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == APPROVE:
                return str(element.get("value") or "")
    return ""


_BY_KIND = ByKind(invite_message, _results, outcome_text)
