"""Governance without extra layers: the project plan's milestones (with a nudge when one is
overdue), the digest for oversight and steering members, and slowing down openly.

Every message here is a ledger delivery rendered at send time. The digest holds counts and
the same published wellbeing totals coordinators see (services/checkins.published_figures,
decided by cobot/domain/disclosure.py): never anyone's answer, mood or words.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import partial
from typing import Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain import checkins as checkin_rules
from cobot.domain import governance as rules
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.governance import MilestoneStatus
from cobot.domain.governance import SlowDownInput
from cobot.domain.roles import Role
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import Problem
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.sessions import SessionTimes
from cobot.domain.zones import local_day
from cobot.services import access
from cobot.services import deliveries
from cobot.services import receipts
from cobot.services.access import AccessError
from cobot.services.access import CoordinatorAsks
from cobot.services.access import InvalidFields
from cobot.services.access import raise_if_invalid
from cobot.services.base import Service
from cobot.services.checkins import published_figures
from cobot.services.debriefs import SUBMITTED
from cobot.services.debriefs import who_debriefs
from cobot.services.deliveries import DeliveryKind
from cobot.services.deliveries import Owed
from cobot.services.deliveries import Presented
from cobot.services.deliveries import Scope
from cobot.services.deliveries import owed_about
from cobot.services.ports import Clock
from cobot.services.ports import OutgoingMessage
from cobot.services.project_views import ForProjectInZone
from cobot.services.project_views import of_project
from cobot.services.projects import lock_project
from cobot.services.resubmission import once_per_form
from cobot.services.session_queries import sessions_with_people
from cobot.services.sessions import Sessions
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import Attendance
from cobot.storage.models import AttendanceRegister
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import Delivery
from cobot.storage.models import Digest
from cobot.storage.models import DigestSettings
from cobot.storage.models import Milestone
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson
from cobot.storage.models import SlowDown

OVERDUE_KIND = "milestone_overdue"
DIGEST_KIND = "oversight_digest"
PREVIEW_KIND = "digest_preview"
SLOWED_PERSON_KIND = "slowed_down_dates"
SLOWED_OVERSIGHT_KIND = "slowed_down_reason"
# what a slow-down tells, in its messages' keys: each person their dates, oversight the reason
_TOLD = {SLOWED_PERSON_KIND: "dates", SLOWED_OVERSIGHT_KIND: "reason"}
MILESTONE_SUBJECT = "milestone"
DIGEST_SUBJECT = "digest"
SLOW_DOWN_SUBJECT = "slow_down"
# the digest lists the registers of this many recent sessions; older ones are counted
DIGEST_REGISTERS = 6
# an overdue nudge goes the morning after the due date, project time
NUDGE_AT = time(9, 0)
OVERSIGHT_ROLES = (Role.OVERSIGHT, Role.STEERING)


# ---------------------------------------------------------------- what the service returns


@dataclass(frozen=True)
class MilestoneView:
    """One milestone as coordinators and owners see it."""

    id: int
    project_id: int
    position: int
    title: str
    owner: str | None
    due_on: date | None
    status: str
    overdue: bool

    @property
    def done(self) -> bool:
        """Marked done."""
        return self.status == MilestoneStatus.DONE


@dataclass(frozen=True)
class PlanView(ForProjectInZone):
    """A project's plan: its milestones in order, and whether the reader may change them."""

    milestones: tuple[MilestoneView, ...]
    can_change: bool
    created: int = 0


@dataclass(frozen=True)
class Nudge:
    """An overdue milestone, for its owner."""

    milestone: MilestoneView
    project_name: str


@dataclass(frozen=True)
class Wellbeing:
    """The latest closed month's published wellbeing totals (as coordinators see them)."""

    period: str
    aggregate: checkin_rules.Aggregate | None


@dataclass(frozen=True)
class SessionAttendance:
    """How many came to one held session, by its saved register: counts only, and only when
    at least MIN_PEOPLE participants were on its list (`counted`), so nobody can be picked
    out."""

    title: str
    saved: bool
    counted: bool
    came: int = 0
    # participants on the session's list
    asked: int = 0
    # participants who came without being on the list
    extra: int = 0


