"""Block Kit for co-production sessions: the add/edit and move modals, the list, the
announcement, and the answers to the one-line command."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import time
from typing import Any

from cobot.domain.durations import format_duration
from cobot.domain.sessions import MAX_TITLE
from cobot.domain.sessions import MAX_VENUE
from cobot.domain.sessions import Problem
from cobot.services.ports import OutgoingMessage
from cobot.services.sessions import Announcement
from cobot.services.sessions import SessionDraft
from cobot.services.sessions import SessionList
from cobot.services.sessions import SessionSaved
from cobot.services.sessions import SessionView
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import escape_but_mentions
from cobot.slack.blocks.common import header
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import plain
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date

ADD_CALLBACK = "session_add"
EDIT_CALLBACK = "session_edit"
MOVE_CALLBACK = "session_move"
MOVE_ACTION = "session_move"
EDIT_ACTION = "session_edit"
CANCEL_ACTION = "session_cancel"
# a poll for a new time (cobot/slack/listeners/polls.py handles it)
FIND_TIME_ACTION = "poll_for_session"
# every input of the session forms uses this action id; the block id names the field
VALUE = forms.INPUT

FORM_BLOCKS = (
    "title",
    "date",
    "time",
    "duration",
    "venue",
    "facilitators",
    "participants",
    "objectives",
)
MOVE_BLOCKS = ("date", "time")
LIST_LIMIT = 15
USAGE = (
    '`/cobot session add "<title>" <YYYY-MM-DD> <HH:MM> <duration> with @facilitator1 '
    "@facilitator2`"
)


# -- modals ----------------------------------------------------------------------------


def add_modal(draft: SessionDraft) -> dict[str, Any]:
    """The form to add a session, with the project's people chosen already."""
    return _session_modal(
        callback_id=ADD_CALLBACK,
        private_metadata=str(draft.project_id),
        heading="Add a session",
        submit="Schedule",
        timezone=draft.timezone,
        intro=f"A new co-production session for *{escape(draft.project_name)}*.",
        facilitators=draft.practitioners,
        participants=draft.participants,
    )


def edit_modal(view: SessionView) -> dict[str, Any]:
    """The same form, filled in with the session as it is."""
    local = view.local_start
    return _session_modal(
        callback_id=EDIT_CALLBACK,
        private_metadata=str(view.id),
        heading="Edit session",
        submit="Save",
        timezone=view.timezone,
        intro=f"Editing *{escape(view.title)}*.",
        title=view.title,
        day=local.date(),
        start=local.time(),
        duration=_short_duration(view),
        venue=view.venue,
        facilitators=view.facilitators,
        participants=view.participants,
        objectives=view.objectives,
    )


def move_modal(view: SessionView) -> dict[str, Any]:
    """A small form: a new date and start time, the rest stays."""
    local = view.local_start
    blocks = [
        section(
            f"*{escape(view.title)}* is now on {slack_date(view.starts_at, view.timezone)} "
            f"for {format_duration(view.duration)}. Its reminders move with it."
        ),
        _date_input(local.date()),
        _time_input(local.time(), view.timezone),
    ]
    return forms.modal(MOVE_CALLBACK, "Move session", blocks, metadata=str(view.id), submit="Move")


def saved_modal(saved: SessionSaved, *, heading: str) -> dict[str, Any]:
    """What the coordinator sees after saving: the session, and any warnings."""
    blocks: list[dict[str, Any]] = [section(saved_summary(saved))]
    for warning in saved.warnings:
        blocks.append(section(f":warning: {escape_but_mentions(warning.message)}"))
    if saved.warnings:
        blocks.append(
            context("The session is saved. Move or edit it from `/cobot sessions` if you wish.")
        )
    return forms.modal("session_saved", heading, blocks, submit=None, close="Done")


def saving_modal(*, heading: str, people: int) -> dict[str, Any]:
    """Shown at once while a big session is saved (its reminders planned) after the ack."""
    return forms.modal(
        "session_saving",
        heading,
        [
            section(
                f":hourglass_flowing_sand: Saving the session and planning the reminders of its "
                f"{people} people. This form will show the result in a moment; you can close "
                "it, and I'll send you the result in a message."
            )
        ],
        submit=None,
        close="Close",
    )


