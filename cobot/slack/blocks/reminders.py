"""Block Kit for the reminders around each session, their modals and their confirmations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cobot.services import reminders as r
from cobot.services.ports import OutgoingMessage
from cobot.services.reminders import Done
from cobot.services.reminders import ReminderNote
from cobot.services.reminders import SessionFacts
from cobot.services.reminders import Shared
from cobot.services.reminders import ShareForm
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import notification_text
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date

SHARE_AGENDA = "reminders_share_agenda"
POST_NOTES = "reminders_post_notes"
ACCESSIBILITY_DONE = "reminders_accessibility_done"
PLAN_DONE = "reminders_plan_done"
AGENDA_MODAL = "reminders_agenda"
NOTES_MODAL = "reminders_notes"
TEXT_BLOCK = "text"
TEXT_INPUT = "text_input"
MAX_MESSAGE_BLOCKS = 50

# each kind's button: label, action id, style
_BUTTONS: dict[str, tuple[str, str, str | None]] = {
    r.PLAN_NEXT: ("Mark as planned", PLAN_DONE, "primary"),
    r.AGENDA_DUE: ("Share agenda", SHARE_AGENDA, "primary"),
    r.AGENDA_OVERDUE: ("Share agenda", SHARE_AGENDA, "primary"),
    r.ACCESSIBILITY: ("Done", ACCESSIBILITY_DONE, "primary"),
    r.NOTES_DUE: ("Post notes", POST_NOTES, "primary"),
    r.NOTES_OVERDUE: ("Post notes", POST_NOTES, "primary"),
}


def when(facts: SessionFacts) -> str:
    """The session's date, start and end, in each reader's zone."""
    end = facts.ends_at.astimezone(ZoneInfo(facts.timezone))
    end_token = f"<!date^{int(facts.ends_at.timestamp())}^{{time}}|{end:%H:%M}>"
    return f"{slack_date(facts.starts_at, facts.timezone)} to {end_token}"


def headline(note: ReminderNote) -> str:
    """What the reminder asks, in one paragraph (also the notification text)."""
    s = note.session
    title = f"*{escape(s.title)}*"
    deadline = slack_date(note.deadline, s.timezone) if note.deadline is not None else "soon"
    people = f"{note.participants} participant{'' if note.participants == 1 else 's'}"
    starts = slack_date(s.starts_at, s.timezone)
    texts = {
        r.PLAN_NEXT: (
            f":clipboard: Time to plan {title}. Feedback from the last session should be "
            "collated by now: plan or amend this session in response to it, then mark it as "
            f"planned. The agenda and materials are due to participants by {deadline}."
        ),
        r.AGENDA_DUE: (
            f":memo: The agenda and materials for {title} are due to participants by "
            f"{deadline}, so everyone has time to digest them. When they are ready, share "
            f"them from here and cobot sends them to the {people}."
        ),
        r.ACCESSIBILITY: (
            f":raised_hands: {title} is coming up. Before it starts, go through the "
            "accessibility checklist with your co-facilitators, then press *Done*:"
        ),
        r.REMINDER_DAY: f":wave: A reminder: {title} is coming up on {starts}.",
        r.REMINDER_HOUR: f":alarm_clock: {title} starts soon, {starts}.",
        r.NOTES_DUE: (
            f":notebook: The notes from {title} are due to participants by {deadline}. Write "
            f"them up (or paste a link) and post them from here: cobot sends them to the "
            f"{people}."
        ),
        r.NOTES_OVERDUE: (
            f":warning: The notes from {title} were due to participants by {deadline} and "
            "have not been posted yet. Post them from here when they are ready; this is the "
            "last reminder about them."
        ),
        r.AGENDA_SHARED: (
            f":memo: {_by(note)} shared the agenda and materials for {title} ({starts}):"
        ),
        r.NOTES_SHARED: f":notebook: The notes from {title}, posted by {_by(note)}:",
        r.ONBOARDING: (
            f":seedling: {title}, the first session of {escape(s.project_name)}, is on "
            f"{starts}. Onboarding is not finished for everyone "
            "yet: each participant needs a one-to-one briefing call and co-production "
            "training, and their access needs noted, before they join."
        ),
    }
    if note.late and note.kind == r.AGENDA_DUE:
        return (
            f":memo: The agenda and materials for {title} were due to participants by "
            f"{deadline}. Share them as soon as you can, so everyone still has time to read "
            f"them: cobot sends them to the {people}."
        )
    if note.late and note.kind == r.NOTES_DUE:
        return (
            f":notebook: The notes from {title} were due to participants by {deadline}. Post "
            f"them from here when they are ready: cobot sends them to the {people}."
        )
    if note.kind == r.AGENDA_OVERDUE:
        if note.for_coordinator:
            return (
                f":warning: The agenda for {title} was due to participants by {deadline} and "
                f"has not been shared yet. The facilitators ({mentions(note.facilitators)})"
                " have been nudged; you may want to check in with them."
            )
        return (
            f":warning: The agenda for {title} was due to participants by {deadline} and has "
            "not been shared yet. Please share it now, so they have time to read it before "
            "the session."
        )
    return texts.get(note.kind, f"{title}: {note.kind.replace('_', ' ')}")


def _by(note: ReminderNote) -> str:
    return mention(note.by) if note.by else "The facilitators"


def reminder_message(note: ReminderNote) -> OutgoingMessage:
    """A reminder: the project aims at the top, what to do, the session, and the button."""
    s = note.session
    blocks: list[dict[str, Any]] = []
    if s.aims.strip():
        blocks.append(section(f"*Our aims* ({escape(s.project_name)})\n{escape(s.aims)}"))
    text = headline(note)
    blocks.append(section(text))
    details = [f"*{escape(s.title)}*", f":calendar: {when(s)}"]
    if s.venue.strip():
        details.append(f":round_pushpin: {escape(s.venue)}")
    blocks.append(section("\n".join(details)))
    if s.objectives.strip():
        blocks.append(section(f"*Objectives for this session*\n{escape(s.objectives)}"))
    if note.kind == r.ACCESSIBILITY:
        blocks.append(section("\n".join(f"• {item}" for item in r.ACCESSIBILITY_CHECKLIST)))
    if note.kind == r.ONBOARDING:
        lines = [
            f"• {mention(user)}: still to do: {', '.join(items)}" for user, items in note.onboarding
        ]
        blocks.append(section("*Still to do*\n" + "\n".join(lines)))
        blocks.append(context("Tick items off as they are done with `/cobot onboarding`."))
    if note.text.strip():
        shared = note.kind in (r.AGENDA_SHARED, r.NOTES_SHARED)
        heading = "" if shared else "*Agenda and materials*\n"
        blocks.append(section(heading + escape(note.text)))
    found = _BUTTONS.get(note.kind)
    if found is not None and not note.for_coordinator:
        label, action_id, style = found
        blocks.append(
            actions(
                [button(label, action_id, str(s.id), style=style)], block_id=f"reminder_{note.kind}"
            )
        )
    return OutgoingMessage(text=notification_text(text), blocks=blocks[:MAX_MESSAGE_BLOCKS])


# ---------------------------------------------------------------- modals


@dataclass(frozen=True)
class _ShareModal:
    """What the agenda or the notes modal says: before the first share (`{people}` to be
    messaged) and after it (`{who}` shared it, `{when}`)."""

    callback_id: str
    title: str
    submit: str
    first: str
    again: str
    label: str
    hint: str


_AGENDA = _ShareModal(
    AGENDA_MODAL,
    "Share the agenda",
    "Share",
    "cobot sends this to the session's {people}, with the project aims and the session's "
    "objectives. Link to slides and documents so people can read them beforehand.",
    ":information_source: {who} already shared the agenda on {when}. Saving updates it: "
    "later reminders show the new version, but participants who already have it are not "
    "messaged again.",
    "Agenda and materials",
    "Plain words, no jargon. Paste links to slides and documents.",
)
_NOTES = _ShareModal(
    NOTES_MODAL,
    "Post the notes",
    "Post",
    "cobot sends these notes to the session's {people}.",
    ":information_source: {who} already posted the notes on {when}. Saving updates the "
    "stored notes; participants who already have them are not messaged again.",
    "Session notes",
    "What was discussed and agreed, and what happens next. Links are fine.",
)


def agenda_modal(form: ShareForm) -> dict[str, Any]:
    """The modal to share a session's agenda and materials with its participants."""
    return _text_modal(_AGENDA, form)


