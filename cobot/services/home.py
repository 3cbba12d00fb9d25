"""App Home: what each person has to do and, for coordinators, where each project stands.

`Home.home()` gathers one person's Home in one read transaction (plus the check-ins
service's own aggregate for coordinators). Nothing here returns another person's answers:
debriefs are read as "who has written one" (session and user ids, never their columns),
check-in moods are read only for their author's own trend, and wellbeing for coordinators
comes only from `Checkins.summary`, which applies the 3-answer rule.

`watch_changes()` keeps Homes fresh without every feature calling back: it notes which
projects, sessions and people each committed transaction touched (from the ORM's unit of
work), and hands them to a callback (the Slack side republishes those people's Homes).
`audience()` narrows that to the people who have opened their Home (`opened()` notes them),
and what sending a message changes (a delivery's status, the day a check-in went out, a
debrief round opening) touches no Home: a reminder never costs a views.publish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload
from sqlalchemy.orm import sessionmaker

from cobot.domain import checkins as checkin_rules
from cobot.domain import timeline as rules
from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.governance import MilestoneStatus
from cobot.domain.governance import overdue
from cobot.domain.involvement import overloaded
from cobot.domain.projects import ProjectStatus
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.zones import local_day
from cobot.services import access
from cobot.services import after_commit
from cobot.services import perspectives as perspectives_service
from cobot.services import reviews as reviews_service
from cobot.services.access import AccessError
from cobot.services.base import Service
from cobot.services.checkins import PRIVATE_KINDS
from cobot.services.checkins import Checkins
from cobot.services.checkins import CheckinSettings
from cobot.services.checkins import PersonSettings
from cobot.services.checkins import Summary
from cobot.services.deadlines import Deadlines
from cobot.services.debriefs import who_debriefs
from cobot.services.deliveries import DeliveryRef
from cobot.services.deliveries import DeliveryRunner
from cobot.services.governance import MilestoneView
from cobot.services.governance import milestones_of
from cobot.services.involvement import InvolvementRecord
from cobot.services.involvement import facilitation_minutes
from cobot.services.involvement import records_in
from cobot.services.ports import Clock
from cobot.services.project_views import of_project
from cobot.services.reminders import ONBOARDING_CHECKLIST
from cobot.services.session_queries import sessions_with_people
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import Base
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CheckinSetup
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import DebriefAction
from cobot.storage.models import DebriefRound
from cobot.storage.models import Delivery
from cobot.storage.models import HomeOpened
from cobot.storage.models import Member
from cobot.storage.models import MemberPerspectives
from cobot.storage.models import Milestone
from cobot.storage.models import ParticipantFeedback
from cobot.storage.models import Poll
from cobot.storage.models import Project
from cobot.storage.models import ReviewAnswer
from cobot.storage.models import ReviewRound
from cobot.storage.models import SessionPerson

log = logging.getLogger(__name__)


# how much each section shows before it summarises
NEXT_SESSIONS = 5
MAX_ITEMS = 12
MAX_FAILURES = 5
TREND_ANSWERS = 12
# an agenda shows as an open item this long before its deadline
AGENDA_HORIZON = timedelta(days=7)
# debriefs and notes still open this long after the session stay on the list
ITEM_HORIZON = rules.RISK_HORIZON
# a check-in message still counts as open (unanswered) this long after it was sent
CHECKIN_OPEN_FOR = timedelta(days=2)

# open items, by kind
ITEM_DEBRIEF = "debrief"
ITEM_FEEDBACK = "feedback"
ITEM_AGENDA = "agenda"
ITEM_NOTES = "notes"
ITEM_ACTION = "action"
ITEM_CHECKIN = "checkin"
ITEM_MILESTONE = "milestone"

ROLE_WORDS = {
    SessionRole.FACILITATOR: "facilitating",
    SessionRole.PARTICIPANT: "taking part",
    Role.COORDINATOR.value: "coordinating",
    Role.PROJECT_TEAM.value: "project team",
}


# ---------------------------------------------------------------- what Home returns


@dataclass(frozen=True)
class SessionLine:
    """One of my next sessions, with my part in it."""

    id: int
    project_name: str
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    timezone: str
    role: str  # facilitator | participant | coordinator | project_team
    agenda_shared: bool = False

    @property
    def role_words(self) -> str:
        """My part, in words."""
        return ROLE_WORDS.get(self.role, self.role.replace("_", " "))


@dataclass(frozen=True)
class OpenItem:
    """Something I am the one to do; `target_id` is what its button acts on (a session, an
    action or a check-in delivery)."""

    kind: str
    project_name: str
    title: str
    target_id: int
    due_at: datetime | None
    timezone: str
    overdue: bool = False


@dataclass(frozen=True)
class CheckinLine(CheckinSettings[str]):
    """My own check-in settings and trend in one project (only ever shown to me)."""

    next_at: datetime | None
    timezone: str
    trend: str
    answers: int


@dataclass(frozen=True)
class ProjectCard:
    """A project I belong to."""

    id: int
    name: str
    role: Role
    aims: str
    has_agreement: bool
    timezone: str
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True)
class OnboardingLine:
    """A participant with onboarding still to do (item labels only, nothing personal)."""

    user_id: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Failure(DeliveryRef):
    """A message that did not reach its person, and why."""

    due_at: datetime
    reason: str


@dataclass(frozen=True)
class CoordinatorView:
    """One project as its coordinators see it: never anyone's answers."""

    project_id: int
    name: str
    timezone: str
    timeline: rules.Timeline
    risks: tuple[rules.Risk, ...]
    participants: int
    onboarded: int
    onboarding: tuple[OnboardingLine, ...]
    rota: tuple[rules.RotaLine, ...]
    failures: tuple[Failure, ...]
    failures_total: int
    checkins_on: bool
    # the last closed month's published figures ("" / None: no month has ended yet)
    wellbeing: checkin_rules.Aggregate | None = None
    wellbeing_period: str = ""
    # the open month, whose figures appear once it ends
    wellbeing_open: str = ""
    # voices in the room (counts only) and the participants' review (counts while open)
    perspectives: perspectives_service.Mix | None = None
    review_open: reviews_service.OpenRound | None = None
    review_last: reviews_service.OutcomeNote | None = None
    # the project plan (services/governance.py), overdue ones marked
    milestones: tuple[MilestoneView, ...] = ()
    # facilitation hours so far by practitioner (saved registers), and who carries much more
    workload: tuple[tuple[str, int], ...] = ()
    overloaded: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomeView:
    """Everything one person's Home shows."""

    user_id: str
    now: datetime
    sessions: tuple[SessionLine, ...]
    items: tuple[OpenItem, ...]
    items_total: int
    checkins: tuple[CheckinLine, ...]
    projects: tuple[ProjectCard, ...]
    coordinating: tuple[CoordinatorView, ...] = ()
    # coordinated projects shown as one line (the Home details one at a time)
    other_coordinated: tuple[ProjectCard, ...] = ()
    # open review rounds the person (a participant) has not answered yet
    reviews: tuple[reviews_service.Awaiting, ...] = ()
    # the person's own involvement record (sessions attended, time logged, payment choice)
    involvement: tuple[InvolvementRecord, ...] = ()

    @property
    def empty(self) -> bool:
        """The person belongs to no project yet."""
        return not self.projects