def not_saved_modal(message: str, *, heading: str) -> dict[str, Any]:
    """A big session that could not be saved after all (something changed meanwhile)."""
    return forms.modal(
        "session_not_saved",
        heading,
        [section(f":x: {escape(message)}\nNothing was changed; try again.")],
        submit=None,
        close="Close",
    )


def _session_modal(
    *,
    callback_id: str,
    private_metadata: str,
    heading: str,
    submit: str,
    timezone: str,
    intro: str,
    title: str = "",
    day: date | None = None,
    start: time | None = None,
    duration: str = "2h",
    venue: str = "",
    facilitators: Sequence[str] = (),
    participants: Sequence[str] = (),
    objectives: str = "",
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        section(intro),
        _text_input("title", "Title", title, max_length=MAX_TITLE),
        _date_input(day),
        _time_input(start, timezone),
        _text_input(
            "duration",
            "Duration",
            duration,
            hint="For example 2h, 90m or 1h30m. The case study's sessions were two hours.",
            max_length=30,
        ),
        _text_input(
            "venue",
            "Venue or link",
            venue,
            optional=True,
            max_length=MAX_VENUE,
            hint="Think about access: step-free, quiet, a microphone in large rooms.",
        ),
        forms.users_select(
            "facilitators",
            "Facilitators",
            initial=facilitators,
            hint="At least two: they support each other and the group.",
        ),
        forms.users_select(
            "participants",
            "Participants",
            initial=participants,
            optional=True,
            hint="Up to 12 lets every voice be heard.",
        ),
        _text_input(
            "objectives",
            "Objectives for this session",
            objectives,
            optional=True,
            multiline=True,
            max_length=2500,
            hint="Stated at the start of the session and in every reminder.",
        ),
    ]
    return forms.modal(callback_id, heading, blocks, metadata=private_metadata, submit=submit)


_text_input = forms.text_input


def _date_input(initial: date | None) -> dict[str, Any]:
    return forms.datepicker("date", "Date", initial=initial)


def _time_input(initial: time | None, timezone: str) -> dict[str, Any]:
    return forms.timepicker(
        "time",
        f"Start time ({timezone})",
        initial=initial,
        hint=f"In the project's time zone, {timezone}; everyone sees it in their own.",
    )