def notes_modal(form: ShareForm) -> dict[str, Any]:
    """The modal to post a session's notes to its participants."""
    return _text_modal(_NOTES, form)


def _who(user_id: str | None) -> str:
    return mention(user_id) if user_id else "Someone"


def _text_modal(says: _ShareModal, form: ShareForm) -> dict[str, Any]:
    heading = f"*{escape(form.title)}*, {slack_date(form.starts_at, form.timezone)}.\n"
    if form.shared_at is None:
        people = f"{form.recipients} participant{'' if form.recipients == 1 else 's'}"
        intro = heading + says.first.format(people=people)
    else:
        when = slack_date(form.shared_at, form.timezone)
        intro = heading + says.again.format(who=_who(form.shared_by), when=when)
    blocks = [
        section(intro),
        forms.text_input(
            TEXT_BLOCK,
            says.label,
            form.text,
            multiline=True,
            max_length=r.MAX_TEXT,
            hint=says.hint,
            action_id=TEXT_INPUT,
        ),
    ]
    return forms.modal(
        says.callback_id,
        says.title,
        blocks,
        metadata=str(form.session_id),
        submit=says.submit if form.shared_at is None else "Update",
    )


# ---------------------------------------------------------------- confirmations


def shared_text(shared: Shared, *, what: str) -> str:
    """What the person who shared the agenda (or notes) is told afterwards."""
    title = f"*{escape(shared.title)}*"
    # "the notes ... are on their way", "the agenda ... is on its way"
    plural = what.endswith("s")
    verb, its, it = ("are", "their", "them") if plural else ("is", "its", "it")
    if shared.first_time:
        people = f"{shared.messaged} participant{'' if shared.messaged == 1 else 's'}"
        return f":white_check_mark: The {what} for {title} {verb} on {its} way to the {people}."
    extra = (
        f" {'They' if plural else 'It'} {verb} on {its} way to {shared.messaged} participant"
        f"{'' if shared.messaged == 1 else 's'} who did not have {it} yet."
        if shared.messaged
        else ""
    )
    return (
        f":white_check_mark: The {what} for {title} {verb} updated. Participants who already "
        f"had {it} were not messaged again.{extra}"
    )


def done_text(what: str, done: Done, user_id: str) -> str:
    """The line that replaces a reminder's button once it is done."""
    if done.already:
        return f":white_check_mark: {what} for *{escape(done.title)}* was already done."
    return f":white_check_mark: {what} for *{escape(done.title)}*: done by {mention(user_id)}."


def without_buttons(blocks: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """A reminder's blocks with its buttons replaced by a line saying it is done."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept[: MAX_MESSAGE_BLOCKS - 1], context(note)]
