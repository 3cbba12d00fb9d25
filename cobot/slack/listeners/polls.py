"""/cobot find time, /cobot availability, and a poll's selects and buttons: answers update
the person's message and the starter's tally in place (chat.update)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from cobot.domain.polls import MAX_WINDOWS
from cobot.domain.polls import Audience
from cobot.domain.polls import BusyWindow
from cobot.domain.polls import PartOfDay
from cobot.domain.polls import PollInput
from cobot.domain.polls import poll_from_form
from cobot.services.polls import Polls
from cobot.services.polls import Tally
from cobot.slack import kit
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.polls import ANSWER_ACTION
from cobot.slack.blocks.polls import AVAILABILITY_CALLBACK
from cobot.slack.blocks.polls import CANCEL_ACTION
from cobot.slack.blocks.polls import CHOOSE_NOW_ACTION
from cobot.slack.blocks.polls import FIND_CALLBACK
from cobot.slack.blocks.polls import NOTE_ACTION
from cobot.slack.blocks.polls import NOTE_CALLBACK
from cobot.slack.blocks.polls import NOTES_ACTION
from cobot.slack.blocks.polls import SCHEDULE_ACTION
from cobot.slack.blocks.polls import SLOT_BLOCKS
from cobot.slack.blocks.polls import availability_modal
from cobot.slack.blocks.polls import availability_saved_text
from cobot.slack.blocks.polls import choice_blocks
from cobot.slack.blocks.polls import find_time_modal
from cobot.slack.blocks.polls import invitation_blocks
from cobot.slack.blocks.polls import invitation_text
from cobot.slack.blocks.polls import note_modal
from cobot.slack.blocks.polls import notes_modal
from cobot.slack.blocks.polls import scheduled_text
from cobot.slack.blocks.polls import started_modal
from cobot.slack.blocks.polls import tally_blocks
from cobot.slack.blocks.polls import tally_text
from cobot.slack.blocks.sessions import FIND_TIME_ACTION
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.kit import Answer
from cobot.slack.kit import Form
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Stale
from cobot.slack.kit import Submission

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date."


class Updates:
    """Poll messages to update in place (chat.update), the latest content per message, sent
    by one background thread: a burst of answers never holds Bolt's workers at the rate gate
    (chat.update is Tier 3), and a message answered five times quickly is updated with the
    last state, not five times."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._pending: dict[tuple[str, str], tuple[str, list[Any]]] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False

    def put(self, where: tuple[str, str] | None, text: str, blocks: list[Any]) -> None:
        """Update message `where` (channel, ts) to this, soon; a newer put replaces it."""
        if where is None:
            return
        with self._wake:
            self._pending.pop(where, None)
            self._pending[where] = (text, blocks)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="cobot-poll-updates", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def idle(self) -> bool:
        """Nothing waiting or being sent (for tests and the demo)."""
        with self._wake:
            return not self._pending and not self._busy

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._pending and not self._wake.wait_for(
                    lambda: bool(self._pending), timeout=5.0
                ):
                    self._thread = None
                    return
                where = next(iter(self._pending))
                text, blocks = self._pending.pop(where)
                self._busy = True
            try:
                self._client.chat_update(channel=where[0], ts=where[1], text=text, blocks=blocks)
            except SlackApiError as exc:
                log.info("could not update a poll message: %s", exc.response.get("error"))
            except Exception:  # one message must not stop the others
                log.exception("could not update a poll message")
            finally:
                with self._wake:
                    self._busy = False


@dataclass(frozen=True)
class Deps:
    """What the polls' listeners call."""

    polls: Polls
    updates: Updates


listen = kit.Listeners(group="Finding a time")


def register(app: App, router: CommandRouter, *, polls: Polls, client: Any) -> Updates:
    """Add `find time` and `availability` and the polls' forms, selects and buttons;
    returns the in-place updater."""
    deps = Deps(polls=polls, updates=Updates(client))
    listen.wire(app, router, deps, _COMMANDS)
    return deps.updates


# -- reading the forms (pure) ------------------------------------------------------------