@dataclass(frozen=True)
class DigestFacts:
    """What the oversight digest says, worked out at send time: counts and published
    totals only."""

    digest_id: int
    project_name: str
    timezone: str
    due_at: datetime
    every_days: int
    done: tuple[MilestoneView, ...]
    due: tuple[MilestoneView, ...]
    overdue: int
    milestones_total: int
    sessions_held: int
    sessions_planned: int
    next_session: datetime | None
    # the most recent held sessions' registers, oldest first; `earlier` held before them
    attendance: tuple[SessionAttendance, ...]
    attendance_earlier: int
    debriefs_done: int
    debriefs_expected: int
    wellbeing: Wellbeing | None
    checkins_on: bool
    line: str
    preview: bool = False


@dataclass(frozen=True)
class DigestSetup(ForProjectInZone):
    """The digest's settings and the next one, for the settings form."""

    every_days: int
    enabled: bool
    next_at: datetime | None
    recipients: int


@dataclass(frozen=True)
class LineForm:
    """The coordinator's line for one digest."""

    digest_id: int
    project_name: str
    due_at: datetime
    timezone: str
    line: str


@dataclass(frozen=True)
class SlowDownPreview(ForProjectInZone):
    """What a slow-down would change (nothing is stored yet)."""

    plan: SlowDownInput
    sessions: tuple[rules.Moved, ...]
    milestones: tuple[tuple[MilestoneView, date], ...]
    checks: tuple[Problem, ...]
    people: int

    @property
    def nothing(self) -> bool:
        """Nothing would move."""
        return not any(m.new_start != m.old_start for m in self.sessions) and not any(
            new != m.due_on for m, new in self.milestones
        )


@dataclass(frozen=True)
class SlowedDown:
    """A confirmed slow-down."""

    slow_down_id: int
    sessions_moved: int
    milestones_moved: int
    people_told: int
    oversight_told: int


@dataclass(frozen=True)
class NewDates:
    """One person's new dates after a slow-down."""

    project_name: str
    timezone: str
    sessions: tuple[tuple[str, datetime], ...]
    milestones: tuple[tuple[str, date], ...]


@dataclass(frozen=True)
class SlowDownNotice:
    """The slow-down as oversight and steering members hear it: what moved and why."""

    project_name: str
    by: str
    mode: str
    amount: int
    reason: str
    sessions_moved: int
    milestones_moved: int


GovernanceNote = Nudge | DigestFacts | NewDates | SlowDownNotice
GovernancePresenter = Callable[[GovernanceNote], OutgoingMessage]


# ---------------------------------------------------------------- the service


