"""/cobot session add, /cobot sessions, /cobot calendar, and the Move/Edit/Cancel buttons."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import time
from functools import partial
from typing import Any
from typing import TypedDict

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from cobot.domain.durations import DurationError
from cobot.domain.durations import parse_duration
from cobot.domain.sessions import SessionInput
from cobot.services.access import AccessError
from cobot.services.sessions import SessionCheck
from cobot.services.sessions import SessionRejected
from cobot.services.sessions import Sessions
from cobot.services.sessions import SessionSaved
from cobot.slack import kit
from cobot.slack.blocks.sessions import ADD_CALLBACK
from cobot.slack.blocks.sessions import CANCEL_ACTION
from cobot.slack.blocks.sessions import EDIT_ACTION
from cobot.slack.blocks.sessions import EDIT_CALLBACK
from cobot.slack.blocks.sessions import FORM_BLOCKS
from cobot.slack.blocks.sessions import MOVE_ACTION
from cobot.slack.blocks.sessions import MOVE_BLOCKS
from cobot.slack.blocks.sessions import MOVE_CALLBACK
from cobot.slack.blocks.sessions import USAGE
from cobot.slack.blocks.sessions import VALUE
from cobot.slack.blocks.sessions import add_modal
from cobot.slack.blocks.sessions import cancelled_text
from cobot.slack.blocks.sessions import edit_modal
from cobot.slack.blocks.sessions import form_errors
from cobot.slack.blocks.sessions import move_modal
from cobot.slack.blocks.sessions import not_saved_modal
from cobot.slack.blocks.sessions import one_liner_error_text
from cobot.slack.blocks.sessions import saved_modal
from cobot.slack.blocks.sessions import saved_text
from cobot.slack.blocks.sessions import saving_modal
from cobot.slack.blocks.sessions import sessions_list
from cobot.slack.blocks.sessions import sessions_text
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.commands import shows
from cobot.slack.kit import Answer
from cobot.slack.kit import Form
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Submission
from cobot.slack.payloads import mentioned_user

log = logging.getLogger(__name__)

# a session with more people than this is saved after the ack: planning reminders for each
# of them can take longer than the 3 seconds Slack waits for an answer
ACK_FIRST_ABOVE = 100

_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
STALE_BUTTON = "That button is out of date; try `/cobot sessions` again."
STALE_FORM = "This form is out of date."


@dataclass(frozen=True)
class NewTime:
    """A move: a new local date and start time."""

    day: date
    start: time


# -- parsing (pure) ----------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    """A YYYY-MM-DD date, or None."""
    if not _DATE.fullmatch(text.strip()):
        return None
    year, month, day = (int(part) for part in text.strip().split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """A 24-hour HH:MM time, or None."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_one_liner(args: list[str]) -> SessionInput:
    """`"<title>" <YYYY-MM-DD> <HH:MM> <duration> with <@U1> <@U2>` as a session input.

    Participants are left empty (the service invites the project's participants). Raises
    FormError naming every part that was wrong.
    """
    problems: dict[str, str] = {}
    lowered = [a.lower() for a in args]
    if "with" in lowered:
        split = lowered.index("with")
        head, tail = args[:split], args[split + 1 :]
    else:
        head, tail = args, []
        problems["with"] = "`with` is missing: put it before the facilitators."
    # the title may be quoted (one argument) or not: it runs up to the first date-like word
    at = next((i for i, a in enumerate(head) if i > 0 and _DATE.fullmatch(a)), 1)
    title = " ".join(head[:at]).strip()
    if not title:
        problems["title"] = "the title is missing."
    day_text = head[at] if len(head) > at else ""
    time_text = head[at + 1] if len(head) > at + 1 else ""
    duration_text = " ".join(head[at + 2 :])
    day = parse_date(day_text)
    if day is None:
        problems["date"] = (
            f"“{day_text}” is not a date: write it as YYYY-MM-DD, for example 2027-01-14."
            if day_text
            else "the date is missing (YYYY-MM-DD)."
        )
    start = parse_time(time_text)
    if start is None:
        problems["time"] = (
            f"“{time_text}” is not a time: write it as HH:MM on a 24-hour clock, e.g. 14:30."
            if time_text
            else "the start time is missing (HH:MM)."
        )
    duration = None
    if not duration_text:
        problems["duration"] = "the duration is missing (for example 2h or 90m)."
    else:
        try:
            duration = parse_duration(duration_text)
        except DurationError:
            problems["duration"] = f"“{duration_text}” is not a duration: try 2h, 90m or 1h30m."
    facilitators: list[str] = []
    for word in tail:
        match = mentioned_user(word)
        if match is None:
            problems["facilitators"] = (
                f"“{word}” is not a person: choose facilitators from Slack's @ list "
                "so they arrive as mentions."
            )
            break
        facilitators.append(match)
    if "with" not in problems and not tail:
        problems["facilitators"] = "name the facilitators after `with`."
    if problems or day is None or start is None or duration is None:
        raise FormError(problems)
    return SessionInput(
        title=title,
        day=day,
        start=start,
        duration=duration,
        facilitators=tuple(facilitators),
        participants=(),
    )