def read_poll_form(
    values: dict[str, Any], *, timezone: str, today: date, now: datetime
) -> tuple[PollInput, Audience, tuple[str, ...]]:
    """The find-time form: the poll (its `asked` are the named people; the audience is
    added by the service), or FormError naming each field to fix."""
    form = Form(values)
    problems: dict[str, str] = {}
    duration = kit.read_duration(form, "duration", problems)
    starts: list[datetime] = []
    for block_id in SLOT_BLOCKS:
        raw = form.element(block_id).get("selected_date_time")
        if isinstance(raw, int | float | str) and str(raw).strip():
            try:
                starts.append(datetime.fromtimestamp(int(float(raw)), UTC))
            except (ValueError, OverflowError, OSError):
                problems[block_id] = "That is not a date and time."
    data, audience, found = poll_from_form(
        purpose=form.selected("purpose"),
        title=form.text("title"),
        duration=duration,
        starts=starts,
        generate_from=form.date("gen_from"),
        weeks=form.selected("gen_weeks"),
        every_minutes=form.selected("gen_every"),
        day_start=form.time("gen_start"),
        day_end=form.time("gen_end"),
        weekdays_only=form.selected("gen_days") != "every",
        audience=form.selected("audience"),
        asked=form.users("asked"),
        closes_on=form.date("closes"),
        timezone=timezone,
        today=today,
        now=now,
    )
    problems.update(found)
    if problems:
        raise FormError(problems)
    return data, audience, data.asked


def read_availability(values: dict[str, Any]) -> tuple[list[int], PartOfDay, list[BusyWindow], str]:
    """The availability form."""
    form = Form(values)
    days = [int(v) for v in form.checked("weekdays_off") if v.isdigit()]
    try:
        part = PartOfDay(form.selected("part") or PartOfDay.ANY)
    except ValueError:
        part = PartOfDay.ANY
    windows = []
    problems: dict[str, str] = {}
    for number in range(1, MAX_WINDOWS + 1):
        start, end = form.time(f"window{number}_start"), form.time(f"window{number}_end")
        label = form.text(f"window{number}_label").strip()
        if start is None and end is None:
            if label:
                problems[f"window{number}_start"] = "Give the times you are busy."
            continue
        if start is None or end is None:
            problems[f"window{number}_end" if start else f"window{number}_start"] = (
                "Give both times."
            )
            continue
        windows.append(BusyWindow(start=start, end=end, label=label))
    if problems:
        raise FormError(problems)
    return days, part, windows, form.text("note")


# -- commands ----------------------------------------------------------------------------


