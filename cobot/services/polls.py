"""Finding a time that works: start a poll, take answers, tally, nudge, close, rank, and
schedule the chosen time through the sessions service (so every rule and reminder applies);
and each person's standing availability, which polls and the session form consult.

Every message is a delivery in the ledger, rendered at send time from the rows: the
invitations (one per person, in their own time zone), the coordinator's tally, the nudge a
day before answers close, the close (which closes the poll once, whoever's process sends
it) and the outcome everyone asked hears.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.polls import ABLE
from cobot.domain.polls import DEFAULT_CLOSE
from cobot.domain.polls import MAX_NOTE
from cobot.domain.polls import MAX_WINDOWS
from cobot.domain.polls import NUDGE_BEFORE
from cobot.domain.polls import STORED_ANSWERS
from cobot.domain.polls import Answer
from cobot.domain.polls import Audience
from cobot.domain.polls import BusyWindow
from cobot.domain.polls import Counts
from cobot.domain.polls import PartOfDay
from cobot.domain.polls import PollInput
from cobot.domain.polls import PollPurpose
from cobot.domain.polls import PollStatus
from cobot.domain.polls import Ranked
from cobot.domain.polls import SlotTally
from cobot.domain.polls import Standing
from cobot.domain.polls import check_poll
from cobot.domain.polls import clash
from cobot.domain.polls import count
from cobot.domain.polls import rank
from cobot.domain.polls import session_kind
from cobot.domain.roles import Role
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import SessionInput
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.sessions import interval_warnings
from cobot.domain.text import TypedText
from cobot.domain.zones import first_valid_timezone
from cobot.domain.zones import local_day
from cobot.services import access
from cobot.services import deliveries
from cobot.services import receipts
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.base import ForProject
from cobot.services.base import Service
from cobot.services.ports import Clock
from cobot.services.ports import Directory
from cobot.services.ports import OutgoingMessage
from cobot.services.project_views import of_project
from cobot.services.resubmission import once_per_form
from cobot.services.sessions import Sessions
from cobot.services.sessions import SessionSaved
from cobot.services.sessions import neighbours
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import Availability
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Poll
from cobot.storage.models import PollAnswer
from cobot.storage.models import PollPerson
from cobot.storage.models import PollSlot
from cobot.storage.models import Project

SUBJECT = "poll"
INVITE = "poll_invite"
TALLY = "poll_tally"
NUDGE = "poll_nudge"
CLOSE = "poll_close"
OUTCOME = "poll_outcome"
# an invitation or the tally, updated in place once the poll closed or ended
REFRESH = "poll_refresh"
# its key: the message's, then (once the poll ended) the poll's status
REFRESH_KEY = "refresh"
# what tells the tally apart from the poll's other messages, in its delivery's key
TALLY_KEY = "tally"
STARTERS = (Role.COORDINATOR, Role.PRACTITIONER)
# a note to the poll (what would make it easier to come), or to the standing availability
_NOTE = TypedText(MAX_NOTE, "it")


class PollClosed(AccessError):
    """Answers can no longer change."""

    def __init__(self, status: str) -> None:
        said = {
            PollStatus.CLOSED: "Answers to this poll have closed.",
            PollStatus.SCHEDULED: "This poll is over: the time has been chosen.",
            PollStatus.CANCELLED: "This poll was cancelled.",
        }
        super().__init__(said.get(PollStatus(status), "This poll is over."))


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class PollDraft(ForProject):
    """What the find-time form starts from."""

    timezone: str
    purpose: PollPurpose
    title: str
    duration: timedelta
    closes_on: datetime
    # who is asked already (a moved session's people)
    user_ids: tuple[str, ...] = ()
    session_id: int | None = None
    moving_title: str = ""


@dataclass(frozen=True)
class ForSlot:
    """What a view of one of the poll's times starts with: the slot and when it is."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SlotLine(ForSlot):
    """One slot as the person asked sees it."""

    answer: Answer
    clash: str | None = None


@dataclass(frozen=True)
class Invitation:
    """One person's invitation DM: every slot with their answer, in their zone."""

    poll_id: int
    user_id: str
    title: str
    purpose: PollPurpose
    project_name: str
    # who started the poll
    by: str
    timezone: str
    duration: timedelta
    closes_at: datetime
    status: PollStatus
    slots: tuple[SlotLine, ...]
    has_note: bool
    moving_title: str = ""


# one slot's counts, facilitators apart: the domain's tally of a slot, which rank() takes
TallyRow = SlotTally


@dataclass(frozen=True)
class ForPoll:
    """What a message about one poll starts with: the poll, by id and by title."""

    poll_id: int
    title: str


@dataclass(frozen=True)
class Tally(ForPoll):
    """The live tally for the poll's starter."""

    purpose: PollPurpose
    project_name: str
    timezone: str
    status: PollStatus
    closes_at: datetime
    asked: int
    answered: int
    notes: int
    rows: tuple[TallyRow, ...]
    created_by: str
    session_id: int | None = None