def form_errors(
    problems: Iterable[Problem], *, blocks: Sequence[str], fallback: str
) -> dict[str, str]:
    """Problems as a modal's inline errors, one message per input block."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        block = problem.field if problem.field in blocks else fallback
        errors.setdefault(block, []).append(problem.message)
    return {block: " ".join(messages) for block, messages in errors.items()}


# -- messages --------------------------------------------------------------------------


def session_line(view: SessionView) -> str:
    """One session in a few lines of mrkdwn: when, how long, where, who."""
    where = escape(view.venue) if view.venue else "venue to be confirmed"
    group = len(view.participants)
    return (
        f"*{escape(view.title)}*\n"
        f"{slack_date(view.starts_at, view.timezone)} · {format_duration(view.duration)} · "
        f"{where}\n"
        f"Facilitators: {mentions(view.facilitators)} · "
        f"{group} participant{'' if group == 1 else 's'}"
    )


def session_actions(view: SessionView) -> dict[str, Any]:
    """Move, Edit and Cancel for one session (the handlers re-check who pressed them)."""
    cancel = button("Cancel", CANCEL_ACTION, str(view.id), style="danger")
    cancel["confirm"] = {
        "title": plain("Cancel this session?", 100),
        "text": plain(
            f"“{view.title[:120]}” will be cancelled and its reminders will not be sent.", 300
        ),
        "confirm": plain("Cancel the session", 30),
        "deny": plain("Keep it", 30),
        "style": "danger",
    }
    return actions(
        [
            button("Move", MOVE_ACTION, str(view.id)),
            button("Edit", EDIT_ACTION, str(view.id)),
            button("Find a new time", FIND_TIME_ACTION, str(view.id)),
            cancel,
        ],
        block_id=f"session_{view.id}",
    )


def sessions_list(listing: SessionList) -> list[dict[str, Any]]:
    """The upcoming sessions; buttons only for coordinators; at most 50 blocks."""
    blocks: list[dict[str, Any]] = [header(f"Upcoming sessions: {listing.project_name}")]
    if not listing.sessions:
        hint = " Add one with `/cobot session add`." if listing.can_change else ""
        blocks.append(section(f"No sessions are scheduled yet.{hint}"))
        return blocks
    for view in listing.sessions[:LIST_LIMIT]:
        blocks.append(section(session_line(view)))
        if listing.can_change:
            blocks.append(session_actions(view))
    hidden = len(listing.sessions) - LIST_LIMIT
    if hidden > 0:
        later = listing.sessions[LIST_LIMIT:]
        blocks.append(
            context(
                f"…and {hidden} more, the last on "
                f"{slack_date(later[-1].starts_at, listing.timezone)}. "
                "`/cobot calendar` has them all."
            )
        )
    return blocks


def sessions_text(listing: SessionList) -> str:
    """The notification fallback of the list."""
    count = len(listing.sessions)
    return f"{count} upcoming session{'' if count == 1 else 's'} in {escape(listing.project_name)}"


def saved_summary(saved: SessionSaved) -> str:
    """One line: what was scheduled, when, for how long."""
    view = saved.view
    verb = "Moved" if saved.moved else "Saved"
    return (
        f"{verb} *{escape(view.title)}*: {slack_date(view.starts_at, view.timezone)}, "
        f"{format_duration(view.duration)}, facilitated by {mentions(view.facilitators)} "
        f"with {len(view.participants)} participants."
    )


def saved_text(saved: SessionSaved) -> str:
    """The one-liner's answer: the session and any warnings."""
    lines = [f":white_check_mark: {saved_summary(saved)}"]
    lines += [f":warning: {escape(w.message)}" for w in saved.warnings]
    return "\n".join(lines)


def one_liner_error_text(problems: Sequence[str]) -> str:
    """What was wrong with a one-line command, and how to write it."""
    listed = "\n".join(f"• {escape(p)}" for p in problems)
    return (
        f"I couldn't read that session, so nothing was scheduled:\n{listed}\n"
        f"Write it as {USAGE}, for example "
        '`/cobot session add "Kick-off" 2027-01-14 10:00 2h with @ana @ben`, '
        "or type `/cobot session add` alone for a form."
    )


def cancelled_text(view: SessionView) -> str:
    """The coordinator's confirmation of a cancellation."""
    return (
        f"Cancelled *{escape(view.title)}* ({slack_date(view.starts_at, view.timezone)}). "
        "Its reminders will not be sent and the channel has been told."
    )


def announcement_message(announcement: Announcement) -> OutgoingMessage:
    """A session announced in the project channel, rendered from its current state."""
    view = announcement.session
    when = slack_date(view.starts_at, view.timezone)
    if announcement.change == "cancelled":
        text = f"Cancelled: {escape(view.title)}"
        return OutgoingMessage(
            text=text,
            blocks=[
                section(
                    f":no_entry_sign: *{escape(view.title)}* on {when} is cancelled. "
                    "Its reminders will not be sent."
                )
            ],
        )
    moved = announcement.change == "moved"
    heading = f"{'Session moved' if moved else 'New session'}: {view.title}"
    blocks: list[dict[str, Any]] = []
    if announcement.aims.strip():
        blocks.append(section(f"*Project aims*\n{escape(announcement.aims.strip())}"))
    blocks.append(header(heading))
    blocks.append(section(session_line(view)))
    if view.objectives:
        blocks.append(section(f"*Objectives for this session*\n{escape(view.objectives)}"))
    blocks.append(session_actions(view))
    blocks.append(context("Only coordinators can move, edit or cancel a session."))
    fallback = f"{'Session moved' if moved else 'New session'}: {escape(view.title)}"
    return OutgoingMessage(text=f"{fallback}, {when}", blocks=blocks)


def _short_duration(view: SessionView) -> str:
    minutes = int(view.duration.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"
