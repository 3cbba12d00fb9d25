"""Co-production sessions: add, move, edit, cancel, list, announce and export as a calendar."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import partial
from typing import NotRequired
from typing import TypedDict
from typing import Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.roles import Role
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import Neighbour
from cobot.domain.sessions import Problem
from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionInput
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.sessions import SessionTimes
from cobot.domain.sessions import check_session
from cobot.services import access
from cobot.services import deliveries
from cobot.services import perspectives
from cobot.services import receipts
from cobot.services.access import AccessError
from cobot.services.base import SessionChangingService
from cobot.services.deliveries import DeliveryKind
from cobot.services.ical import calendar_document
from cobot.services.ical import session_entry
from cobot.services.ports import OutgoingMessage
from cobot.services.project_views import ForProjectInZone
from cobot.services.project_views import of_project_in_zone
from cobot.services.resubmission import once_per_form
from cobot.services.session_queries import of_session
from cobot.services.session_queries import scheduled_session
from cobot.services.session_queries import sessions_with_people
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson

ANNOUNCED_KIND = "session_announced"
ANNOUNCEMENT_SUBJECT = "session_announcement"


class NewSession(TypedDict):
    """What add() and check_add() are asked: who asks, for what session, in which project
    (`project_id`, or the channel's when `channel_id` is given instead);
    `default_participants` invites all the project's participants."""

    team_id: str
    user_id: str
    data: SessionInput
    project_id: NotRequired[int | None]
    channel_id: NotRequired[str | None]
    default_participants: NotRequired[bool]


class SessionRejected(AccessError):
    """The session breaks a rule; `problems` says which field and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"• {p.message}" for p in self.problems)
        super().__init__(f"I couldn't save this session:\n{lines}")


@dataclass(frozen=True)
class SessionView(SessionTimes):
    """A session as people see it; times are aware UTC, `timezone` is the project's."""

    project_id: int
    venue: str
    objectives: str
    facilitators: tuple[str, ...]
    participants: tuple[str, ...]
    status: str
    revision: int
    timezone: str

    @property
    def duration(self) -> timedelta:
        """How long it lasts."""
        return self.ends_at - self.starts_at

    @property
    def local_start(self) -> datetime:
        """The start in the project's time zone (for forms and fallbacks)."""
        return self.starts_at.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class SessionSaved:
    """A saved session and what is worth a second look about it."""

    view: SessionView
    warnings: tuple[Problem, ...]
    moved: bool = False


@dataclass(frozen=True)
class SessionCheck:
    """A session that would be saved as asked (nothing stored yet); `people` is how many
    facilitators and participants it has, which is what saving it costs."""

    people: int
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class SessionDraft(ForProjectInZone):
    """What the add form starts from: the project and its people."""

    practitioners: tuple[str, ...]
    participants: tuple[str, ...]


@dataclass(frozen=True)
class SessionList(ForProjectInZone):
    """A project's upcoming sessions, and whether the reader may change them."""

    can_change: bool
    sessions: tuple[SessionView, ...]


@dataclass(frozen=True)
class CalendarFile:
    """An iCalendar file of a project's sessions."""

    filename: str
    content: bytes
    sessions: int


@dataclass(frozen=True)
class Announcement:
    """What the channel is told about a session: added, moved or cancelled."""

    change: str
    session: SessionView
    project_name: str
    aims: str


AnnouncementRenderer = Callable[[Announcement], OutgoingMessage]


class Sessions(SessionChangingService):
    """Schedules co-production sessions; each public call is one transaction."""

    def draft(self, *, team_id: str, channel_id: str, user_id: str) -> SessionDraft:
        """Start adding a session in the channel's project (coordinators only)."""
        with read_only(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return SessionDraft(
                **of_project_in_zone(project),
                practitioners=tuple(access.people_with(project, Role.PRACTITIONER)),
                participants=tuple(access.people_with(project, Role.PARTICIPANT)),
            )

    def add(
        self,
        *,
        kind: str = SessionKind.WORKSHOP,
        form_id: str | None = None,
        **asked: Unpack[NewSession],
    ) -> SessionSaved:
        """Schedule a session in a project (by id, or the channel's), announce it, plan its
        reminders; `default_participants` invites all the project's participants; `kind`
        is "workshop" or "reflective" (reflective practice for the practitioners).
        `form_id` (the modal's view id) makes a second submission of the same form answer
        with the session the first one made, instead of adding another.

        Raises SessionRejected with per-field problems when a rule refuses it.
        """
        return once_per_form(partial(self._add, asked, kind=kind, form_id=form_id), form_id)

    def add_within(
        self,
        db: Session,
        *,
        kind: str = SessionKind.WORKSHOP,
        form_id: str | None = None,
        **asked: Unpack[NewSession],
    ) -> SessionSaved:
        """add() inside the caller's transaction (a poll's chosen time: the session and the
        poll's end commit together); the caller retries a twin submission (once_per_form)."""
        return self._add(asked, kind=kind, form_id=form_id, within=db)

    def _add(
        self, asked: NewSession, *, kind: str, form_id: str | None, within: Session | None = None
    ) -> SessionSaved:
        now = self._clock.now()
        user_id = asked["user_id"]
        receipt = receipts.key("session_add", form_id, user_id=user_id) if form_id else None
        with transaction(self._factory) if within is None else nullcontext(within) as db:
            project, data = _target(db, asked)
            earlier = receipts.earlier(db, receipt, CoSession)
            if earlier is not None and earlier.project_id == project.id:
                return SessionSaved(view=_view(earlier, project), warnings=())
            check = _check(db, project, data, now=now, exclude=None)
            assert check.starts_at is not None and check.ends_at is not None
            row = CoSession(
                project_id=project.id,
                kind=kind,
                title=data.title.strip(),
                starts_at=check.starts_at,
                ends_at=check.ends_at,
                venue=data.venue.strip(),
                objectives=data.objectives.strip(),
                status=SessionStatus.SCHEDULED,
                revision=1,
                created_by=user_id,
                created_at=now,
                updated_at=now,
            )
            db.add(row)
            _set_people(row, facilitators=data.facilitators, participants=check.participants)
            db.flush()
            if receipt:
                receipts.record(db, receipt, result_id=row.id, now=now)
            self._changes.publish(db, SessionChanged(row.id, SessionChange.ADDED), now=now)
            _announce(db, project, row, change=SessionChange.ADDED, now=now, by=user_id)
            return SessionSaved(view=_view(row, project), warnings=tuple(check.warnings))

    def check_add(self, **asked: Unpack[NewSession]) -> SessionCheck:
        """What add() would say, without saving: SessionRejected (or another refusal) when
        it would refuse, else how big the session is. Only reads."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project, data = _target(db, asked)
            return _size(_check(db, project, data, now=now, exclude=None), data)

    def check_edit(
        self, *, team_id: str, user_id: str, session_id: int, data: SessionInput
    ) -> SessionCheck:
        """What edit() would say, without saving (see check_add())."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            row, project = _changeable(
                db, team_id=team_id, user_id=user_id, session_id=session_id, lock=False
            )
            return _size(_check(db, project, data, now=now, exclude=row.id), data)

    def check_move(
        self, *, team_id: str, user_id: str, session_id: int, day: date, start: time
    ) -> SessionCheck:
        """What move() would say, without saving (see check_add())."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            row, project = _changeable(
                db, team_id=team_id, user_id=user_id, session_id=session_id, lock=False
            )
            data = _moved(row, day, start)
            return _size(_check(db, project, data, now=now, exclude=row.id), data)

    def form(self, *, team_id: str, user_id: str, session_id: int) -> SessionView:
        """A scheduled session, for a coordinator about to move or edit it."""
        with transaction(self._factory) as db:
            row, project = _changeable(db, team_id=team_id, user_id=user_id, session_id=session_id)
            return _view(row, project)

    def move(
        self, *, team_id: str, user_id: str, session_id: int, day: date, start: time
    ) -> SessionSaved:
        """Move a session to a new local date and time; its reminders move with it."""
        with transaction(self._factory) as db:
            return self.move_in(
                db, team_id=team_id, user_id=user_id, session_id=session_id, day=day, start=start
            )

    def move_in(
        self, db: Session, *, team_id: str, user_id: str, session_id: int, day: date, start: time
    ) -> SessionSaved:
        """move() inside the caller's transaction (a poll's chosen time: the session and the
        poll's end commit together)."""
        now = self._clock.now()
        row, project = _changeable(db, team_id=team_id, user_id=user_id, session_id=session_id)
        return self._save(db, project, row, _moved(row, day, start), now=now, by=user_id)

    def move_within(
        self, db: Session, project: Project, row: CoSession, starts_at: datetime, *, by: str
    ) -> SessionSaved:
        """move() inside the caller's transaction (a slow-down moves many sessions at once):
        the same checks, revision, SessionChanged fan-out and announcement."""
        local = starts_at.astimezone(ZoneInfo(project.timezone))
        data = _moved(row, local.date(), local.time().replace(tzinfo=None))
        return self._save(db, project, row, data, now=self._clock.now(), by=by)

    def edit(
        self, *, team_id: str, user_id: str, session_id: int, data: SessionInput
    ) -> SessionSaved:
        """Change everything about a session; its reminders follow."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            row, project = _changeable(db, team_id=team_id, user_id=user_id, session_id=session_id)
            return self._save(db, project, row, data, now=now, by=user_id)

    def cancel(self, *, team_id: str, user_id: str, session_id: int) -> SessionView:
        """Cancel a session: its reminders are cancelled and the channel is told."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            row, project = _changeable(db, team_id=team_id, user_id=user_id, session_id=session_id)
            row.status = SessionStatus.CANCELLED
            row.cancelled_at = now
            row.updated_at = now
            self._changes.publish(db, SessionChanged(row.id, SessionChange.CANCELLED), now=now)
            was_announced = _was_announced(db, row.id)
            deliveries.cancel_subject(db, subject=(ANNOUNCEMENT_SUBJECT, row.id), now=now)
            if was_announced:
                _announce(db, project, row, change=SessionChange.CANCELLED, now=now, by=user_id)
            return _view(row, project)

    def upcoming(self, *, team_id: str, channel_id: str, user_id: str) -> SessionList:
        """The channel's project's scheduled sessions that have not ended, soonest first."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            rows = sessions_with_people(
                db,
                CoSession.project_id == project.id,
                CoSession.status == SessionStatus.SCHEDULED,
                CoSession.ends_at > now,
            )
            return SessionList(
                **of_project_in_zone(project),
                can_change=access.role_of(project, user_id) is Role.COORDINATOR,
                sessions=tuple(_view(row, project) for row in rows),
            )

    def calendar(self, *, team_id: str, channel_id: str) -> CalendarFile:
        """An .ics of the project's sessions; cancelled ones say so, so calendars drop them."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            rows = sessions_with_people(db, CoSession.project_id == project.id)
            content = build_calendar(
                [_view(row, project) for row in rows],
                team_id=team_id,
                project_name=project.name,
                now=now,
            )
            return CalendarFile(
                filename=f"{_file_stem(project.name)}.ics", content=content, sessions=len(rows)
            )

    # -- steps ---------------------------------------------------------------------------

    def _save(
        self,
        db: Session,
        project: Project,
        row: CoSession,
        data: SessionInput,
        *,
        now: datetime,
        by: str,
    ) -> SessionSaved:
        check = _check(db, project, data, now=now, exclude=row.id)
        assert check.starts_at is not None and check.ends_at is not None
        moved = (check.starts_at, check.ends_at) != (row.starts_at, row.ends_at)
        row.title = data.title.strip()
        row.venue = data.venue.strip()
        row.objectives = data.objectives.strip()
        row.starts_at = check.starts_at
        row.ends_at = check.ends_at
        row.updated_at = now
        if moved:
            # reminders and announcements are keyed by revision, so they are owed afresh
            row.revision += 1
        _set_people(row, facilitators=data.facilitators, participants=check.participants)
        db.flush()
        what = SessionChange.MOVED if moved else SessionChange.EDITED
        self._changes.publish(db, SessionChanged(row.id, what), now=now)
        if moved:
            # a channel that never heard of the old time just hears of the session
            change = SessionChange.MOVED if _was_announced(db, row.id) else SessionChange.ADDED
            deliveries.cancel_subject(db, subject=(ANNOUNCEMENT_SUBJECT, row.id), now=now)
            _announce(db, project, row, change=change, now=now, by=by)
        return SessionSaved(view=_view(row, project), warnings=tuple(check.warnings), moved=moved)


def _with_participants(data: SessionInput, participants: list[str]) -> SessionInput:
    return replace(data, participants=tuple(participants))


def _target(db: Session, asked: NewSession) -> tuple[Project, SessionInput]:
    """The project a new session goes in (its coordinator asking), and the session's input
    with the project's participants when they are the default."""
    data = asked["data"]
    project = access.coordinators_project(
        db,
        team_id=asked["team_id"],
        user_id=asked["user_id"],
        channel_id=asked.get("channel_id"),
        project_id=asked.get("project_id"),
    )
    if asked.get("default_participants", False):
        data = _with_participants(data, access.people_with(project, Role.PARTICIPANT))
    return project, data


def _moved(row: CoSession, day: date, start: time) -> SessionInput:
    """A session as it is, at a new local date and start time."""
    return SessionInput(
        title=row.title,
        day=day,
        start=start,
        duration=row.ends_at - row.starts_at,
        facilitators=tuple(row.user_ids(SessionRole.FACILITATOR)),
        participants=tuple(row.user_ids(SessionRole.PARTICIPANT)),
        venue=row.venue,
        objectives=row.objectives,
    )


def _size(check: _Checked, data: SessionInput) -> SessionCheck:
    people = {*data.facilitators, *check.participants}
    return SessionCheck(people=len(people), warnings=tuple(check.warnings))


def _check(
    db: Session, project: Project, data: SessionInput, *, now: datetime, exclude: int | None
) -> _Checked:
    result = check_session(
        data,
        tz=ZoneInfo(project.timezone),
        now=now,
        neighbours=neighbours(db, project, exclude=exclude),
        lead=LeadTimes.from_json(project.lead_times),
    )
    if result.errors:
        raise SessionRejected(result.errors)
    if result.starts_at is not None and result.ends_at is not None:
        # a chosen facilitator's standing availability (services/polls.py) clashes; imported
        # here, not at the top, because polls imports this module to schedule the time a poll
        # chose, and the check shares polls' reading of an availability row
        from cobot.services.polls import facilitator_clashes

        result.warnings.extend(
            Problem("facilitators", text)
            for text in facilitator_clashes(
                db,
                project_id=project.id,
                facilitators=data.facilitators,
                starts_at=result.starts_at,
                ends_at=result.ends_at,
            )
        )
    # voices in the room: nobody here with lived experience, or no clinician (never who has)
    people = [*data.facilitators, *result.participants]
    result.warnings.extend(perspectives.session_warnings(db, project.id, people))
    return _Checked(
        starts_at=result.starts_at,
        ends_at=result.ends_at,
        participants=result.participants,
        warnings=result.warnings,
    )


def neighbours(db: Session, project: Project, *, exclude: int | None) -> list[Neighbour]:
    """The sessions a new time is checked against (the interval rule): the project's
    scheduled workshops, the between-session pipeline being about the workshop series."""
    query = select(CoSession).where(
        CoSession.project_id == project.id,
        CoSession.status == SessionStatus.SCHEDULED,
        CoSession.kind == SessionKind.WORKSHOP,
    )
    if exclude is not None:
        query = query.where(CoSession.id != exclude)
    return [
        Neighbour(id=n.id, title=n.title, starts_at=n.starts_at, ends_at=n.ends_at)
        for n in db.scalars(query)
    ]


@dataclass(frozen=True)
class _Checked:
    starts_at: datetime | None
    ends_at: datetime | None
    participants: tuple[str, ...]
    warnings: list[Problem]


def _changeable(
    db: Session, *, team_id: str, user_id: str, session_id: int, lock: bool = True
) -> tuple[CoSession, Project]:
    # lock the row first: two coordinators moving it at once must not both make revision 2
    # (a check that only reads takes no lock)
    if lock:
        db.get(CoSession, session_id, with_for_update=True)
    return scheduled_session(
        db,
        team_id=team_id,
        session_id=session_id,
        cancelled="“{title}” was cancelled, so it can't be changed.",
        allowed=partial(_require_coordinator, user_id),
    )


def _require_coordinator(user_id: str, project: Project) -> None:
    access.require_coordinator(project, user_id)


def _set_people(
    row: CoSession, *, facilitators: Sequence[str], participants: Sequence[str]
) -> None:
    """Bring the session's people to exactly these, changing only what differs."""
    wanted: dict[str, str] = {}
    for user_id in participants:
        wanted[user_id] = SessionRole.PARTICIPANT
    for user_id in facilitators:
        wanted[user_id] = SessionRole.FACILITATOR
    for person in list(row.people):
        role = wanted.pop(person.user_id, None)
        if role is None:
            row.people.remove(person)
        else:
            person.role = role
    for user_id, role in wanted.items():
        row.people.append(SessionPerson(user_id=user_id, role=role))


def _view(row: CoSession, project: Project) -> SessionView:
    return SessionView(
        **of_session(row),
        project_id=row.project_id,
        facilitators=tuple(row.user_ids(SessionRole.FACILITATOR)),
        participants=tuple(row.user_ids(SessionRole.PARTICIPANT)),
        status=row.status,
        revision=row.revision,
        timezone=project.timezone,
    )


def _was_announced(db: Session, session_id: int) -> bool:
    found = db.scalar(
        select(Delivery.id).where(
            Delivery.subject_type == ANNOUNCEMENT_SUBJECT,
            Delivery.subject_id == session_id,
            Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.SENDING]),
        )
    )
    return found is not None