@dataclass(frozen=True)
class Proposal(ForSlot):
    """A ranked slot with its reasons and the interval warnings the session form gives."""

    reasons: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Choice(ForPoll):
    """The top slots, for the starter or a coordinator to schedule with one click."""

    purpose: PollPurpose
    timezone: str
    status: PollStatus
    asked: int
    answered: int
    proposals: tuple[Proposal, ...]
    moving_title: str = ""


@dataclass(frozen=True)
class Outcome(ForPoll):
    """What everyone asked hears when the poll ends."""

    status: PollStatus
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    on_session: bool
    moved: bool


@dataclass(frozen=True)
class Nudge(ForPoll):
    """The one reminder to someone who has not answered."""

    closes_at: datetime
    timezone: str


PollNote = Invitation | Tally | Choice | Outcome | Nudge


@dataclass(frozen=True)
class NoteLine:
    """What one person said would make it easier to come (coordinators only)."""

    user_id: str
    text: str


@dataclass(frozen=True)
class Answered:
    """An answer taken: the person's invitation and the tally as they are now, and where
    the two messages are (to update in place)."""

    invitation: Invitation
    tally: Tally
    tally_at: tuple[str, str] | None


@dataclass(frozen=True)
class Scheduled:
    """A poll's chosen time, scheduled (added or moved) through the sessions service."""

    poll_id: int
    saved: SessionSaved


@dataclass(frozen=True)
class StandingView(ForProject):
    """A person's standing availability as their form shows it."""

    weekdays_off: frozenset[int]
    part: PartOfDay
    windows: tuple[BusyWindow, ...]
    note: str


# ---------------------------------------------------------------- the service