def read_new_time(values: dict[str, Any]) -> NewTime:
    """The date and time inputs of a session form (datepicker, timepicker)."""
    problems: dict[str, str] = {}
    form = Form(values, VALUE)
    day = parse_date(str(form.element("date").get("selected_date") or ""))
    if day is None:
        problems["date"] = "Pick a date."
    start = parse_time(str(form.element("time").get("selected_time") or ""))
    if start is None:
        problems["time"] = "Pick a start time."
    if problems or day is None or start is None:
        raise FormError(problems)
    return NewTime(day=day, start=start)


def read_session_form(values: dict[str, Any]) -> SessionInput:
    """Every input of the add/edit form, as Slack sends them in view.state.values."""
    problems: dict[str, str] = {}
    form = Form(values, VALUE)
    try:
        when: NewTime | None = read_new_time(values)
    except FormError as exc:
        problems.update(exc.problems)
        when = None
    duration = kit.read_duration(form, "duration", problems)
    if problems or when is None or duration is None:
        raise FormError(problems)
    return SessionInput(
        title=form.text("title"),
        day=when.day,
        start=when.start,
        duration=duration,
        facilitators=form.users("facilitators"),
        participants=form.users("participants"),
        venue=form.text("venue"),
        objectives=form.text("objectives"),
    )


# -- listeners --------------------------------------------------------------------------

Save = Callable[[], SessionSaved]


class Outcome(TypedDict):
    """Where a session form's refusals go (its blocks, else `fallback`) and how its result
    is headed."""

    blocks: tuple[str, ...]
    fallback: str
    heading: str


SAVED = Outcome(blocks=FORM_BLOCKS, fallback="title", heading="Session saved")
MOVED = Outcome(blocks=MOVE_BLOCKS, fallback="date", heading="Session moved")


listen = kit.Listeners(group="Sessions")


def register(app: App, router: CommandRouter, *, sessions: Sessions) -> None:
    """Add the sessions subcommands to the router and the buttons and modals to the app."""
    listen.wire(app, router, sessions, _COMMANDS)


# -- slash commands ---------------------------------------------------------------------


def on_add(sessions: Sessions, request: CommandRequest, tools: CommandTools) -> Reply | None:
    """`/cobot session add`: the form, or the whole session in one line."""
    if request.args:
        return _add_one_line(sessions, request, tools)
    tools.open(add_modal(sessions.draft(**request.caller)))
    return None


def on_calendar(sessions: Sessions, request: CommandRequest, tools: Any) -> Reply | None:
    """`/cobot calendar`: acked first, the .ics file follows in the channel."""
    file = sessions.calendar(team_id=request.team_id, channel_id=request.channel_id)
    tools.ack(text=f"Posting the calendar ({file.sessions} sessions) to this channel…")
    try:
        tools.client.files_upload_v2(
            channel=request.channel_id,
            content=file.content,
            filename=file.filename,
            title=file.filename,
            initial_comment=(
                "The project's sessions as a calendar file: open it to add them to your "
                "calendar. Cancelled sessions are marked so calendars drop them."
            ),
        )
    except SlackApiError as exc:
        log.warning("could not upload the calendar: %s", exc.response.get("error"))
        tools.client.chat_postEphemeral(
            channel=request.channel_id,
            user=request.user_id,
            text="Slack would not take the calendar file here; is cobot in this channel?",
        )
    return None


# -- modals -----------------------------------------------------------------------------


@listen.form(ADD_CALLBACK, fallback=SAVED["fallback"])
def on_add_submitted(sessions: Sessions, sent: Submission) -> Answer:
    """The add form: read, check, save (the form id makes a double submit save once)."""
    data = read_session_form(sent.values)
    project_id = sent.id(STALE_FORM)
    save = partial(sessions.add, form_id=sent.view_id)
    return finish(sent, sessions.check_add, save, SAVED, project_id=project_id, data=data)


@listen.form(EDIT_CALLBACK, fallback=SAVED["fallback"])
def on_edit_submitted(sessions: Sessions, sent: Submission) -> Answer:
    """The edit form: read, check, save."""
    data = read_session_form(sent.values)
    session_id = sent.id(STALE_FORM)
    return finish(sent, sessions.check_edit, sessions.edit, SAVED, session_id=session_id, data=data)