class Governance(Service):
    """Milestones, the oversight digest and slowing down; each public call one transaction."""

    def __init__(self, *, factory: sessionmaker[Session], clock: Clock, sessions: Sessions) -> None:
        super().__init__(factory=factory, clock=clock)
        self._sessions = sessions

    # ------------------------------------------------------------ milestones

    def plan(self, *, team_id: str, channel_id: str, user_id: str) -> PlanView:
        """The channel's project's plan (any member may look; coordinators change it)."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.members_project(
                db, seeing="its plan", team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return _plan_view(db, project, user_id, now)

    def create_from_template(
        self, *, team_id: str, project_id: int, user_id: str, with_dates: bool
    ) -> PlanView:
        """Make the plan from the case study's steps (coordinators; once per project), due
        dates spread over the project or left blank; starts the oversight digest."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            lock_project(db, project)
            existing = db.scalar(
                select(func.count(Milestone.id)).where(Milestone.project_id == project.id)
            )
            if existing:
                return _plan_view(db, project, user_id, now)
            today = local_day(now, project.timezone)
            start = project.start_date or today
            dates = rules.spread_due_dates(start, project.end_date)
            for position, ((step, title, _share), due) in enumerate(
                zip(rules.TEMPLATE, dates, strict=True), start=1
            ):
                db.add(
                    Milestone(
                        project_id=project.id,
                        position=position,
                        step=step,
                        title=title,
                        owner=None,
                        due_on=due if with_dates else None,
                        status=MilestoneStatus.OPEN,
                        revision=1,
                        created_by=user_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
            db.flush()
            _settings(db, project, user_id, now)
            plan_digest(db, project, now=now)
            view = _plan_view(db, project, user_id, now)
            return PlanView(**{**view.__dict__, "created": len(rules.TEMPLATE)})

    def milestone(self, *, team_id: str, user_id: str, milestone_id: int) -> MilestoneView:
        """One milestone, for a coordinator about to edit it."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            row, project = _milestone(db, team_id, milestone_id)
            access.require_coordinator(project, user_id)
            return _view(row, project, now)

    def edit_milestone(
        self,
        *,
        team_id: str,
        user_id: str,
        milestone_id: int,
        title: str,
        owner: str | None,
        due_on: date | None,
    ) -> MilestoneView:
        """Change a milestone's title, owner and due date (coordinators); a new owner or
        date is owed its own overdue nudge. Raises InvalidFields by block id."""
        now = self._clock.now()
        errors = rules.check_milestone(title)
        with transaction(self._factory) as db:
            row, project = _milestone(db, team_id, milestone_id, lock=True)
            access.require_coordinator(project, user_id)
            if owner is not None and access.role_of(project, owner) is None:
                errors["owner"] = "Choose someone in this project."
            raise_if_invalid(errors)
            if (row.owner, row.due_on) != (owner, due_on):
                row.revision += 1
            row.title = title.strip()
            row.owner = owner
            row.due_on = due_on
            return _changed(db, project, row, now=now)

    def mark_done(self, *, team_id: str, user_id: str, milestone_id: int) -> MilestoneView:
        """Done with one click (its coordinators or its owner); its nudge is not owed."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            row, project = _milestone(db, team_id, milestone_id, lock=True)
            if user_id != row.owner:
                access.require_coordinator(project, user_id)
            if row.status == MilestoneStatus.DONE:
                return _view(row, project, now)
            row.status = MilestoneStatus.DONE
            row.done_at = now
            row.done_by = user_id
            return _changed(db, project, row, now=now)

    def coordinated(self, *, team_id: str, channel_id: str, user_id: str) -> int:
        """The channel's project, when `user_id` coordinates it (for opening a form)."""
        with read_only(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return project.id

    # ------------------------------------------------------------ the digest

    def digest_setup(self, *, team_id: str, channel_id: str, user_id: str) -> DigestSetup:
        """The digest's settings (coordinators)."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return _setup(db, project, now)

    def save_digest_setup(
        self, *, team_id: str, user_id: str, project_id: int, every_days: int | None, enabled: bool
    ) -> DigestSetup:
        """Change how often the digest goes (or stop it); the next one is re-planned."""
        now = self._clock.now()
        errors = rules.check_digest_every(every_days)
        raise_if_invalid(errors)
        assert every_days is not None
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            settings = _settings(db, project, user_id, now)
            settings.every_days = every_days
            settings.enabled = enabled
            settings.updated_by = user_id
            settings.updated_at = now
            upcoming = _upcoming_digest(db, project.id, now)
            if upcoming is not None:
                previous = db.scalar(
                    select(Digest.due_at).where(
                        Digest.project_id == project.id, Digest.number == upcoming.number - 1
                    )
                )
                upcoming.due_at = max(
                    (previous or settings.updated_at) + timedelta(days=every_days),
                    now + timedelta(minutes=1),
                )
            db.flush()
            plan_digest(db, project, now=now)
            return _setup(db, project, now)

    def line_form(self, *, team_id: str, user_id: str, digest_id: int) -> LineForm:
        """The coordinator's line for a digest not yet sent."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            row, project = _digest(db, team_id, user_id, digest_id, now)
            return LineForm(row.id, project.name, row.due_at, project.timezone, row.line)

    def save_line(self, *, team_id: str, user_id: str, digest_id: int, line: str) -> LineForm:
        """The coordinator's line ("on track", "slipping because…"): it goes in the digest,
        rendered when it is sent. Raises InvalidFields (block "line")."""
        now = self._clock.now()
        errors = rules.check_line(line)
        raise_if_invalid(errors)
        with transaction(self._factory) as db:
            row, project = _digest(db, team_id, user_id, digest_id, now)
            row.line = line.strip()
            row.line_by = user_id
            row.line_at = now
            return LineForm(row.id, project.name, row.due_at, project.timezone, row.line)

    # ------------------------------------------------------------ slowing down

    def slow_down_preview(
        self, *, plan: SlowDownInput, **asks: Unpack[CoordinatorAsks]
    ) -> SlowDownPreview:
        """What slowing down would move, and the interval checks on the new dates. Reads
        only: nothing changes before the confirmation."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.coordinators_project(db, **asks)
            return _preview(db, project, plan, now)

    def slow_down(
        self,
        *,
        team_id: str,
        user_id: str,
        project_id: int,
        plan: SlowDownInput,
        form_id: str | None = None,
    ) -> SlowedDown:
        """Move every future session and milestone as planned, in ONE transaction: sessions
        through the sessions' move path (their reminders and debrief prompts follow through
        the SessionChanged fan-out), milestones' nudges re-planned; each affected person is
        told their new dates once and the oversight and steering members the reason."""
        return once_per_form(
            partial(self._slow_down, team_id, user_id, project_id, plan, form_id), form_id
        )

    def _slow_down(
        self, team_id: str, user_id: str, project_id: int, plan: SlowDownInput, form_id: str | None
    ) -> SlowedDown:
        now = self._clock.now()
        receipt = receipts.key("slow_down", form_id, user_id=user_id) if form_id else None
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            lock_project(db, project)
            earlier = receipts.earlier(db, receipt, SlowDown)
            if earlier is not None:
                return SlowedDown(
                    earlier.id, earlier.sessions_moved, earlier.milestones_moved, 0, 0
                )
            preview = _preview(db, project, plan, now)
            if preview.nothing:
                raise InvalidFields({"amount": "Nothing would move: there is nothing ahead."})
            moving = CoSession.id.in_([m.id for m in preview.sessions])
            rows = {r.id: r for r in sessions_with_people(db, moving)}
            # latest first, so a session never lands on one not yet moved
            moved_ids: list[int] = []
            for move in sorted(preview.sessions, key=lambda m: m.old_start, reverse=True):
                if move.new_start == move.old_start:
                    continue
                self._sessions.move_within(db, project, rows[move.id], move.new_start, by=user_id)
                moved_ids.append(move.id)
            milestone_ids: list[int] = []
            for view, new_due in preview.milestones:
                if new_due == view.due_on:
                    continue
                row = db.get(Milestone, view.id)
                assert row is not None
                row.due_on = new_due
                row.revision += 1
                _changed(db, project, row, now=now)
                milestone_ids.append(row.id)
            record = SlowDown(
                project_id=project.id,
                mode=plan.mode,
                amount=plan.amount,
                reason=plan.reason,
                sessions_moved=len(moved_ids),
                milestones_moved=len(milestone_ids),
                created_by=user_id,
                created_at=now,
            )
            db.add(record)
            db.flush()
            if receipt:
                receipts.record(db, receipt, result_id=record.id, now=now)
            people = _affected(db, project, moved_ids, milestone_ids)
            watchers = _oversight(project)
            told = [
                (SLOWED_PERSON_KIND, person, {"sessions": sessions, "milestones": milestones})
                for person, (sessions, milestones) in sorted(people.items())
            ]
            told += [(SLOWED_OVERSIGHT_KIND, person, {}) for person in watchers]
            about = (SLOW_DOWN_SUBJECT, record.id)
            owed = [
                owed_about(
                    about,
                    project.id,
                    f"{_TOLD[kind]}:{person}",
                    kind,
                    person,
                    now,
                    escalate_to=user_id,
                    **ids,
                )
                for kind, person, ids in told
            ]
            deliveries.schedule_many(db, owed, now=now)
            return SlowedDown(
                record.id, len(moved_ids), len(milestone_ids), len(people), len(watchers)
            )


# ---------------------------------------------------------------- helpers


def _view(row: Milestone, project: Project, now: datetime) -> MilestoneView:
    return MilestoneView(
        id=row.id,
        project_id=row.project_id,
        position=row.position,
        title=row.title,
        owner=row.owner,
        due_on=row.due_on,
        status=row.status,
        overdue=rules.overdue(row.due_on, row.status, local_day(now, project.timezone)),
    )


def milestones_of(db: Session, project: Project, now: datetime) -> tuple[MilestoneView, ...]:
    """A project's milestones in plan order (the Home, the timeline and the digest)."""
    rows = db.scalars(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .order_by(Milestone.position, Milestone.id)
    ).all()
    return tuple(_view(r, project, now) for r in rows)


def _plan_view(db: Session, project: Project, user_id: str, now: datetime) -> PlanView:
    return PlanView(
        **of_project(project),
        timezone=project.timezone,
        milestones=milestones_of(db, project, now),
        can_change=access.role_of(project, user_id) is Role.COORDINATOR,
    )


def _milestone(
    db: Session, team_id: str, milestone_id: int, *, lock: bool = False
) -> tuple[Milestone, Project]:
    row = db.get(Milestone, milestone_id, with_for_update=lock or None)
    project = db.get(Project, row.project_id) if row is not None else None
    if row is None or project is None or project.team_id != team_id:
        raise AccessError("That milestone no longer exists.")
    return row, project


def _changed(db: Session, project: Project, row: Milestone, *, now: datetime) -> MilestoneView:
    """A milestone changed now: its nudge is re-planned; it as it is now."""
    row.updated_at = now
    db.flush()
    _plan_nudge(db, project, row, now=now)
    return _view(row, project, now)


def _plan_nudge(db: Session, project: Project, row: Milestone, *, now: datetime) -> None:
    """The one overdue nudge a milestone owes its owner: the morning after its due date,
    while it is open and owned (a new date or owner is owed afresh)."""
    owed: list[Owed] = []
    if row.status == MilestoneStatus.OPEN and row.owner and row.due_on is not None:
        local = datetime.combine(row.due_on + timedelta(days=1), NUDGE_AT)
        due = local.replace(tzinfo=ZoneInfo(project.timezone)).astimezone(UTC)
        owed.append(
            owed_about(
                (MILESTONE_SUBJECT, row.id),
                project.id,
                f"overdue:r{row.revision}",
                OVERDUE_KIND,
                row.owner,
                due,
                escalate_to=project.created_by,
                revision=row.revision,
            )
        )
    deliveries.reconcile(
        db, subject=Scope.of(MILESTONE_SUBJECT, [row.id], [OVERDUE_KIND]), owed=owed, now=now
    )


def _oversight(project: Project) -> list[str]:
    found: list[str] = []
    for role in OVERSIGHT_ROLES:
        found += [u for u in access.people_with(project, role) if u not in found]
    return found


def _settings(db: Session, project: Project, user_id: str, now: datetime) -> DigestSettings:
    row = db.get(DigestSettings, project.id)
    if row is None:
        row = DigestSettings(
            project_id=project.id,
            every_days=rules.DEFAULT_DIGEST_DAYS,
            enabled=True,
            updated_by=user_id,
            updated_at=now,
        )
        db.add(row)
        db.flush()
    return row


def _upcoming_digest(db: Session, project_id: int, now: datetime) -> Digest | None:
    """The digest not yet due (the one the coordinator's line is for)."""
    return db.scalar(
        select(Digest)
        .where(Digest.project_id == project_id, Digest.due_at > now)
        .order_by(Digest.number)
        .limit(1)
    )


def plan_digest(db: Session, project: Project, *, now: datetime) -> None:
    """Make the ledger hold the next digest (to each oversight and steering member) and its
    preview (to each coordinator, a day before), inside the caller's transaction. The last
    digest's rows stay as they are (being sent now, they are not owed late afresh)."""
    settings = db.get(DigestSettings, project.id)
    if settings is None:
        return
    last = db.scalar(
        select(Digest)
        .where(Digest.project_id == project.id)
        .order_by(Digest.number.desc())
        .limit(1)
    )
    upcoming = last if last is not None and last.due_at > now else None
    if upcoming is None and settings.enabled:
        number = (last.number + 1) if last is not None else 1
        base = last.due_at if last is not None else now
        due = base + timedelta(days=settings.every_days)
        while due <= now:
            due += timedelta(days=settings.every_days)
        try:
            with db.begin_nested():
                upcoming = Digest(
                    project_id=project.id, number=number, due_at=due, line="", created_at=now
                )
                db.add(upcoming)
                db.flush()
        except IntegrityError:
            # another sending planned it meanwhile
            upcoming = db.scalar(
                select(Digest).where(Digest.project_id == project.id, Digest.number == number)
            )
    owed: list[Owed] = []
    coordinators = access.people_with(project, Role.COORDINATOR)
    for row, late_ok in ((last if last is not upcoming else None, False), (upcoming, True)):
        if row is None or (row is upcoming and not settings.enabled):
            continue
        # the digest to oversight and steering members; its preview to coordinators, before
        for kind, parts, people, before in (
            (DIGEST_KIND, (), _oversight(project), timedelta(0)),
            (PREVIEW_KIND, ("preview",), coordinators, rules.PREVIEW_BEFORE),
        ):
            owed += [
                Owed(
                    # keyed by the digest (its subject is the project)
                    key=deliveries.owed_key(DIGEST_SUBJECT, row.id, *parts, person),
                    kind=kind,
                    target=person,
                    due_at=row.due_at - before,
                    project_id=project.id,
                    subject=(DIGEST_SUBJECT, project.id),
                    payload={"digest_id": row.id},
                    late_ok=late_ok,
                )
                for person in people
            ]
    deliveries.reconcile(
        db,
        subject=Scope.of(DIGEST_SUBJECT, [project.id], [DIGEST_KIND, PREVIEW_KIND]),
        owed=owed,
        now=now,
    )


def _setup(db: Session, project: Project, now: datetime) -> DigestSetup:
    settings = db.get(DigestSettings, project.id)
    upcoming = _upcoming_digest(db, project.id, now)
    return DigestSetup(
        **of_project(project),
        timezone=project.timezone,
        every_days=settings.every_days if settings else rules.DEFAULT_DIGEST_DAYS,
        enabled=settings.enabled if settings else False,
        next_at=upcoming.due_at if upcoming is not None and settings and settings.enabled else None,
        recipients=len(_oversight(project)),
    )


def _digest(
    db: Session, team_id: str, user_id: str, digest_id: int, now: datetime
) -> tuple[Digest, Project]:
    row = db.get(Digest, digest_id)
    project = db.get(Project, row.project_id) if row is not None else None
    if row is None or project is None or project.team_id != team_id:
        raise AccessError("That digest no longer exists.")
    access.require_coordinator(project, user_id)
    if row.due_at <= now:
        raise AccessError("That digest has already gone, so its line can't change.")
    return row, project


def digest_facts(db: Session, digest: Digest, *, now: datetime) -> DigestFacts | None:
    """What a digest says now: counts of milestones, sessions and debriefs, and the latest
    published wellbeing totals; never anyone's answers."""
    project = db.get(Project, digest.project_id)
    settings = db.get(DigestSettings, digest.project_id)
    if project is None or settings is None:
        return None
    milestones = milestones_of(db, project, now)
    previous = db.scalar(
        select(Digest.due_at).where(
            Digest.project_id == project.id, Digest.number == digest.number - 1
        )
    )
    since = previous or (digest.due_at - timedelta(days=settings.every_days))
    done_ids = set(
        db.scalars(
            select(Milestone.id).where(
                Milestone.project_id == project.id,
                Milestone.status == MilestoneStatus.DONE,
                Milestone.done_at > since,
            )
        )
    )
    horizon = local_day(now, project.timezone) + timedelta(days=settings.every_days)
    due = tuple(
        m for m in milestones if not m.done and m.due_on is not None and m.due_on <= horizon
    )
    sessions = _scheduled(db, project, CoSession.kind == SessionKind.WORKSHOP)
    held = [s for s in sessions if s.ends_at <= now]
    planned = [s for s in sessions if s.ends_at > now]
    expected = {(s.id, u) for s in held for u in who_debriefs(project, s)}
    written = set(
        db.execute(
            select(Debrief.session_id, Debrief.user_id).where(
                Debrief.session_id.in_([s.id for s in held]), Debrief.status == SUBMITTED
            )
        )
    )
    figures = published_figures(db, project, now)
    latest = figures[-1] if figures else None
    return DigestFacts(
        digest_id=digest.id,
        project_name=project.name,
        timezone=project.timezone,
        due_at=digest.due_at,
        every_days=settings.every_days,
        done=tuple(m for m in milestones if m.id in done_ids),
        due=due,
        overdue=sum(1 for m in milestones if m.overdue),
        milestones_total=len(milestones),
        sessions_held=len(held),
        sessions_planned=len(planned),
        next_session=planned[0].starts_at if planned else None,
        attendance=_attendance(db, held[-DIGEST_REGISTERS:]),
        attendance_earlier=max(len(held) - DIGEST_REGISTERS, 0),
        debriefs_done=len(expected & written),
        debriefs_expected=len(expected),
        wellbeing=Wellbeing(latest.label, latest.aggregate) if latest else None,
        checkins_on=bool(figures),
        line=digest.line,
    )


def _scheduled(db: Session, project: Project, *where: ColumnElement[bool]) -> Sequence[CoSession]:
    """The project's scheduled sessions that also meet `where`, with their people, soonest
    first."""
    scheduled = (CoSession.project_id == project.id, CoSession.status == SessionStatus.SCHEDULED)
    return sessions_with_people(db, *scheduled, *where)


def _attendance(db: Session, held: Sequence[CoSession]) -> tuple[SessionAttendance, ...]:
    """Each session's counts from its saved register (participants only; never who)."""
    ids = [s.id for s in held]
    saved = set(
        db.scalars(
            select(AttendanceRegister.session_id).where(
                AttendanceRegister.session_id.in_(ids), AttendanceRegister.saved_at.is_not(None)
            )
        )
    )
    marks: dict[int, list[tuple[bool, bool]]] = {}
    for session_id, attended, unexpected in db.execute(
        select(Attendance.session_id, Attendance.attended, Attendance.unexpected).where(
            Attendance.session_id.in_(saved), Attendance.role == SessionRole.PARTICIPANT
        )
    ):
        marks.setdefault(session_id, []).append((bool(attended), bool(unexpected)))
    found = []
    for cosession in held:
        if cosession.id not in saved:
            found.append(SessionAttendance(cosession.title, saved=False, counted=False))
            continue
        rows = marks.get(cosession.id, [])
        listed = [came for came, unexpected in rows if not unexpected]
        found.append(
            SessionAttendance(
                cosession.title,
                saved=True,
                counted=len(listed) >= MIN_PEOPLE,
                came=sum(listed),
                asked=len(listed),
                extra=sum(1 for came, unexpected in rows if unexpected and came),
            )
        )
    return tuple(found)


def _times(row: CoSession) -> SessionTimes:
    return SessionTimes(row.id, row.title, row.starts_at, row.ends_at)


def _preview(db: Session, project: Project, plan: SlowDownInput, now: datetime) -> SlowDownPreview:
    tz = ZoneInfo(project.timezone)
    rows = _scheduled(db, project, CoSession.starts_at > now)
    moved = rules.slow_sessions([_times(r) for r in rows], plan, tz=tz)
    total = max((m.new_start - m.old_start for m in moved), default=timedelta(0))
    today = local_day(now, project.timezone)
    milestones = tuple(
        (m, rules.slow_milestone(m.due_on, plan, moved_by=total))
        for m in milestones_of(db, project, now)
        if not m.done and m.due_on is not None and m.due_on >= today
    )
    # the interval rule is about the workshop series; sessions already under way stay put
    workshops = {r.id for r in rows if r.kind == SessionKind.WORKSHOP}
    started = (CoSession.kind == SessionKind.WORKSHOP, CoSession.starts_at <= now)
    others = [_times(s) for s in _scheduled(db, project, *started)]
    checks = rules.interval_checks(
        [m for m in moved if m.id in workshops], others, LeadTimes.from_json(project.lead_times)
    )
    people = {p.user_id for r in rows for p in r.people} | {
        m.owner for m, _new in milestones if m.owner
    }
    return SlowDownPreview(
        **of_project(project),
        timezone=project.timezone,
        plan=plan,
        sessions=tuple(moved),
        milestones=milestones,
        checks=tuple(checks),
        people=len(people),
    )


def _affected(
    db: Session, project: Project, session_ids: Sequence[int], milestone_ids: Sequence[int]
) -> dict[str, tuple[list[int], list[int]]]:
    """Each person whose dates moved: the sessions they are in and the milestones they own."""
    found: dict[str, tuple[list[int], list[int]]] = {}
    if session_ids:
        for session_id, user in db.execute(
            select(SessionPerson.session_id, SessionPerson.user_id)
            .where(SessionPerson.session_id.in_(list(session_ids)))
            .order_by(SessionPerson.session_id)
        ):
            found.setdefault(user, ([], []))[0].append(session_id)
    if milestone_ids:
        for milestone_id, owner in db.execute(
            select(Milestone.id, Milestone.owner).where(Milestone.id.in_(list(milestone_ids)))
        ):
            if owner:
                found.setdefault(owner, ([], []))[1].append(milestone_id)
    members = {m.user_id for m in project.members}
    return {u: v for u, v in found.items() if u in members}


# ---------------------------------------------------------------- rendering at send time


def governance_kinds(*, present: GovernancePresenter, clock: Clock) -> Sequence[DeliveryKind]:
    """The delivery kinds governance uses; `present` turns a note into a message."""

    def build(db: Session, delivery: Delivery) -> GovernanceNote | None:
        now = clock.now()
        if delivery.kind == OVERDUE_KIND:
            return _build_nudge(db, delivery, now)
        if delivery.kind in (DIGEST_KIND, PREVIEW_KIND):
            return _build_digest(db, delivery, now)
        if delivery.kind == SLOWED_PERSON_KIND:
            return _build_new_dates(db, delivery)
        return _build_notice(db, delivery)

    render: Presented[GovernanceNote] = Presented(build=build, present=present)
    week = LatenessPolicy(max_lateness=timedelta(days=7), reason="the nudge was a week late")
    day = LatenessPolicy(max_lateness=timedelta(days=1), reason="the preview was a day late")
    digest_late = LatenessPolicy(
        max_lateness=timedelta(days=3), reason="the digest was three days late"
    )
    return deliveries.kinds_rendered_by(
        render,
        {
            OVERDUE_KIND: week,
            DIGEST_KIND: digest_late,
            PREVIEW_KIND: day,
            SLOWED_PERSON_KIND: week,
            SLOWED_OVERSIGHT_KIND: week,
        },
    )


def _build_nudge(db: Session, delivery: Delivery, now: datetime) -> Nudge | None:
    row = db.get(Milestone, int(delivery.payload.get("milestone_id", 0)))
    project = db.get(Project, row.project_id) if row is not None else None
    if row is None or project is None:
        return None
    if row.status != MilestoneStatus.OPEN or row.revision != delivery.payload.get("revision"):
        return None
    if row.owner != delivery.target:
        return None
    return Nudge(milestone=_view(row, project, now), project_name=project.name)


def _build_digest(db: Session, delivery: Delivery, now: datetime) -> DigestFacts | None:
    digest = db.get(Digest, int(delivery.payload.get("digest_id", 0)))
    if digest is None:
        return None
    project = db.get(Project, digest.project_id)
    settings = db.get(DigestSettings, digest.project_id)
    if project is None or settings is None or not settings.enabled:
        return None
    if delivery.kind == DIGEST_KIND:
        if delivery.target not in _oversight(project):
            return None
        # the next one is owed from now (the preview re-plans too, for new members)
        plan_digest(db, project, now=now)
    else:
        if access.role_of(project, delivery.target) is not Role.COORDINATOR:
            return None
        plan_digest(db, project, now=now)
    facts = digest_facts(db, digest, now=now)
    if facts is None:
        return None
    return DigestFacts(**{**facts.__dict__, "preview": delivery.kind == PREVIEW_KIND})


def _slowed(db: Session, delivery: Delivery) -> tuple[SlowDown, Project] | None:
    """The slow-down a delivery tells of and its project, while both exist."""
    record = db.get(SlowDown, int(delivery.payload.get("slow_down_id", 0)))
    project = db.get(Project, record.project_id) if record is not None else None
    return (record, project) if record is not None and project is not None else None


def _build_new_dates(db: Session, delivery: Delivery) -> NewDates | None:
    found = _slowed(db, delivery)
    if found is None:
        return None
    record, project = found
    session_ids = [int(i) for i in delivery.payload.get("sessions", [])]
    milestone_ids = [int(i) for i in delivery.payload.get("milestones", [])]
    sessions = db.execute(
        select(CoSession.title, CoSession.starts_at)
        .where(CoSession.id.in_(session_ids), CoSession.status == SessionStatus.SCHEDULED)
        .order_by(CoSession.starts_at)
    )
    milestones = db.execute(
        select(Milestone.title, Milestone.due_on)
        .where(Milestone.id.in_(milestone_ids), Milestone.status == MilestoneStatus.OPEN)
        .order_by(Milestone.due_on)
    )
    dates = NewDates(
        project_name=project.name,
        timezone=project.timezone,
        sessions=tuple((t, s) for t, s in sessions),
        milestones=tuple((t, d) for t, d in milestones if d is not None),
    )
    return dates if dates.sessions or dates.milestones else None


def _build_notice(db: Session, delivery: Delivery) -> SlowDownNotice | None:
    found = _slowed(db, delivery)
    if found is None:
        return None
    record, project = found
    return SlowDownNotice(
        project_name=project.name,
        by=record.created_by,
        mode=record.mode,
        amount=record.amount,
        reason=record.reason,
        sessions_moved=record.sessions_moved,
        milestones_moved=record.milestones_moved,
    )


__all__ = [
    "DIGEST_KIND",
    "OVERDUE_KIND",
    "PREVIEW_KIND",
    "DigestFacts",
    "DigestSetup",
    "Governance",
    "LineForm",
    "MilestoneView",
    "NewDates",
    "Nudge",
    "PlanView",
    "SlowDownNotice",
    "SlowDownPreview",
    "SlowedDown",
    "digest_facts",
    "governance_kinds",
    "milestones_of",
    "plan_digest",
]