@dataclass(frozen=True)
class AgreementView:
    """A project's aims and group agreement, for any member."""

    project_id: int
    name: str
    aims: str
    agreement: str


@dataclass(frozen=True)
class Retried:
    """A failed delivery was put back in the queue (False: it had already moved on)."""

    delivery_id: int
    kind: str
    target: str
    retried: bool


@dataclass(frozen=True)
class Touch:
    """Something a transaction changed, as far as Homes care: a project (everyone in it), a
    session (everyone in its project), or one person's own thing in a project (them and the
    coordinators). Ids only."""

    project_id: int | None = None
    session_id: int | None = None
    user_id: str | None = None
    checkin_person_id: int | None = None
    coordinators_only: bool = False


# ---------------------------------------------------------------- the service


class Home(Service):
    """Builds Homes; the coordinator's retry; the agreement card; who to refresh."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        runner: DeliveryRunner | None = None,
        checkins: Checkins | None = None,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._runner = runner
        self._checkins = checkins

    def home(self, *, team_id: str, user_id: str, focus: int | None = None) -> HomeView:
        """One person's Home: next sessions, open items, own check-ins, projects; and for a
        coordinator, the project `focus` (or their first) in detail, the others in a line."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            memberships = db.execute(
                select(Member, Project)
                .join(Project, Project.id == Member.project_id)
                .where(
                    Member.user_id == user_id,
                    Project.team_id == team_id,
                    Project.status == ProjectStatus.ACTIVE,
                )
                # every project's people in one more query (debriefers, onboarding, rota)
                .options(selectinload(Project.members))
                .order_by(Project.name, Project.id)
            ).all()
            if not memberships:
                return HomeView(user_id, now, (), (), 0, (), ())
            projects = {p.id: p for _m, p in memberships}
            roles = {p.id: Role(m.role) for m, p in memberships}
            cards = tuple(_card(p, roles[p.id]) for p in projects.values())
            sessions = _sessions(db, list(projects))
            me = _Reading(db, user_id, now, projects, roles, sessions)
            lines = _my_sessions(me)
            items = _my_items(me)
            mine = _my_checkins(me)
            to_review = reviews_service.awaiting(db, list(projects.values()), user_id, now)
            record = tuple(records_in(db, projects.values(), user_id))
            coordinated = [c for c in cards if c.role is Role.COORDINATOR]
            chosen = next((c for c in coordinated if c.id == focus), None) or (
                coordinated[0] if coordinated else None
            )
            detail: list[CoordinatorView] = []
            if chosen is not None:
                project = projects[chosen.id]
                detail.append(
                    _coordinator_view(
                        db, project, [s for s in sessions if s.project_id == project.id], now
                    )
                )
        if detail and detail[0].checkins_on and self._checkins is not None:
            detail[0] = self._with_wellbeing(detail[0], team_id, user_id, projects)
        return HomeView(
            user_id=user_id,
            now=now,
            sessions=tuple(lines[:NEXT_SESSIONS]),
            items=tuple(items[:MAX_ITEMS]),
            items_total=len(items),
            checkins=mine,
            projects=cards,
            coordinating=tuple(detail),
            other_coordinated=tuple(c for c in coordinated if chosen and c.id != chosen.id),
            reviews=tuple(to_review),
            involvement=record,
        )

    def _with_wellbeing(
        self, view: CoordinatorView, team_id: str, user_id: str, projects: dict[int, Project]
    ) -> CoordinatorView:
        """The last closed month's published figures, the same the summary and the report
        show (cobot/domain/disclosure.py decides them), never a window of live data."""
        assert self._checkins is not None
        try:
            summary: Summary = self._checkins.summary(
                team_id=team_id,
                channel_id=projects[view.project_id].channel_id,
                user_id=user_id,
            )
        except AccessError:
            return view
        latest = summary.periods[0] if summary.periods else None
        return replace(
            view,
            wellbeing=latest.aggregate if latest else None,
            wellbeing_period=latest.label if latest else "",
            wellbeing_open=summary.open_period,
        )

    def agreement(self, *, team_id: str, user_id: str, project_id: int) -> AgreementView:
        """A project's aims and group agreement, for its members."""
        with read_only(self._factory) as db:
            project = access.members_project(
                db, seeing="its agreement", team_id=team_id, user_id=user_id, project_id=project_id
            )
            return AgreementView(project.id, project.name, project.aims, project.agreement)

    def checkin_settings(self, *, team_id: str, user_id: str, project_id: int) -> PersonSettings:
        """My check-in settings in a project, through the check-ins service."""
        if self._checkins is None:
            raise AccessError("Check-ins are not available here.")
        with read_only(self._factory) as db:
            project = access.project_by_id(db, team_id=team_id, project_id=project_id)
            channel_id = project.channel_id
        return self._checkins.settings_form(team_id=team_id, channel_id=channel_id, user_id=user_id)

    def retry(self, *, team_id: str, user_id: str, delivery_id: int) -> Retried:
        """A coordinator of the delivery's project puts a failed message back in the queue."""
        with transaction(self._factory) as db:
            row = db.get(Delivery, delivery_id)
            if row is None or row.project_id is None or row.kind in PRIVATE_KINDS:
                raise AccessError("That message no longer exists, so nothing was retried.")
            access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=row.project_id
            )
            kind, target = row.kind, row.target
        retried = self._runner.retry(delivery_id) if self._runner is not None else False
        return Retried(delivery_id, kind, target, retried)

    def coordinated_channel(self, *, team_id: str, user_id: str, project_id: int) -> str:
        """The channel of a project `user_id` coordinates (NotCoordinator otherwise)."""
        with read_only(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            return project.channel_id

    def opened(self, *, team_id: str, user_id: str) -> bool:
        """Note that `user_id` opened their Home (from now on their Home is kept fresh);
        True the first time. A read when already noted, so opening takes no write lock."""
        with read_only(self._factory) as db:
            if db.get(HomeOpened, (team_id, user_id)) is not None:
                return False
        with transaction(self._factory) as db:
            # two opens at once (two workers) both insert: the second one is a no-op
            insert = _insert_ignoring_duplicates(db, HomeOpened)
            result = db.execute(
                insert.values(team_id=team_id, user_id=user_id, first_opened_at=self._clock.now())
            )
            return bool(getattr(result, "rowcount", 1))

    def audience(self, touches: Iterable[Touch]) -> set[tuple[str, str]]:
        """Whose Home (team id, user id) the touched things show on, among the people who
        have opened theirs (a Home never looked at is never published)."""
        found: set[tuple[str, str]] = set()
        touches = list(touches)
        with read_only(self._factory) as db:
            session_ids = {t.session_id for t in touches if t.session_id is not None}
            projects_of: dict[int, int] = {}
            if session_ids:
                for row in db.execute(
                    select(CoSession.id, CoSession.project_id).where(CoSession.id.in_(session_ids))
                ):
                    projects_of[row.id] = row.project_id
            person_ids = {t.checkin_person_id for t in touches if t.checkin_person_id is not None}
            persons = (
                {
                    p.id: (p.project_id, p.user_id)
                    for p in db.scalars(
                        select(CheckinPerson).where(CheckinPerson.id.in_(person_ids))
                    )
                }
                if person_ids
                else {}
            )
            wanted: list[tuple[int, str | None, bool]] = []
            for touch in touches:
                project_id, user_id = touch.project_id, touch.user_id
                if project_id is None and touch.session_id is not None:
                    project_id = projects_of.get(touch.session_id)
                if touch.checkin_person_id is not None:
                    if touch.checkin_person_id not in persons:
                        continue
                    project_id, user_id = persons[touch.checkin_person_id]
                if project_id is not None:
                    wanted.append((project_id, user_id, touch.coordinators_only))
            project_ids = {p for p, _u, _c in wanted}
            if not project_ids:
                return found
            # every touched project with its members in two queries, however many touches
            projects = {
                p.id: p
                for p in db.scalars(
                    select(Project)
                    .where(Project.id.in_(project_ids))
                    .options(selectinload(Project.members))
                )
            }
            for project_id, user_id, coordinators_only in wanted:
                project = projects.get(project_id)
                if project is None:
                    continue
                if user_id is not None:
                    found.add((project.team_id, user_id))
                everyone = user_id is None and not coordinators_only
                for member in project.members:
                    if everyone or member.role == Role.COORDINATOR:
                        found.add((project.team_id, member.user_id))
            teams = {team for team, _u in found}
            looked = {
                (team, user)
                for team, user in db.execute(
                    select(HomeOpened.team_id, HomeOpened.user_id).where(
                        HomeOpened.team_id.in_(teams)
                    )
                )
            }
        return found & looked


def _insert_ignoring_duplicates(db: Session, model: type[Base]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on the database in use."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model).on_conflict_do_nothing()
    return sqlite_insert(model).on_conflict_do_nothing()


# ---------------------------------------------------------------- reading, in one transaction


def _card(project: Project, role: Role) -> ProjectCard:
    return ProjectCard(
        id=project.id,
        name=project.name,
        role=role,
        aims=project.aims,
        has_agreement=bool(project.agreement.strip()),
        timezone=project.timezone,
        start_date=project.start_date,
        end_date=project.end_date,
    )


def _sessions(db: Session, project_ids: list[int]) -> list[CoSession]:
    scheduled = CoSession.status == SessionStatus.SCHEDULED
    return list(sessions_with_people(db, CoSession.project_id.in_(project_ids), scheduled))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class _Reading:
    """One person's Home as it is read, in one transaction: their active projects (members
    loaded) and their role in each, and those projects' scheduled sessions."""

    db: Session
    user_id: str
    now: datetime
    projects: dict[int, Project]
    roles: dict[int, Role]
    sessions: list[CoSession]


def _my_sessions(me: _Reading) -> list[SessionLine]:
    projects, roles, user_id, now = me.projects, me.roles, me.user_id, me.now
    lines = []
    for s in me.sessions:
        if s.ends_at <= now:
            continue
        mine = next((p.role for p in s.people if p.user_id == user_id), None)
        role = roles[s.project_id]
        if mine is None and role in (Role.COORDINATOR, Role.PROJECT_TEAM):
            mine = role.value
        if mine is None:
            continue
        project = projects[s.project_id]
        lines.append(
            SessionLine(
                id=s.id,
                project_name=project.name,
                title=s.title,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                venue=s.venue,
                timezone=project.timezone,
                role=mine,
                agenda_shared=s.agenda_shared_at is not None,
            )
        )
    return lines


def _my_items(me: _Reading) -> list[OpenItem]:
    db, sessions, projects, roles = me.db, me.sessions, me.projects, me.roles
    user_id, now = me.user_id, me.now
    items: list[OpenItem] = []
    recent = [
        s
        for s in sessions
        if s.ends_at <= now and now - s.ends_at <= ITEM_HORIZON and s.kind != SessionKind.REFLECTIVE
    ]
    recent_ids = [s.id for s in recent]
    # which of these I have debriefed or given feedback on (ids only, never the content)
    debriefed = set(
        db.scalars(
            select(Debrief.session_id).where(
                Debrief.user_id == user_id, Debrief.session_id.in_(recent_ids)
            )
        )
    )
    gave = set(
        db.scalars(
            select(ParticipantFeedback.session_id).where(
                ParticipantFeedback.user_id == user_id,
                ParticipantFeedback.session_id.in_(recent_ids),
            )
        )
    )
    rounds = {
        r.session_id: r
        for r in db.scalars(select(DebriefRound).where(DebriefRound.session_id.in_(recent_ids)))
    }
    for s in recent:
        project = projects[s.project_id]
        deadlines = Deadlines.of(project)
        tz = deadlines.tz
        round_ = rounds.get(s.id)
        if (
            user_id in who_debriefs(project, s)
            and s.id not in debriefed
            and (round_ is None or round_.closed_at is None)
        ):
            due = deadlines.debrief(s)
            items.append(
                OpenItem(ITEM_DEBRIEF, project.name, s.title, s.id, due, tz.key, due <= now)
            )
        feedback_due = deadlines.feedback(s)
        if (
            user_id in s.user_ids(SessionRole.PARTICIPANT)
            and s.id not in gave
            and feedback_due > now
            and (round_ is None or round_.feedback_closed_at is None)
        ):
            items.append(OpenItem(ITEM_FEEDBACK, project.name, s.title, s.id, feedback_due, tz.key))
        if s.notes_posted_at is None and roles[s.project_id] in (
            Role.PROJECT_TEAM,
            Role.COORDINATOR,
        ):
            due = deadlines.notes(s)
            items.append(OpenItem(ITEM_NOTES, project.name, s.title, s.id, due, tz.key, due <= now))
    for s in sessions:
        if s.starts_at <= now or s.agenda_shared_at is not None:
            continue
        if user_id not in s.user_ids(SessionRole.FACILITATOR):
            continue
        project = projects[s.project_id]
        due = Deadlines.of(project).agenda(s)
        if due - AGENDA_HORIZON <= now:
            overdue = due <= now
            items.append(
                OpenItem(ITEM_AGENDA, project.name, s.title, s.id, due, project.timezone, overdue)
            )
    actions = db.execute(
        select(DebriefAction, CoSession.starts_at)
        .outerjoin(CoSession, CoSession.id == DebriefAction.session_id)
        .where(
            DebriefAction.owner == user_id,
            DebriefAction.status == "open",
            DebriefAction.project_id.in_(list(projects)),
        )
        .order_by(DebriefAction.id)
    ).all()
    for action, _started in actions:
        project = projects[action.project_id]
        items.append(
            OpenItem(ITEM_ACTION, project.name, action.text, action.id, None, project.timezone)
        )
    items.extend(_open_checkins(me))
    items.extend(_my_milestones(me))
    # overdue first, then by due time; undated (actions) last
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (not i.overdue, i.due_at or far, i.kind, i.target_id))


def _my_milestones(me: _Reading) -> list[OpenItem]:
    """The plan's milestones I own that are overdue or due within the agenda horizon."""
    db, projects, user_id, now = me.db, me.projects, me.user_id, me.now
    rows = db.scalars(
        select(Milestone)
        .where(
            Milestone.owner == user_id,
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.due_on.is_not(None),
            Milestone.project_id.in_(list(projects)),
        )
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    items = []
    for row in rows:
        project = projects[row.project_id]
        tz = ZoneInfo(project.timezone)
        assert row.due_on is not None
        due = datetime.combine(row.due_on + timedelta(days=1), datetime.min.time(), tz)
        if due - AGENDA_HORIZON <= now:
            late = overdue(row.due_on, row.status, local_day(now, tz))
            items.append(
                OpenItem(ITEM_MILESTONE, project.name, row.title, row.id, due, tz.key, late)
            )
    return items


def _open_checkins(me: _Reading) -> list[OpenItem]:
    """My latest check-in message per project, when it was sent lately and I have not
    answered it (whether I answered is read by delivery id: no mood is decrypted)."""
    db, projects, user_id, now = me.db, me.projects, me.user_id, me.now
    people = db.scalars(
        select(CheckinPerson).where(
            CheckinPerson.user_id == user_id,
            CheckinPerson.project_id.in_(list(projects)),
            CheckinPerson.status == "active",
        )
    ).all()
    if not people:
        return []
    # each person's check-ins sent lately, all in one query (a few rows: two days' worth)
    latest: dict[int, Delivery] = {}
    for sent in db.scalars(
        select(Delivery).where(
            Delivery.subject_type == "checkin_person",
            Delivery.subject_id.in_([p.id for p in people]),
            Delivery.kind == "checkin",
            Delivery.status == DeliveryStatus.SENT,
            Delivery.finished_at >= now - CHECKIN_OPEN_FOR,
        )
    ):
        person_id = sent.subject_id or 0
        if person_id not in latest or sent.due_at > latest[person_id].due_at:
            latest[person_id] = sent
    answered = (
        set(
            db.scalars(
                select(CheckinAnswer.delivery_id).where(
                    CheckinAnswer.delivery_id.in_([d.id for d in latest.values()])
                )
            )
        )
        if latest
        else set()
    )
    items = []
    for person in people:
        found = latest.get(person.id)
        if found is not None and found.id not in answered:
            project = projects[person.project_id]
            items.append(
                OpenItem(
                    ITEM_CHECKIN, project.name, "How are you?", found.id, None, project.timezone
                )
            )
    return items


def _my_checkins(me: _Reading) -> tuple[CheckinLine, ...]:
    db, projects, user_id = me.db, me.projects, me.user_id
    rows = db.execute(
        select(CheckinPerson, CheckinSetup)
        .join(CheckinSetup, CheckinSetup.project_id == CheckinPerson.project_id)
        .where(
            CheckinPerson.user_id == user_id,
            CheckinPerson.project_id.in_(list(projects)),
            CheckinSetup.enabled.is_(True),
        )
        .order_by(CheckinPerson.project_id)
    ).all()
    ids = [person.id for person, _setup in rows]
    if not ids:
        return ()
    # every project's next check-in and latest answers in two queries, not two per project
    next_at: dict[int, datetime] = {}
    for subject_id, due_at in db.execute(
        select(Delivery.subject_id, Delivery.due_at).where(
            Delivery.subject_type == "checkin_person",
            Delivery.subject_id.in_(ids),
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
    ):
        if subject_id is not None and (subject_id not in next_at or due_at < next_at[subject_id]):
            next_at[subject_id] = due_at
    # my own answers only: the newest TREND_ANSWERS of each, newest first
    rank = (
        func.row_number()
        .over(
            partition_by=CheckinAnswer.person_id,
            order_by=(CheckinAnswer.asked_on.desc(), CheckinAnswer.id.desc()),
        )
        .label("rank")
    )
    ranked = select(CheckinAnswer.id, rank).where(CheckinAnswer.person_id.in_(ids)).subquery()
    answers: dict[int, list[CheckinAnswer]] = {}
    for answer in db.scalars(
        select(CheckinAnswer)
        .join(ranked, ranked.c.id == CheckinAnswer.id)
        .where(ranked.c.rank <= TREND_ANSWERS)
        .order_by(CheckinAnswer.person_id, CheckinAnswer.asked_on.desc(), CheckinAnswer.id.desc())
    ):
        answers.setdefault(answer.person_id, []).append(answer)
    lines = []
    for person, _setup in rows:
        project = projects[person.project_id]
        # shown oldest first
        moods = [_mood(a) for a in reversed(answers.get(person.id, []))]
        lines.append(
            CheckinLine(
                **of_project(project),
                status=person.status,
                time_of_day=person.time_of_day,
                days=checkin_rules.format_days(int(d) for d in person.working_days or []),
                after_sessions=person.after_sessions,
                paused_until=person.paused_until,
                next_at=next_at.get(person.id),
                timezone=person.timezone or project.timezone,
                trend=checkin_rules.sparkline(m for m in moods if m),
                answers=len(moods),
            )
        )
    return tuple(lines)


def _mood(answer: CheckinAnswer) -> int:
    try:
        return int(answer.mood)
    except ValueError:
        return 0


def _coordinator_view(
    db: Session, project: Project, sessions: list[CoSession], now: datetime
) -> CoordinatorView:
    deadlines = Deadlines.of(project)
    lead, tz = deadlines.lead, deadlines.tz
    ids = [s.id for s in sessions]
    answered: dict[int, set[str]] = {}
    # who has answered (written or skipped) each debrief: ids only, never the columns
    for session_id, who in db.execute(
        select(Debrief.session_id, Debrief.user_id).where(Debrief.session_id.in_(ids))
    ):
        answered.setdefault(session_id, set()).add(who)
    closed = set(
        db.scalars(
            select(DebriefRound.session_id).where(
                DebriefRound.session_id.in_(ids), DebriefRound.closed_at.is_not(None)
            )
        )
    )
    points = []
    agenda_due: dict[int, datetime] = {}
    notes_due: dict[int, datetime] = {}
    debriefs_due: dict[int, datetime] = {}
    for s in sessions:
        facilitators = _unique(s.user_ids(SessionRole.FACILITATOR))
        missing = (
            ()
            if s.kind == SessionKind.REFLECTIVE
            else tuple(u for u in who_debriefs(project, s) if u not in answered.get(s.id, set()))
        )
        points.append(
            rules.SessionPoint(
                id=s.id,
                title=s.title,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                facilitators=len(facilitators),
                participants=len(_unique(s.user_ids(SessionRole.PARTICIPANT))),
                agenda_shared=s.agenda_shared_at is not None or s.kind == SessionKind.REFLECTIVE,
                notes_posted=s.notes_posted_at is not None or s.kind == SessionKind.REFLECTIVE,
                debriefs_missing=missing,
                debriefs_closed=s.id in closed,
            )
        )
        agenda_due[s.id] = deadlines.agenda(s)
        notes_due[s.id] = deadlines.notes(s)
        debriefs_due[s.id] = deadlines.debrief(s)
    workshops = [
        p for p, s in zip(points, sessions, strict=True) if s.kind != SessionKind.REFLECTIVE
    ]
    today = local_day(now, tz)
    line = rules.timeline(workshops, now=now, today=today, end_date=project.end_date, lead=lead)
    at_risk = rules.risks(
        workshops,
        now=now,
        lead=lead,
        agenda_due=agenda_due,
        notes_due=notes_due,
        debriefs_due=debriefs_due,
    )
    rota = tuple(
        rules.RotaLine(
            session_id=s.id,
            title=s.title,
            starts_at=s.starts_at,
            facilitators=tuple(_unique(s.user_ids(SessionRole.FACILITATOR))),
            participants=len(_unique(s.user_ids(SessionRole.PARTICIPANT))),
        )
        for s in sessions
        if s.ends_at > now and s.kind != SessionKind.REFLECTIVE
    )
    participants = [m for m in project.members if m.role == Role.PARTICIPANT]
    onboarding = []
    for member in participants:
        missing = tuple(
            label for column, label in ONBOARDING_CHECKLIST if getattr(member, column) is None
        )
        if missing:
            onboarding.append(OnboardingLine(member.user_id, missing))
    failed_filter = (
        Delivery.project_id == project.id,
        Delivery.status == DeliveryStatus.FAILED,
        # check-ins are personal: coordinators see neither their failures nor their targets
        Delivery.kind.not_in(sorted(PRIVATE_KINDS)),
    )
    failures = db.scalars(
        select(Delivery)
        .where(*failed_filter)
        .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
        .limit(MAX_FAILURES)
    ).all()
    failures_total = db.scalar(select(func.count()).select_from(Delivery).where(*failed_filter))
    setup = db.get(CheckinSetup, project.id)
    workload = facilitation_minutes(db, project)
    return CoordinatorView(
        project_id=project.id,
        name=project.name,
        timezone=project.timezone,
        timeline=line,
        risks=tuple(at_risk),
        participants=len(participants),
        onboarded=len(participants) - len(onboarding),
        onboarding=tuple(onboarding),
        rota=rota,
        failures=tuple(
            Failure(f.id, f.kind, f.target, f.due_at, f.last_error or "no reason recorded")
            for f in failures
        ),
        failures_total=int(failures_total or 0),
        checkins_on=setup is not None and setup.enabled,
        perspectives=perspectives_service.mix(db, project),
        review_open=reviews_service.open_round(db, project),
        review_last=next(iter(reversed(reviews_service.closed_rounds(db, project.id))), None),
        milestones=milestones_of(db, project, now),
        workload=tuple(sorted(workload.items(), key=lambda w: (-w[1], w[0]))),
        overloaded=tuple(overloaded(workload)),
    )


# ---------------------------------------------------------------- noticing changes

_TOUCHED = "cobot.home.touched"


@dataclass(frozen=True)
class _Watched:
    """Whose Homes a new, deleted or changed row of one model touches: the project's or
    session's (the Touch field `scope`, read from the row's `column`) when `everyone`, and
    one person's own (the row's column `who`) as well or instead."""

    scope: str
    column: str
    everyone: bool = False
    who: str | None = None
    coordinators_only: bool = False
    # a changed row touches Homes only when one of these columns changed (None: any)
    changed: tuple[str, ...] | None = None

    def touches(self, obj: Any, *, dirty: bool) -> list[Touch]:
        if dirty and self.changed is not None and not _changed(obj, *self.changed):
            return []
        where = {self.scope: getattr(obj, self.column)}
        found = [Touch(**where)] if self.everyone else []
        if self.who is not None:
            person = getattr(obj, self.who)
            found.append(Touch(**where, user_id=person, coordinators_only=self.coordinators_only))
        return found


# what a person's Home shows of their check-in settings
_CHECKIN_SETTINGS = ("status", "time_of_day", "working_days", "after_sessions", "paused_until")

# deliveries changing status (sent, failed, skipped) never republish a Home: sending a
# reminder must not cost a views.publish; a coordinator sees failures when they look
_WATCHED: tuple[tuple[type[Any] | tuple[type[Any], ...], _Watched], ...] = (
    (Project, _Watched("project_id", "id", everyone=True)),
    (Member, _Watched("project_id", "project_id", everyone=True, who="user_id")),
    (CoSession, _Watched("project_id", "project_id", everyone=True)),
    (SessionPerson, _Watched("session_id", "session_id", everyone=True, who="user_id")),
    ((Debrief, ParticipantFeedback), _Watched("session_id", "session_id", who="user_id")),
    (DebriefAction, _Watched("project_id", "project_id", who="owner")),
    ((CheckinSetup, Milestone), _Watched("project_id", "project_id", everyone=True)),
    # sending a check-in notes the day and the person's zone: no Home shows a change
    (CheckinPerson, _Watched("project_id", "project_id", who="user_id", changed=_CHECKIN_SETTINGS)),
    (CheckinAnswer, _Watched("checkin_person_id", "person_id", everyone=True)),
    # every answer touches its poll: the starter's Home shows the tally
    (Poll, _Watched("project_id", "project_id", who="created_by")),
    # the participants' review and perspectives: a round shows on its project's Homes; an
    # answer or someone's perspectives on their own Home and the coordinators' (counts)
    (ReviewRound, _Watched("project_id", "project_id", everyone=True)),
    (
        (ReviewAnswer, MemberPerspectives),
        _Watched("project_id", "project_id", who="user_id", coordinators_only=True),
    ),
)


def touches_of(obj: Any, *, dirty: bool = False) -> list[Touch]:
    """What one new, deleted or (`dirty`) changed row means for Homes (reads ids and, for
    changed rows, attribute history only: nothing is decrypted and nothing is loaded)."""
    if isinstance(obj, DebriefRound):
        # a round opens when its first prompt is sent, which changes no Home; closing does
        if dirty and not _changed(obj, "closed_at", "feedback_closed_at"):
            return []
        if not dirty and obj.closed_at is None and obj.feedback_closed_at is None:
            return []
        return [Touch(session_id=obj.session_id)]
    for models, watched in _WATCHED:
        if isinstance(obj, models):
            return watched.touches(obj, dirty=dirty)
    return []


def _changed(obj: Any, *names: str) -> bool:
    """Whether any of these attributes of a changed row changed in this flush."""
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def watch_changes(
    factory: sessionmaker[Session], on_change: Callable[[frozenset[Touch]], None]
) -> None:
    """Call `on_change` with what each committed transaction touched (never for a rolled-back
    one), after it has let go of its connection (see services/after_commit.py)."""

    @event.listens_for(factory, "after_flush")
    def _noted(session: Session, _context: Any) -> None:
        touched = [t for obj in [*session.new, *session.deleted] for t in touches_of(obj)]
        touched += [t for obj in session.dirty for t in touches_of(obj, dirty=True)]
        after_commit.queue(session, _TOUCHED, touched)

    def refresh(touched: list[Touch]) -> None:
        try:
            on_change(frozenset(touched))
        except RuntimeError:  # no thread can start at interpreter shutdown; a courtesy only
            log.exception("could not queue Home refreshes")

    after_commit.install(factory, _TOUCHED, refresh)


__all__ = [
    "AgreementView",
    "CheckinLine",
    "CoordinatorView",
    "Failure",
    "Home",
    "HomeView",
    "OnboardingLine",
    "OpenItem",
    "ProjectCard",
    "Retried",
    "SessionLine",
    "Touch",
    "touches_of",
    "watch_changes",
]