@listen.form(MOVE_CALLBACK, fallback=MOVED["fallback"])
def on_move_submitted(sessions: Sessions, sent: Submission) -> Answer:
    """The move form: a new date and start time."""
    when = read_new_time(sent.values)
    session_id = sent.id(STALE_FORM)
    return finish(
        sent,
        sessions.check_move,
        sessions.move,
        MOVED,
        session_id=session_id,
        day=when.day,
        start=when.start,
    )


def finish(
    sent: Submission,
    check: Callable[..., SessionCheck],
    save: Callable[..., SessionSaved],
    outcome: Outcome,
    **asked: Any,
) -> Answer:
    """Check what was `asked` (with the caller; refusals go back inline, in the ack), then
    save it: within the ack for a small session, after it for a big one (planning each
    person's reminders takes longer than Slack waits), updating the form when done."""
    heading = outcome["heading"]
    saving = partial(save, **sent.caller, **asked)
    try:
        checked = check(**sent.caller, **asked)
        if checked.people <= ACK_FIRST_ABOVE:
            return Answer(view=saved_modal(saving(), heading=heading))
    except SessionRejected as exc:
        problems = form_errors(exc.problems, blocks=outcome["blocks"], fallback=outcome["fallback"])
        raise FormError(problems) from exc
    return Answer(
        view=saving_modal(heading=heading, people=checked.people),
        then=partial(_save_after_ack, sent, saving, heading),
    )


def _save_after_ack(sent: Submission, save: Save, heading: str) -> None:
    """The big save, after the ack: the form shows the result, or a message if it closed."""
    try:
        result = saved_modal(save(), heading=heading)
        text = str(result["blocks"][0]["text"]["text"])
    except AccessError as exc:  # something changed between the check and the save
        result = not_saved_modal(exc.message, heading="Not saved")
        text = f"I couldn't save that session after all: {exc.message}"
    except SQLAlchemyError:  # after the ack nobody else would tell them
        log.exception("could not save a session after acknowledging it")
        message = "The database did not answer while saving it."
        result = not_saved_modal(message, heading="Not saved")
        text = f"I couldn't save that session: {message} Nothing was changed; try again."
    try:
        sent.client.views_update(view_id=sent.view["id"], view=result)
    except SlackApiError as exc:  # closed meanwhile: tell them in a message instead
        log.info("could not update a session form: %s", exc.response.get("error"))
        kit.dm(sent.client, sent.user, text, what="a session's result")


# -- buttons ----------------------------------------------------------------------------


@listen.button(MOVE_ACTION, EDIT_ACTION)
def open_form(sessions: Sessions, press: Press) -> None:
    """Move or Edit: the form."""
    session_id = press.id(STALE_BUTTON)
    found = sessions.form(**press.caller, session_id=session_id)
    press.open(move_modal(found) if press.action_id == MOVE_ACTION else edit_modal(found))


@listen.button(CANCEL_ACTION)
def on_cancel(sessions: Sessions, press: Press) -> None:
    """Cancel a session."""
    session_id = press.id(STALE_BUTTON)
    cancelled = sessions.cancel(**press.caller, session_id=session_id)
    press.tell(cancelled_text(cancelled))


def _add_one_line(sessions: Sessions, request: CommandRequest, tools: CommandTools) -> Reply:
    try:
        data = parse_one_liner(request.args)
    except FormError as exc:
        return Reply(text=one_liner_error_text(list(exc.problems.values())))
    checked = sessions.check_add(**request.caller, data=data, default_participants=True)
    if checked.people > ACK_FIRST_ABOVE:
        # the answer comes through the response URL once the reminders are planned
        tools.ack(text=f":hourglass_flowing_sand: Saving the session for {checked.people} people…")
    saved = sessions.add(**request.caller, data=data, default_participants=True)
    return Reply(text=saved_text(saved))


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "session add",
        "schedule a session: a form, or all in one line",
        on_add,
        usage='session add ["<title>" <YYYY-MM-DD> <HH:MM> <duration> with @f1 @f2]',
    ),
    Command(
        "sessions",
        "upcoming sessions; coordinators can move, edit or cancel them",
        shows("upcoming", sessions_text, sessions_list),
    ),
    Command("calendar", "post the project's sessions as a calendar (.ics) file", on_calendar),
)

__all__ = [
    "USAGE",
    "FormError",
    "finish",
    "parse_one_liner",
    "read_new_time",
    "read_session_form",
    "register",
]