def _announce(
    db: Session, project: Project, row: CoSession, *, change: str, now: datetime, by: str
) -> None:
    key = (
        f"session:{row.id}:cancelled"
        if change == SessionChange.CANCELLED
        else f"session:{row.id}:announced:r{row.revision}"
    )
    deliveries.schedule(
        db,
        key=key,
        kind=ANNOUNCED_KIND,
        target=project.channel_id,
        due_at=now,
        now=now,
        project_id=project.id,
        subject=(ANNOUNCEMENT_SUBJECT, row.id),
        payload={"session_id": row.id, "change": change, "revision": row.revision},
        escalate_to=by,
    )


def session_kinds(*, present: AnnouncementRenderer) -> Sequence[DeliveryKind]:
    """The delivery kinds sessions use; `present` turns an announcement into a message."""

    def render_announcement(session: Session, delivery: Delivery) -> OutgoingMessage | None:
        row = session.get(CoSession, int(delivery.payload.get("session_id", 0)))
        if row is None:
            return None
        project = session.get(Project, row.project_id)
        if project is None:
            return None
        change = str(delivery.payload.get("change", SessionChange.ADDED))
        if change == SessionChange.CANCELLED:
            if row.status != SessionStatus.CANCELLED:
                return None
        elif row.status != SessionStatus.SCHEDULED or row.revision != delivery.payload.get(
            "revision"
        ):
            # cancelled since, or moved again: a newer announcement says the right thing
            return None
        return present(
            Announcement(
                change=change,
                session=_view(row, project),
                project_name=project.name,
                aims=project.aims,
            )
        )

    return (
        DeliveryKind(
            name=ANNOUNCED_KIND,
            render=render_announcement,
            lateness=LatenessPolicy(
                max_lateness=timedelta(days=1), reason="the announcement was a day late"
            ),
        ),
    )


def build_calendar(
    sessions: Sequence[SessionView], *, team_id: str, project_name: str, now: datetime
) -> bytes:
    """An iCalendar (RFC 5545) document: one VEVENT per session, stable UIDs, UTC times."""
    entries = [
        # calendars take an update only when SEQUENCE grows: a cancellation is one more
        session_entry(
            item,
            team_id,
            sequence=item.revision + (1 if item.status == SessionStatus.CANCELLED else 0),
        )
        for item in sessions
    ]
    return calendar_document(project_name, entries, now=now)


def _file_stem(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip().lower())
    stem = "-".join(part for part in cleaned.split("-") if part)
    return stem[:60] or "sessions"