class Polls(Service):
    """Availability polls; each public call is one transaction (choose() includes the
    sessions service's add or move)."""

    def __init__(
        self,
        *,
        factory: Any,
        clock: Clock,
        directory: Directory,
        sessions: Sessions,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._directory = directory
        self._sessions = sessions

    # -- starting ------------------------------------------------------------------------

    def draft(
        self, *, team_id: str, channel_id: str, user_id: str, session_id: int | None = None
    ) -> PollDraft:
        """Start a poll in the channel's project (or for a new time for `session_id`)."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            if session_id is not None:
                row = access.session_by_id(db, team_id=team_id, session_id=session_id)
                project = access.project_by_id(db, team_id=team_id, project_id=row.project_id)
            else:
                project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
                row = None
            _require_starter(project, user_id)
            draft = PollDraft(
                **of_project(project),
                timezone=project.timezone,
                purpose=PollPurpose.WORKSHOP,
                title="",
                duration=timedelta(hours=2),
                closes_on=now + DEFAULT_CLOSE,
            )
            if row is None:
                return draft
            access.require_coordinator(project, user_id)
            if row.status != SessionStatus.SCHEDULED:
                raise AccessError(f"“{row.title}” was cancelled, so it can't be moved.")
            purpose = {
                SessionKind.WORKSHOP: PollPurpose.WORKSHOP,
                SessionKind.REFLECTIVE: PollPurpose.REFLECTIVE,
            }.get(SessionKind(row.kind), PollPurpose.OVERSIGHT)
            # a new time for the session: its kind, title, length and people
            return replace(
                draft,
                purpose=purpose,
                title=row.title,
                duration=row.ends_at - row.starts_at,
                user_ids=tuple(p.user_id for p in row.people),
                session_id=row.id,
                moving_title=row.title,
            )

    def form_context(self, *, team_id: str, project_id: int) -> tuple[str, date, datetime]:
        """The project's zone, today there, and now: what reading the form needs."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.project_by_id(db, team_id=team_id, project_id=project_id)
            return project.timezone, local_day(now, project.timezone), now

    def audience(
        self, *, team_id: str, project_id: int, audience: Audience, named: Sequence[str]
    ) -> tuple[str, ...]:
        """Who a poll would ask: the audience's members and anyone named, once each."""
        with read_only(self._factory) as db:
            project = access.project_by_id(db, team_id=team_id, project_id=project_id)
            return tuple(_audience(project, audience, named))

    def start(
        self,
        *,
        team_id: str,
        user_id: str,
        project_id: int,
        data: PollInput,
        session_id: int | None = None,
        form_id: str | None = None,
    ) -> Tally:
        """Open a poll: every person asked gets an invitation, the starter a live tally,
        those who have not answered a nudge a day before it closes, and the starter the
        ranking when it closes. Raises InvalidFields for what the form must fix."""
        now = self._clock.now()
        problems = check_poll(data, now=now)
        if problems:
            raise InvalidFields(problems)
        receipt = receipts.key("poll_start", form_id, user_id=user_id) if form_id else None

        def attempt() -> Tally:
            with transaction(self._factory) as db:
                project = access.project_by_id(db, team_id=team_id, project_id=project_id)
                _require_starter(project, user_id)
                earlier = receipts.earlier(db, receipt, Poll)
                if earlier is not None:
                    return _tally(db, earlier, project)
                moving = None
                if session_id is not None:
                    moving = access.session_by_id(db, team_id=team_id, session_id=session_id)
                    access.require_coordinator(project, user_id)
                    if moving.project_id != project.id:
                        raise AccessError("That session is not in this project.")
                poll = Poll(
                    project_id=project.id,
                    purpose=data.purpose,
                    title=data.title.strip() or _default_title(data.purpose),
                    duration_minutes=int(data.duration.total_seconds() // 60),
                    status=PollStatus.OPEN,
                    session_id=moving.id if moving is not None else None,
                    created_by=user_id,
                    created_at=now,
                    closes_at=data.closes_at,
                    updated_at=now,
                )
                for start in sorted(set(data.starts)):
                    poll.slots.append(PollSlot(starts_at=start, ends_at=start + data.duration))
                facilitators = set(access.people_with(project, Role.PRACTITIONER))
                if moving is not None:
                    facilitators |= set(moving.user_ids(SessionRole.FACILITATOR))
                for person in dict.fromkeys(data.asked):
                    role = (
                        SessionRole.FACILITATOR
                        if person in facilitators
                        else SessionRole.PARTICIPANT
                    )
                    poll.people.append(PollPerson(user_id=person, role=role, note=""))
                db.add(poll)
                db.flush()
                if receipt:
                    receipts.record(db, receipt, result_id=poll.id, now=now)
                _plan(db, project, poll, now=now)
                return _tally(db, poll, project)

        return once_per_form(attempt, form_id)

    # -- answering -----------------------------------------------------------------------

    def answer(
        self, *, team_id: str, user_id: str, poll_id: int, slot_id: int, answer: str
    ) -> Answered:
        """Record (or change) one answer while the poll is open."""
        try:
            chosen = Answer(answer)
        except ValueError:
            raise AccessError("That is not an answer I know.") from None
        if chosen not in STORED_ANSWERS:
            raise AccessError("That is not an answer I know.")
        now = self._clock.now()
        zone = self._directory.timezone(user_id)
        for attempt in (1, 2):
            try:
                with transaction(self._factory) as db:
                    poll, project, person = _answerable(db, team_id, user_id, poll_id)
                    if all(s.id != slot_id for s in poll.slots):
                        raise AccessError("That time is not in this poll any more.")
                    row = db.scalar(
                        select(PollAnswer).where(
                            PollAnswer.slot_id == slot_id, PollAnswer.user_id == user_id
                        )
                    )
                    if row is None:
                        db.add(
                            PollAnswer(
                                slot_id=slot_id, user_id=user_id, answer=chosen, updated_at=now
                            )
                        )
                    else:
                        row.answer = chosen
                        row.updated_at = now
                    person.answered_at = now
                    return _answered(db, poll, project, user_id, zone, now=now)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def note_form(self, *, team_id: str, user_id: str, poll_id: int) -> str:
        """The person's note so far (their own), for the note form."""
        with read_only(self._factory) as db:
            _poll, _project, person = _answerable(db, team_id, user_id, poll_id)
            return person.note

    def save_note(self, *, team_id: str, user_id: str, poll_id: int, note: str) -> Answered:
        """Keep "anything that would make it easier to come?" (coordinators see it)."""
        text = _NOTE.taken("note", note, InvalidFields)
        now = self._clock.now()
        zone = self._directory.timezone(user_id)
        with transaction(self._factory) as db:
            poll, project, person = _answerable(db, team_id, user_id, poll_id)
            person.note = text
            return _answered(db, poll, project, user_id, zone, now=now)

    # -- the starter's side --------------------------------------------------------------

    def tally(self, *, team_id: str, user_id: str, poll_id: int) -> Tally:
        """The live tally (the starter and the project's coordinators)."""
        with read_only(self._factory) as db:
            poll, project = _managed(db, team_id, user_id, poll_id)
            return _tally(db, poll, project)

    def open_polls(self, *, team_id: str, user_id: str) -> list[Tally]:
        """Open or closed (not yet scheduled) polls the person started or coordinates, for
        their App Home, soonest closing first."""
        with read_only(self._factory) as db:
            rows = db.scalars(
                select(Poll)
                .where(Poll.status.in_([PollStatus.OPEN, PollStatus.CLOSED]))
                .order_by(Poll.closes_at, Poll.id)
            ).all()
            found = []
            for poll in rows:
                project = db.get(Project, poll.project_id)
                if project is None or project.team_id != team_id:
                    continue
                if poll.created_by == user_id or _is_coordinator(project, user_id):
                    found.append(_tally(db, poll, project))
            return found

    def notes(self, *, team_id: str, user_id: str, poll_id: int) -> list[NoteLine]:
        """What people said would make it easier to come: coordinators only."""
        with read_only(self._factory) as db:
            poll, project = _poll(db, team_id, poll_id)
            access.require_coordinator(project, user_id)
            return [NoteLine(p.user_id, p.note) for p in poll.people if p.note]

    def choice(self, *, team_id: str, user_id: str, poll_id: int) -> Choice:
        """ "Choose now": the ranking as answers stand (the poll stays open)."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            poll, project = _managed(db, team_id, user_id, poll_id)
            if poll.status not in (PollStatus.OPEN, PollStatus.CLOSED):
                raise PollClosed(poll.status)
            return _choice(db, poll, project, now=now)

    def choose(self, *, team_id: str, user_id: str, poll_id: int, slot_id: int) -> Scheduled:
        """Schedule the chosen slot through the sessions service (add, or move the poll's
        session), close the poll and tell everyone asked, in one transaction: a crash cannot
        leave a session made for a poll still open and owing nobody the news. A second click
        answers with the session the first one made."""
        form_id = f"poll{poll_id}"

        def attempt() -> Scheduled:
            with transaction(self._factory) as db:
                poll, project = _poll(db, team_id, poll_id, lock=True)
                _require_manager(project, poll, user_id)
                if poll.status == PollStatus.SCHEDULED and poll.chosen_slot_id == slot_id:
                    pass  # a double click: answered with the session the first one made
                elif poll.status not in (PollStatus.OPEN, PollStatus.CLOSED):
                    raise PollClosed(poll.status)
                slot = next((s for s in poll.slots if s.id == slot_id), None)
                if slot is None:
                    raise AccessError("That time is not in this poll.")
                local = slot.starts_at.astimezone(ZoneInfo(project.timezone))
                data = _session_input(db, poll, slot, local.date(), local.time())
                if poll.session_id is not None:
                    saved = self._sessions.move_in(
                        db,
                        team_id=team_id,
                        user_id=user_id,
                        session_id=poll.session_id,
                        day=data.day,
                        start=data.start,
                    )
                else:
                    saved = self._sessions.add_within(
                        db,
                        team_id=team_id,
                        user_id=user_id,
                        data=data,
                        project_id=project.id,
                        kind=session_kind(PollPurpose(poll.purpose)),
                        form_id=form_id,
                    )
                if poll.status in (PollStatus.OPEN, PollStatus.CLOSED):
                    now = self._clock.now()
                    poll.status = PollStatus.SCHEDULED
                    poll.chosen_slot_id = slot_id
                    poll.session_id = saved.view.id
                    poll.closed_at = poll.closed_at or now
                    poll.updated_at = now
                    _finish(db, poll, now=now)
                return Scheduled(poll_id=poll.id, saved=saved)

        return once_per_form(attempt, form_id)

    def cancel(self, *, team_id: str, user_id: str, poll_id: int) -> Tally:
        """Cancel a poll: nothing more is owed about it but the news to everyone asked."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            poll, project = _poll(db, team_id, poll_id, lock=True)
            _require_manager(project, poll, user_id)
            if poll.status not in (PollStatus.OPEN, PollStatus.CLOSED):
                raise PollClosed(poll.status)
            poll.status = PollStatus.CANCELLED
            poll.closed_at = poll.closed_at or now
            poll.updated_at = now
            _finish(db, poll, now=now)
            return _tally(db, poll, project)

    # -- standing availability -----------------------------------------------------------

    def standing(self, *, team_id: str, channel_id: str, user_id: str) -> StandingView:
        """The person's standing availability in the channel's project (empty if none)."""
        with read_only(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            access.require_member(
                project, user_id, "You are not in this project, so it has no times of yours."
            )
            return _standing_view(project, _standing_row(db, project.id, user_id))

    def save_standing(
        self,
        *,
        team_id: str,
        user_id: str,
        project_id: int,
        weekdays_off: Iterable[int],
        part: PartOfDay,
        windows: Sequence[BusyWindow],
        note: str,
    ) -> StandingView:
        """Keep the person's standing availability (in their own Slack time zone)."""
        problems: dict[str, str] = {}
        for number, window in enumerate(windows[:MAX_WINDOWS], start=1):
            if window.end <= window.start:
                problems[f"window{number}_end"] = "End after it starts."
        problems.update(_NOTE.problems({"note": note}))
        if problems:
            raise InvalidFields(problems)
        now = self._clock.now()
        zone = self._directory.timezone(user_id)
        with transaction(self._factory) as db:
            project = access.project_by_id(db, team_id=team_id, project_id=project_id)
            access.require_member(project, user_id, "You are not in this project.")
            row = _standing_row(db, project.id, user_id)
            if row is None:
                row = Availability(project_id=project.id, user_id=user_id)
                db.add(row)
            row.timezone = zone or project.timezone
            row.weekdays_off = sorted({d for d in weekdays_off if 0 <= d <= 6})
            row.part_of_day = part
            row.windows = json.dumps(
                [
                    {"start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}", "label": w.label}
                    for w in windows[:MAX_WINDOWS]
                ]
            )
            row.note = note.strip()
            row.updated_at = now
            db.flush()
            return _standing_view(project, row)


# ---------------------------------------------------------------- the session form's check


def facilitator_clashes(
    db: Session,
    *,
    project_id: int,
    facilitators: Iterable[str],
    starts_at: datetime,
    ends_at: datetime,
) -> list[str]:
    """Warnings for the session form: the facilitators whose standing availability clashes
    with the time (never why: that is theirs)."""
    people = list(dict.fromkeys(facilitators))
    if not people:
        return []
    rows = db.scalars(
        select(Availability).where(
            Availability.project_id == project_id, Availability.user_id.in_(people)
        )
    ).all()
    return [
        f"<@{row.user_id}> usually can't make this time (their standing availability); "
        "check with them before relying on it."
        for row in sorted(rows, key=lambda r: people.index(r.user_id))
        if clash(_standing(row), starts_at, ends_at) is not None
    ]


# ---------------------------------------------------------------- ledger kinds


def poll_kinds(
    *, present: Callable[[PollNote], OutgoingMessage], clock: Clock, directory: Directory
) -> Sequence[deliveries.DeliveryKind]:
    """The kinds polls use, rendered by `present` at send time from the rows."""

    def build(db: Session, delivery: Delivery) -> PollNote | None:
        found = _poll_of(db, delivery)
        if found is None:
            return None
        poll, project = found
        status = PollStatus(poll.status)
        kind = delivery.kind
        if kind == INVITE:
            if status is not PollStatus.OPEN or _person(poll, delivery.target) is None:
                return None
            zone = directory.timezone(delivery.target)
            return _invitation(db, poll, project, delivery.target, zone)
        if kind == TALLY:
            return _tally(db, poll, project) if status is PollStatus.OPEN else None
        if kind == NUDGE:
            person = _person(poll, delivery.target)
            if status is not PollStatus.OPEN or person is None or person.answered_at:
                return None
            zone = directory.timezone(delivery.target) or project.timezone
            return Nudge(poll.id, poll.title, poll.closes_at, zone)
        if kind == CLOSE:
            now = clock.now()
            if status is PollStatus.OPEN:
                # the one place a poll closes by itself; the ledger sends this once, and
                # owes (in the same transaction) the updates in place of what was sent
                poll.status = PollStatus.CLOSED
                poll.closed_at = now
                poll.updated_at = now
                _owe_refreshes(db, poll, now=now)
            elif status is not PollStatus.CLOSED:
                return None  # scheduled or cancelled first: nothing to choose
            return _choice(db, poll, project, now=now)
        if kind == OUTCOME:
            if status not in (PollStatus.SCHEDULED, PollStatus.CANCELLED):
                return None
            return _outcome(db, poll, project, delivery.target, directory)
        return None

    render: deliveries.Presented[PollNote] = deliveries.Presented(build=build, present=present)
    return (
        deliveries.DeliveryKind(name=REFRESH, render=_refresher(present, directory)),
        *deliveries.kinds_rendered_by(
            render,
            {
                INVITE: None,
                TALLY: None,
                NUDGE: LatenessPolicy(
                    max_lateness=timedelta(hours=12), reason="the poll's nudge was too late"
                ),
                CLOSE: None,
                OUTCOME: LatenessPolicy(
                    max_lateness=timedelta(days=2), reason="the poll's outcome was two days late"
                ),
            },
        ),
    )


def _refresher(
    present: Callable[[PollNote], OutgoingMessage], directory: Directory
) -> deliveries.Renderer:
    """Renders REFRESH: an earlier invitation or tally as it should read now, to replace it
    in place."""

    def refreshed(session: Session, delivery: Delivery) -> OutgoingMessage | None:
        found = _poll_of(session, delivery)
        sent = session.get(Delivery, int(delivery.payload.get("message", 0)))
        if found is None or sent is None or not sent.slack_channel or not sent.slack_ts:
            return None
        poll, project = found
        note: PollNote
        if sent.kind == TALLY:
            note = _tally(session, poll, project)
        elif sent.kind == INVITE and _person(poll, sent.target) is not None:
            zone = directory.timezone(sent.target)
            note = _invitation(session, poll, project, sent.target, zone)
        else:
            return None
        return replace(present(note), replaces=(sent.slack_channel, sent.slack_ts))

    return refreshed


# ---------------------------------------------------------------- steps


def _plan(db: Session, project: Project, poll: Poll, *, now: datetime) -> None:
    """What a new poll owes: invitations, the tally, nudges and the close."""
    coordinators = access.people_with(project, Role.COORDINATOR)
    escalate_to = poll.created_by
    owed: list[deliveries.Owed] = []

    def one(key: str, kind: str, target: str, due: datetime) -> deliveries.Owed:
        return _owed(poll, key, kind, target, due, escalate_to=escalate_to)

    people = [p.user_id for p in poll.people]
    owed.extend(one(f"invite:{u}", INVITE, u, now) for u in people)
    owed.append(one(TALLY_KEY, TALLY, poll.created_by, now))
    nudge_at = poll.closes_at - NUDGE_BEFORE
    if nudge_at > now:
        owed.extend(one(f"nudge:{u}", NUDGE, u, nudge_at) for u in people)
    closers = [poll.created_by]
    if poll.created_by not in coordinators:
        closers += coordinators  # someone must be able to schedule it
    owed.extend(one(f"close:{u}", CLOSE, u, poll.closes_at) for u in dict.fromkeys(closers))
    deliveries.schedule_many(db, owed, now=now)


def _sent(db: Session, poll: Poll, kinds: Sequence[str]) -> Sequence[Delivery]:
    """The poll's messages of `kinds` that Slack accepted."""
    return db.scalars(
        select(Delivery).where(
            Delivery.subject_type == SUBJECT,
            Delivery.subject_id == poll.id,
            Delivery.kind.in_(kinds),
            Delivery.status == DeliveryStatus.SENT,
        )
    ).all()


def _owed(
    poll: Poll, key: str, kind: str, target: str, due: datetime, **extra: Any
) -> deliveries.Owed:
    """One message the poll owes (`extra`: more payload ids, or escalate_to)."""
    return deliveries.owed_about(
        (SUBJECT, poll.id), poll.project_id, key, kind, target, due, **extra
    )


def _owe_refreshes(db: Session, poll: Poll, *, now: datetime) -> None:
    """The poll closed (by itself) or ended (scheduled or cancelled): every invitation and
    the tally sent are owed an update in place (without the selects), in the ledger, so a
    restart cannot lose one or send it twice. Once per message for the close, and once
    more for the end (a poll that closed, then was scheduled, says so too)."""
    sent = [r for r in _sent(db, poll, (INVITE, TALLY)) if r.slack_channel and r.slack_ts]
    ended = () if poll.status == PollStatus.CLOSED else (poll.status,)
    keys = {r.id: deliveries.owed_key(REFRESH_KEY, r.id, *ended) for r in sent}
    owed = [_owed(poll, keys[r.id], REFRESH, r.target, now, message=r.id) for r in sent]
    deliveries.schedule_many(db, owed, now=now)


def _finish(db: Session, poll: Poll, *, now: datetime) -> None:
    """The poll is over: what it still owed is cancelled; everyone asked hears the news, and
    what was sent them updates in place."""
    deliveries.cancel_subject(db, subject=(SUBJECT, poll.id), now=now)
    owed = [
        _owed(poll, f"outcome:{p.user_id}", OUTCOME, p.user_id, now, escalate_to=poll.created_by)
        for p in poll.people
    ]
    deliveries.schedule_many(db, owed, now=now)
    _owe_refreshes(db, poll, now=now)


def _require_starter(project: Project, user_id: str) -> None:
    if access.role_of(project, user_id) not in STARTERS:
        raise AccessError(
            "Only the project's coordinators and practitioners can start a poll for a time."
        )


def _is_coordinator(project: Project, user_id: str) -> bool:
    return access.role_of(project, user_id) is Role.COORDINATOR


def _require_manager(project: Project, poll: Poll, user_id: str) -> None:
    if poll.created_by != user_id and not _is_coordinator(project, user_id):
        raise AccessError("Only whoever started this poll, or a coordinator, can do that.")


def _poll(db: Session, team_id: str, poll_id: int, *, lock: bool = False) -> tuple[Poll, Project]:
    """The team's poll and its project (or AccessError: gone)."""
    if lock:
        db.get(Poll, poll_id, with_for_update=True)
    poll = db.get(Poll, poll_id)
    project = db.get(Project, poll.project_id) if poll is not None else None
    if poll is None or project is None or project.team_id != team_id:
        raise AccessError("That poll no longer exists.")
    return poll, project


def _managed(db: Session, team_id: str, user_id: str, poll_id: int) -> tuple[Poll, Project]:
    poll, project = _poll(db, team_id, poll_id)
    _require_manager(project, poll, user_id)
    return poll, project


def _poll_of(db: Session, delivery: Delivery) -> tuple[Poll, Project] | None:
    """The poll a delivery is about and its project, while both exist."""
    poll = db.get(Poll, int(delivery.payload.get("poll_id", 0)))
    project = db.get(Project, poll.project_id) if poll is not None else None
    return (poll, project) if poll is not None and project is not None else None


def _person(poll: Poll, user_id: str) -> PollPerson | None:
    return next((p for p in poll.people if p.user_id == user_id), None)


def _answerable(
    db: Session, team_id: str, user_id: str, poll_id: int
) -> tuple[Poll, Project, PollPerson]:
    poll, project = _poll(db, team_id, poll_id)
    person = _person(poll, user_id)
    if person is None:
        raise AccessError("This poll did not ask you.")
    if poll.status != PollStatus.OPEN:
        raise PollClosed(poll.status)
    return poll, project, person


def _answered(
    db: Session, poll: Poll, project: Project, user_id: str, zone: str | None, *, now: datetime
) -> Answered:
    """The person changed the poll: it is updated now; their invitation and the tally."""
    poll.updated_at = now
    db.flush()
    return Answered(
        invitation=_invitation(db, poll, project, user_id, zone),
        tally=_tally(db, poll, project),
        tally_at=_tally_at(db, poll),
    )


def _audience(project: Project, audience: Audience, named: Sequence[str]) -> list[str]:
    practitioners = access.people_with(project, Role.PRACTITIONER)
    if audience is Audience.FACILITATORS:
        base = practitioners
    elif audience is Audience.PARTICIPANTS:
        base = practitioners + access.people_with(project, Role.PARTICIPANT)
    elif audience is Audience.EVERYONE:
        base = [m.user_id for m in project.members]
    else:
        base = []
    return list(dict.fromkeys([*base, *named]))


def _default_title(purpose: PollPurpose) -> str:
    return {
        PollPurpose.WORKSHOP: "Workshop",
        PollPurpose.DEBRIEF: "Practitioners' debrief",
        PollPurpose.REFLECTIVE: "Reflective practice",
        PollPurpose.BRIEFING: "Briefing call",
        PollPurpose.OVERSIGHT: "Oversight meeting",
    }[purpose]


def _answers(db: Session, poll: Poll) -> dict[tuple[int, str], Answer]:
    ids = [s.id for s in poll.slots]
    if not ids:
        return {}
    rows = db.scalars(select(PollAnswer).where(PollAnswer.slot_id.in_(ids)))
    return {(r.slot_id, r.user_id): Answer(r.answer) for r in rows}


def _standing_row(db: Session, project_id: int, user_id: str) -> Availability | None:
    return db.scalar(
        select(Availability).where(
            Availability.project_id == project_id, Availability.user_id == user_id
        )
    )


def _standing_view(project: Project, row: Availability | None) -> StandingView:
    """The person's standing availability in `project` (empty if they keep none)."""
    standing = _standing(row) if row is not None else None
    return StandingView(
        **of_project(project),
        weekdays_off=standing.weekdays_off if standing else frozenset(),
        part=standing.part if standing else PartOfDay.ANY,
        windows=standing.windows if standing else (),
        note=row.note if row is not None else "",
    )


def _standing(row: Availability) -> Standing:
    zone = first_valid_timezone(row.timezone)
    try:
        raw = json.loads(row.windows or "[]")
    except ValueError:
        raw = []
    windows = []
    for item in raw if isinstance(raw, list) else []:
        try:
            windows.append(
                BusyWindow(
                    start=time.fromisoformat(str(item["start"])),
                    end=time.fromisoformat(str(item["end"])),
                    label=str(item.get("label") or ""),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    try:
        part = PartOfDay(row.part_of_day)
    except ValueError:
        part = PartOfDay.ANY
    days = frozenset(int(d) for d in (row.weekdays_off or []) if isinstance(d, int))
    return Standing(timezone=zone, weekdays_off=days, part=part, windows=tuple(windows))


def _standings(db: Session, poll: Poll) -> dict[str, Standing]:
    people = [p.user_id for p in poll.people]
    if not people:
        return {}
    rows = db.scalars(
        select(Availability).where(
            Availability.project_id == poll.project_id, Availability.user_id.in_(people)
        )
    )
    return {r.user_id: _standing(r) for r in rows}


def _grid(db: Session, poll: Poll) -> dict[tuple[int, str], Answer]:
    """Every (slot, person) answer, unanswered ones "probably no" where they clash."""
    answers = _answers(db, poll)
    standings = _standings(db, poll)
    grid: dict[tuple[int, str], Answer] = {}
    for slot in poll.slots:
        for person in poll.people:
            found = answers.get((slot.id, person.user_id))
            if found is None:
                standing = standings.get(person.user_id)
                clashes = standing is not None and clash(standing, slot.starts_at, slot.ends_at)
                found = Answer.PROBABLY_NO if clashes else Answer.PENDING
            grid[(slot.id, person.user_id)] = found
    return grid


def _rows(db: Session, poll: Poll) -> list[TallyRow]:
    grid = _grid(db, poll)
    rows = []
    for slot in poll.slots:

        def of(role: str, slot_id: int = slot.id) -> Counts:
            return count(grid[(slot_id, p.user_id)] for p in poll.people if p.role == role)

        rows.append(
            TallyRow(
                slot_id=slot.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                facilitators=of(SessionRole.FACILITATOR),
                participants=of(SessionRole.PARTICIPANT),
            )
        )
    return rows


def _tally(db: Session, poll: Poll, project: Project) -> Tally:
    return Tally(
        poll_id=poll.id,
        title=poll.title,
        purpose=PollPurpose(poll.purpose),
        project_name=project.name,
        timezone=project.timezone,
        status=PollStatus(poll.status),
        closes_at=poll.closes_at,
        asked=len(poll.people),
        answered=sum(1 for p in poll.people if p.answered_at is not None),
        notes=sum(1 for p in poll.people if p.note),
        rows=tuple(_rows(db, poll)),
        created_by=poll.created_by,
        session_id=poll.session_id,
    )


def _tally_at(db: Session, poll: Poll) -> tuple[str, str] | None:
    row = db.scalar(
        select(Delivery).where(
            Delivery.idempotency_key == deliveries.owed_key(SUBJECT, poll.id, TALLY_KEY),
            Delivery.status == DeliveryStatus.SENT,
        )
    )
    if row is None or not row.slack_channel or not row.slack_ts:
        return None
    return row.slack_channel, row.slack_ts


def _invitation(
    db: Session, poll: Poll, project: Project, user_id: str, zone: str | None
) -> Invitation:
    answers = _answers(db, poll)
    standing = _standing_row(db, poll.project_id, user_id)
    mine = _standing(standing) if standing is not None else None
    person = _person(poll, user_id)
    lines = []
    for slot in poll.slots:
        found = answers.get((slot.id, user_id))
        why = clash(mine, slot.starts_at, slot.ends_at) if mine is not None else None
        if found is None:
            found = Answer.PROBABLY_NO if why else Answer.PENDING
        lines.append(SlotLine(slot.id, slot.starts_at, slot.ends_at, found, why))
    moving = db.get(CoSession, poll.session_id) if poll.session_id else None
    return Invitation(
        poll_id=poll.id,
        user_id=user_id,
        title=poll.title,
        purpose=PollPurpose(poll.purpose),
        project_name=project.name,
        by=poll.created_by,
        timezone=first_valid_timezone(zone, project.timezone),
        duration=timedelta(minutes=poll.duration_minutes),
        closes_at=poll.closes_at,
        status=PollStatus(poll.status),
        slots=tuple(lines),
        has_note=bool(person and person.note),
        moving_title=moving.title if moving is not None else "",
    )


def _choice(db: Session, poll: Poll, project: Project, *, now: datetime) -> Choice:
    rows = _rows(db, poll)
    ranked: list[Ranked] = rank(rows, purpose=PollPurpose(poll.purpose), now=now)
    around = neighbours(db, project, exclude=poll.session_id)
    lead = LeadTimes.from_json(project.lead_times)
    proposals = []
    for item in ranked:
        slot = item.tally
        warnings = [
            w.message
            for w in interval_warnings(poll.title, slot.starts_at, slot.ends_at, around, lead)
        ]
        facilitators = _able(db, poll, slot.slot_id, SessionRole.FACILITATOR)
        warnings += facilitator_clashes(
            db,
            project_id=project.id,
            facilitators=facilitators,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        proposals.append(
            Proposal(
                slot_id=slot.slot_id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                reasons=item.reasons,
                warnings=tuple(warnings),
            )
        )
    moving = db.get(CoSession, poll.session_id) if poll.session_id else None
    return Choice(
        poll_id=poll.id,
        title=poll.title,
        purpose=PollPurpose(poll.purpose),
        timezone=project.timezone,
        status=PollStatus(poll.status),
        asked=len(poll.people),
        answered=sum(1 for p in poll.people if p.answered_at is not None),
        proposals=tuple(proposals),
        moving_title=moving.title if moving is not None else "",
    )


def _able(db: Session, poll: Poll, slot_id: int, role: str) -> list[str]:
    """Who of `role` answered yes or if need be for the slot."""
    answers = _answers(db, poll)
    return [
        p.user_id
        for p in poll.people
        if p.role == role and answers.get((slot_id, p.user_id)) in ABLE
    ]


def _session_input(db: Session, poll: Poll, slot: PollSlot, day: Any, start: time) -> SessionInput:
    """The session a chosen slot makes: facilitators who can come; participants asked who
    did not say no (those who have not answered are still invited)."""
    answers = _answers(db, poll)
    facilitators = _able(db, poll, slot.id, SessionRole.FACILITATOR)
    participants = [
        p.user_id
        for p in poll.people
        if p.role == SessionRole.PARTICIPANT and answers.get((slot.id, p.user_id)) != Answer.NO
    ]
    return SessionInput(
        title=poll.title,
        day=day,
        start=start,
        duration=timedelta(minutes=poll.duration_minutes),
        facilitators=tuple(facilitators),
        participants=tuple(participants),
    )


def _outcome(
    db: Session, poll: Poll, project: Project, user_id: str, directory: Directory
) -> Outcome:
    cosession = db.get(CoSession, poll.session_id) if poll.session_id else None
    scheduled = poll.status == PollStatus.SCHEDULED and cosession is not None
    on_session = bool(
        scheduled and cosession is not None and user_id in {p.user_id for p in cosession.people}
    )
    return Outcome(
        poll_id=poll.id,
        title=poll.title,
        status=PollStatus(poll.status),
        timezone=first_valid_timezone(directory.timezone(user_id), project.timezone),
        starts_at=cosession.starts_at if scheduled and cosession is not None else None,
        ends_at=cosession.ends_at if scheduled and cosession is not None else None,
        on_session=on_session,
        moved=scheduled and cosession is not None and cosession.revision > 1,
    )