def on_find_time(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot find time`: the form."""
    tools.open(find_time_modal(deps.polls.draft(**request.caller)))


def on_availability(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot availability`: the form."""
    tools.open(availability_modal(deps.polls.standing(**request.caller)))


# -- forms -------------------------------------------------------------------------------


def _metadata(sent: Submission) -> tuple[int, int | None]:
    project, _, session = sent.metadata.partition(":")
    if not project.isdigit() or (session and not session.isdigit()):
        raise Stale(STALE_FORM)
    return int(project), int(session) if session else None


@listen.form(FIND_CALLBACK, fallback="slots")
def on_find_submitted(deps: Deps, sent: Submission) -> Answer:
    """Read, check (inline errors), start."""
    project_id, session_id = _metadata(sent)
    timezone, today, now = deps.polls.form_context(team_id=sent.team, project_id=project_id)
    data, audience, named = read_poll_form(sent.values, timezone=timezone, today=today, now=now)
    asked = deps.polls.audience(
        team_id=sent.team, project_id=project_id, audience=audience, named=named
    )
    tally = deps.polls.start(
        **sent.caller,
        project_id=project_id,
        data=replace(data, asked=asked),
        session_id=session_id,
        form_id=sent.view_id,
    )
    return Answer(view=started_modal(tally))


@listen.form(NOTE_CALLBACK, fallback="note")
def on_note_submitted(deps: Deps, sent: Submission) -> Answer:
    """Keep the note; the invitation it came from updates in place."""
    poll_id, _, where = sent.metadata.partition(":")
    if not poll_id.isdigit():
        raise Stale(STALE_FORM)
    note = sent.form().text("note")
    saved = deps.polls.save_note(**sent.caller, poll_id=int(poll_id), note=note)
    inv = saved.invitation
    channel, _, ts = where.partition(":")
    if channel and ts:
        deps.updates.put((channel, ts), invitation_text(inv), invitation_blocks(inv))
    _update_tally(deps, saved.tally, saved.tally_at)
    return Answer()


@listen.form(AVAILABILITY_CALLBACK, fallback="note")
def on_availability_submitted(deps: Deps, sent: Submission) -> Answer:
    """Keep the person's standing availability."""
    project_id = sent.id(STALE_FORM)
    days, part, windows, note = read_availability(sent.values)
    view = deps.polls.save_standing(
        **sent.caller,
        project_id=project_id,
        weekdays_off=days,
        part=part,
        windows=windows,
        note=note,
    )
    return Answer(dm=availability_saved_text(view))


# -- selects and buttons -------------------------------------------------------------------


def _update_tally(deps: Deps, tally: Tally, where: tuple[str, str] | None) -> None:
    deps.updates.put(where, tally_text(tally), tally_blocks(tally))


def _container(press: Press) -> tuple[str, str] | None:
    container = press.body.get("container") or {}
    channel = container.get("channel_id") or (press.body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    return (str(channel), str(ts)) if channel and ts else None


@listen.button(ANSWER_ACTION)
def on_answer(deps: Deps, press: Press) -> None:
    """A slot's select: record the answer, update the invitation and the tally in place."""
    action = (press.body.get("actions") or [{}])[0]
    parts = str(action.get("block_id") or "").split(":")
    option = action.get("selected_option") or {}
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise Stale()
    answered = deps.polls.answer(
        **press.caller,
        poll_id=int(parts[1]),
        slot_id=int(parts[2]),
        answer=str(option.get("value") or ""),
    )
    inv = answered.invitation
    deps.updates.put(_container(press), invitation_text(inv), invitation_blocks(inv))
    _update_tally(deps, answered.tally, answered.tally_at)


@listen.button(NOTE_ACTION)
def open_note(deps: Deps, press: Press) -> None:
    """The note form (its metadata says which message to update)."""
    poll_id = press.id()
    note = deps.polls.note_form(**press.caller, poll_id=poll_id)
    view = note_modal(poll_id, note)
    where = _container(press)
    if where is not None:
        view["private_metadata"] = f"{poll_id}:{where[0]}:{where[1]}"
    press.open(view)


@listen.button(CHOOSE_NOW_ACTION)
def on_choose_now(deps: Deps, press: Press) -> None:
    """The ranking as answers stand, in the presser's DM."""
    choice = deps.polls.choice(**press.caller, poll_id=press.id())
    press.dm(
        f"The best times for “{escape(choice.title)}” so far",
        blocks=choice_blocks(choice),
        what="a poll's ranking",
    )


@listen.button(SCHEDULE_ACTION)
def on_schedule(deps: Deps, press: Press) -> None:
    """One click: schedule the slot through the sessions service; the poll closes (the
    ledger updates its invitations and tally in place)."""
    poll_id, _, slot_id = press.value.partition(":")
    if not poll_id.isdigit() or not slot_id.isdigit():
        raise Stale()
    done = deps.polls.choose(**press.caller, poll_id=int(poll_id), slot_id=int(slot_id))
    view = done.saved.view
    text = scheduled_text(
        view.title, view.starts_at, view.timezone, [w.message for w in done.saved.warnings]
    )
    press.replace(text)


@listen.button(CANCEL_ACTION)
def on_cancel(deps: Deps, press: Press) -> None:
    """Cancel the poll; everyone asked hears (the ledger updates what they were sent)."""
    tally = deps.polls.cancel(**press.caller, poll_id=press.id())
    press.tell(f"The poll for “{escape(tally.title)}” is cancelled; everyone asked is being told.")


@listen.button(NOTES_ACTION)
def on_notes(deps: Deps, press: Press) -> None:
    """What would make it easier to come (coordinators only)."""
    poll_id = press.id()
    tally = deps.polls.tally(**press.caller, poll_id=poll_id)
    notes = deps.polls.notes(**press.caller, poll_id=poll_id)
    press.open(notes_modal(tally.title, notes))


@listen.button(FIND_TIME_ACTION)
def on_find_for_session(deps: Deps, press: Press) -> None:
    """A session's "Find a new time": the form, for that session's people."""
    draft = deps.polls.draft(**press.caller, channel_id="", session_id=press.id())
    press.open(find_time_modal(draft))


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "find time",
        "ask people which times work; cobot ranks them and schedules the best",
        on_find_time,
    ),
    Command(
        "availability",
        "your usual availability (optional): days, mornings or afternoons, busy times",
        on_availability,
    ),
)
