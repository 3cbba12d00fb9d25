"""Projects and people: create a project, its aims, agreement, members, onboarding, lead times."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.durations import DurationError
from cobot.domain.durations import format_duration
from cobot.domain.durations import parse_duration
from cobot.domain.projects import ProjectStatus
from cobot.domain.roles import Role
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionStatus
from cobot.domain.zones import first_valid_timezone
from cobot.domain.zones import valid_timezone
from cobot.services import perspectives
from cobot.services.access import AccessError
from cobot.services.access import CoordinatorAsks
from cobot.services.access import InvalidFields
from cobot.services.access import coordinators_project
from cobot.services.access import people_with
from cobot.services.access import project_in_channel
from cobot.services.access import raise_if_invalid
from cobot.services.access import require_member
from cobot.services.access import role_of
from cobot.services.base import ForProject
from cobot.services.base import SessionChangingService
from cobot.services.ports import Clock
from cobot.services.ports import Directory
from cobot.services.project_views import of_project
from cobot.services.session_changes import SessionChanges
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Member
from cobot.storage.models import Project

DEFAULT_TIMEZONE = "Europe/London"
MAX_NAME = 120
MAX_AIMS = 3000
MAX_AGREEMENT = 3000
MAX_LEAD_TIME = timedelta(weeks=12)

# the onboarding checklist: key, the Member column that records it, and its label
ONBOARDING_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("briefing", "briefing_done_at", "One-to-one briefing call done"),
    ("training", "training_done_at", "Co-production training done"),
    ("access_needs", "access_needs_done_at", "Access needs noted"),
)
ONBOARDING_LABELS = {key: label for key, _column, label in ONBOARDING_ITEMS}


class LastCoordinator(AccessError):
    """A change would leave the project with no coordinator."""

    def __init__(self, user_ids: list[str]) -> None:
        who = " and ".join(f"<@{u}>" for u in user_ids)
        whom = (
            f"{who} is this project's only coordinator"
            if len(user_ids) == 1
            else f"{who} are all of this project's coordinators"
        )
        super().__init__(
            f"{whom}, and a project always needs one: "
            "someone has to be able to add people, schedule sessions and answer questions. "
            "Add another coordinator first (`/cobot add @someone as coordinator`), then try "
            "again. Nothing was changed."
        )


@dataclass(frozen=True)
class ProjectView:
    """A project as its members may see it, and what the viewer may do with it."""

    id: int
    name: str
    aims: str
    agreement: str
    timezone: str
    start_date: date | None
    end_date: date | None
    coordinators: tuple[str, ...]
    counts: tuple[tuple[Role, int], ...]
    viewer_role: Role | None
    # voices in the room (counts only), in the overview
    perspectives: perspectives.Mix | None = None

    @property
    def viewer_is_coordinator(self) -> bool:
        """Whether the person looking may change the project."""
        return self.viewer_role is Role.COORDINATOR


@dataclass(frozen=True)
class ProjectDetails:
    """What a coordinator typed in the project modal."""

    name: str
    aims: str
    timezone: str
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True)
class PeopleChange:
    """What `/cobot add` did."""

    role: Role
    added: tuple[str, ...]
    changed: tuple[tuple[str, Role], ...]  # (user, their previous role)
    unchanged: tuple[str, ...]


@dataclass(frozen=True)
class Removal:
    """What `/cobot remove` did."""

    removed: tuple[tuple[str, Role], ...]
    not_members: tuple[str, ...]


@dataclass(frozen=True)
class People:
    """Everyone in a project, grouped by role in Role order; empty roles left out."""

    project_name: str
    groups: tuple[tuple[Role, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Onboarding:
    """One participant's onboarding checklist: which item keys are done."""

    project_id: int
    user_id: str
    done: frozenset[str]

    @property
    def missing(self) -> list[str]:
        """Labels of the items still to do, in checklist order."""
        return [label for key, _c, label in ONBOARDING_ITEMS if key not in self.done]


@dataclass(frozen=True)
class LeadTimeSettings(ForProject):
    """A project's lead times, for the settings modal."""

    lead_times: LeadTimes


def check_details(details: ProjectDetails) -> dict[str, str]:
    """Field errors in the project modal, keyed by field name; empty when all is well."""
    errors: dict[str, str] = {}
    name = details.name.strip()
    if not name:
        errors["name"] = "Give the project a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name under {MAX_NAME} characters."
    if len(details.aims) > MAX_AIMS:
        errors["aims"] = f"Keep the aims and objectives under {MAX_AIMS} characters."
    zone = details.timezone.strip()
    if not valid_timezone(zone):
        shown = zone[:40] or "An empty zone"
        errors["timezone"] = (
            f"“{shown}” is not a time zone I know. Pick one from the list, such as "
            "Europe/London, Europe/Dublin or America/New_York."
        )
    if (
        details.start_date is not None
        and details.end_date is not None
        and details.end_date < details.start_date
    ):
        errors["end_date"] = "The end date is before the start date."
    return errors


def parse_lead_times(texts: Mapping[str, str]) -> tuple[LeadTimes | None, dict[str, str]]:
    """Typed lead times, or field errors keyed by LeadTimes field name."""
    values: dict[str, timedelta] = {}
    errors: dict[str, str] = {}
    for f in fields(LeadTimes):
        text = (texts.get(f.name) or "").strip()
        if not text:
            errors[f.name] = "Type a duration, such as 3 days, 36h or 1w."
            continue
        if text.startswith("-"):
            errors[f.name] = "A lead time cannot be negative."
            continue
        try:
            value = parse_duration(text)
        except DurationError:
            errors[f.name] = (
                f"“{text[:40]}” is not a duration I understand: try 90m, 36h, 3 days or 1w."
            )
            continue
        if value > MAX_LEAD_TIME:
            errors[f.name] = f"Keep it to {format_duration(MAX_LEAD_TIME)} or less."
            continue
        values[f.name] = value
    if errors:
        return None, errors
    return LeadTimes(**values), {}


class Projects(SessionChangingService):
    """Use cases for projects and their people; each public call is one transaction."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        directory: Directory,
        changes: SessionChanges | None = None,
    ) -> None:
        # who re-plans when a session changes (people left, lead times): wired in runtime.py
        super().__init__(factory=factory, clock=clock, changes=changes)
        self._directory = directory

    # ------------------------------------------------------------------ the project

    def create(self, *, team_id: str, channel_id: str, user_id: str, name: str) -> ProjectView:
        """Start a project in this channel; the caller becomes its coordinator.

        Its time zone is the caller's Slack zone (Europe/London when Slack does not say).
        """
        name = " ".join(name.split())
        if not name:
            raise InvalidFields({"name": "Give the project a name."})
        if len(name) > MAX_NAME:
            raise InvalidFields({"name": f"Keep the name under {MAX_NAME} characters."})
        zone = first_valid_timezone(self._directory.timezone(user_id), DEFAULT_TIMEZONE)
        now = self._clock.now()
        try:
            with transaction(self._factory) as session:
                self._refuse_second_project(session, team_id=team_id, channel_id=channel_id)
                project = Project(
                    team_id=team_id,
                    channel_id=channel_id,
                    name=name,
                    aims="",
                    agreement="",
                    timezone=zone,
                    lead_times=LeadTimes().to_json(),
                    status=ProjectStatus.ACTIVE,
                    created_by=user_id,
                    created_at=now,
                    updated_at=now,
                )
                project.members.append(
                    Member(
                        user_id=user_id,
                        role=Role.COORDINATOR.value,
                        added_by=user_id,
                        added_at=now,
                    )
                )
                session.add(project)
                session.flush()
                return _view(project, user_id)
        except IntegrityError:
            # someone created one in this channel at the same moment
            with transaction(self._factory) as session:
                self._refuse_second_project(session, team_id=team_id, channel_id=channel_id)
            raise

    def _refuse_second_project(self, session: Session, *, team_id: str, channel_id: str) -> None:
        existing = session.scalar(
            select(Project).where(Project.team_id == team_id, Project.channel_id == channel_id)
        )
        if existing is None:
            return
        if existing.status != ProjectStatus.ACTIVE:
            raise AccessError(
                f"This channel held the project “{existing.name}”, which has closed. One channel "
                "holds one project: start the new one in a new channel. Nothing was changed."
            )
        who = ", ".join(f"<@{c}>" for c in people_with(existing, Role.COORDINATOR))
        raise AccessError(
            f"This channel already has a project, “{existing.name}” (coordinators: "
            f"{who or 'none'}). One channel holds one project, so its reminders and "
            "conversations stay in one place: create a new channel for another project. "
            "Nothing was changed."
        )

    def show(self, *, team_id: str, channel_id: str, user_id: str) -> ProjectView:
        """The channel's project, for anyone in the channel (aims, agreement, overview)."""
        with read_only(self._factory) as session:
            project = project_in_channel(session, team_id=team_id, channel_id=channel_id)
            return replace(_view(project, user_id), perspectives=perspectives.mix(session, project))

    def for_editing(self, **asks: Unpack[CoordinatorAsks]) -> ProjectView:
        """The project a coordinator is about to edit, found by channel or by (checked) id."""
        with read_only(self._factory) as session:
            return _view(coordinators_project(session, **asks), asks["user_id"])

    def update_details(
        self, *, team_id: str, user_id: str, project_id: int, details: ProjectDetails
    ) -> ProjectView:
        """Save the project modal; InvalidFields names each field to fix and saves nothing."""

        def save(project: Project) -> None:
            errors = check_details(details)
            raise_if_invalid(errors)
            project.name = " ".join(details.name.split())
            project.aims = details.aims.strip()
            project.timezone = details.timezone.strip()
            project.start_date = details.start_date
            project.end_date = details.end_date

        return self._edit(team_id=team_id, user_id=user_id, project_id=project_id, save=save)

    def update_agreement(
        self, *, team_id: str, user_id: str, project_id: int, agreement: str
    ) -> ProjectView:
        """Save the group agreement (terms of reference and values)."""

        def save(project: Project) -> None:
            text = agreement.strip()
            if len(text) > MAX_AGREEMENT:
                raise InvalidFields(
                    {"agreement": f"Keep the agreement under {MAX_AGREEMENT} characters."}
                )
            project.agreement = text

        return self._edit(team_id=team_id, user_id=user_id, project_id=project_id, save=save)

    def _edit(
        self, *, team_id: str, user_id: str, project_id: int, save: Callable[[Project], None]
    ) -> ProjectView:
        """A coordinator's edit of the project: `save` checks and applies it (raising to
        save nothing), in one transaction."""
        with transaction(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, project_id=project_id
            )
            save(project)
            project.updated_at = self._clock.now()
            return _view(project, user_id)

    # ------------------------------------------------------------------ people

    def add_people(
        self, *, team_id: str, channel_id: str, user_id: str, people: list[str], role: Role
    ) -> PeopleChange:
        """Add people with `role`, or change their role; never leaves no coordinator."""
        wanted = list(dict.fromkeys(people))
        if not wanted:
            raise AccessError("Mention at least one person.")
        now = self._clock.now()
        with transaction(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            members = {m.user_id: m for m in project.members}
            coordinators = set(people_with(project, Role.COORDINATOR))
            if role is not Role.COORDINATOR and coordinators and coordinators <= set(wanted):
                raise LastCoordinator(people_with(project, Role.COORDINATOR))
            added: list[str] = []
            changed: list[tuple[str, Role]] = []
            unchanged: list[str] = []
            for person in wanted:
                member = members.get(person)
                if member is None:
                    project.members.append(
                        Member(user_id=person, role=role.value, added_by=user_id, added_at=now)
                    )
                    added.append(person)
                elif member.role == role.value:
                    unchanged.append(person)
                else:
                    changed.append((person, Role(member.role)))
                    member.role = role.value
            if added or changed:
                project.updated_at = now
            return PeopleChange(
                role=role, added=tuple(added), changed=tuple(changed), unchanged=tuple(unchanged)
            )

    def remove_people(
        self, *, team_id: str, channel_id: str, user_id: str, people: list[str]
    ) -> Removal:
        """Take people out of the project; never the last coordinator."""
        wanted = list(dict.fromkeys(people))
        if not wanted:
            raise AccessError("Mention at least one person.")
        with transaction(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            members = {m.user_id: m for m in project.members}
            coordinators = set(people_with(project, Role.COORDINATOR))
            if coordinators and coordinators <= set(wanted):
                raise LastCoordinator(people_with(project, Role.COORDINATOR))
            removed: list[tuple[str, Role]] = []
            not_members: list[str] = []
            for person in wanted:
                member = members.get(person)
                if member is None:
                    not_members.append(person)
                    continue
                removed.append((person, Role(member.role)))
                project.members.remove(member)
            if removed:
                now = self._clock.now()
                project.updated_at = now
                session.flush()
                # people who left are taken off the sessions to come, with their reminders
                _replan_upcoming(session, project, now, self._changes, drop={p for p, _ in removed})
            return Removal(removed=tuple(removed), not_members=tuple(not_members))

    def people(self, *, team_id: str, channel_id: str, user_id: str) -> People:
        """Who is in the project, by role; only members may see it."""
        with read_only(self._factory) as session:
            project = project_in_channel(session, team_id=team_id, channel_id=channel_id)
            who = ", ".join(f"<@{c}>" for c in people_with(project, Role.COORDINATOR))
            require_member(
                project,
                user_id,
                "Only members of this project can see who is in it: ask your coordinator "
                f"({who or 'your coordinator'}) to add you.",
            )
            groups = tuple(
                (role, tuple(people_with(project, role)))
                for role in Role
                if people_with(project, role)
            )
            return People(project_name=project.name, groups=groups)

    # ------------------------------------------------------------------ onboarding

    def onboarding(self, *, team_id: str, channel_id: str, user_id: str) -> list[Onboarding]:
        """Every participant's checklist, for a coordinator."""
        with read_only(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return [
                _onboarding(project.id, m) for m in project.members if m.role == Role.PARTICIPANT
            ]

    def onboarding_of(
        self, *, team_id: str, user_id: str, project_id: int, participant: str
    ) -> Onboarding:
        """One participant's checklist, for the coordinator about to tick it."""
        with transaction(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, project_id=project_id
            )
            return _onboarding(project.id, _participant(project, participant))

    def set_onboarding(
        self,
        *,
        team_id: str,
        user_id: str,
        project_id: int,
        participant: str,
        done: frozenset[str],
    ) -> Onboarding:
        """Tick and untick a participant's checklist; a ticked item keeps its first date."""
        unknown = done - set(ONBOARDING_LABELS)
        if unknown:
            raise InvalidFields({"items": "That is not an item of the onboarding checklist."})
        now = self._clock.now()
        with transaction(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, project_id=project_id
            )
            member = _participant(project, participant)
            for key, column, _label in ONBOARDING_ITEMS:
                if key not in done:
                    setattr(member, column, None)
                elif getattr(member, column) is None:
                    setattr(member, column, now)
            return _onboarding(project.id, member)

    def unfinished_onboarding(self, project_id: int) -> list[tuple[str, list[str]]]:
        """Participants with checklist items still to do, and the labels of those items.

        For the reminder to the coordinator before the first session (no permission check:
        callers are cobot's own jobs).
        """
        with transaction(self._factory) as session:
            project = session.get(Project, project_id)
            if project is None:
                return []
            result: list[tuple[str, list[str]]] = []
            for member in project.members:
                if member.role != Role.PARTICIPANT:
                    continue
                missing = _onboarding(project.id, member).missing
                if missing:
                    result.append((member.user_id, missing))
            return result

    # ------------------------------------------------------------------ lead times

    def lead_times(self, project_id: int) -> LeadTimes:
        """The project's lead times (the case study's defaults where none were set)."""
        with transaction(self._factory) as session:
            project = session.get(Project, project_id)
            return LeadTimes.from_json(project.lead_times if project is not None else None)

    def lead_time_settings(self, **asks: Unpack[CoordinatorAsks]) -> LeadTimeSettings:
        """The lead times a coordinator is about to edit."""
        with transaction(self._factory) as session:
            project = coordinators_project(session, **asks)
            return LeadTimeSettings(
                **of_project(project),
                lead_times=LeadTimes.from_json(project.lead_times),
            )

    def update_lead_times(
        self, *, team_id: str, user_id: str, project_id: int, texts: Mapping[str, str]
    ) -> LeadTimeSettings:
        """Save lead times typed as durations; upcoming sessions' reminders move with them.

        InvalidFields names each unreadable, negative or too long duration; nothing is saved.
        """
        with transaction(self._factory) as session:
            project = coordinators_project(
                session, team_id=team_id, user_id=user_id, project_id=project_id
            )
            lead, errors = parse_lead_times(texts)
            if lead is None:
                raise InvalidFields(errors)
            now = self._clock.now()
            project.lead_times = lead.to_json()
            project.updated_at = now
            session.flush()
            _replan_upcoming(session, project, now, self._changes)
            return LeadTimeSettings(
                project_id=project.id, project_name=project.name, lead_times=lead
            )


def _replan_upcoming(
    session: Session,
    project: Project,
    now: datetime,
    changes: SessionChanges,
    *,
    drop: set[str] | None = None,
) -> None:
    """Re-plan the reminders of every session to come, first taking `drop` off them."""
    upcoming = session.scalars(
        select(CoSession).where(
            CoSession.project_id == project.id,
            CoSession.status == SessionStatus.SCHEDULED,
            CoSession.starts_at > now,
        )
    ).all()
    for cosession in upcoming:
        if drop:
            for person in [p for p in cosession.people if p.user_id in drop]:
                cosession.people.remove(person)
            session.flush()
        changes.publish(session, SessionChanged(cosession.id, SessionChange.EDITED), now=now)


def _participant(project: Project, user_id: str) -> Member:
    for member in project.members:
        if member.user_id == user_id and member.role == Role.PARTICIPANT:
            return member
    raise AccessError(f"<@{user_id}> is not a participant of this project any more.")


def _onboarding(project_id: int, member: Member) -> Onboarding:
    done = frozenset(
        key for key, column, _label in ONBOARDING_ITEMS if getattr(member, column) is not None
    )
    return Onboarding(project_id=project_id, user_id=member.user_id, done=done)


def _view(project: Project, viewer: str) -> ProjectView:
    counts = tuple(
        (role, len(people_with(project, role))) for role in Role if people_with(project, role)
    )
    return ProjectView(
        id=project.id,
        name=project.name,
        aims=project.aims,
        agreement=project.agreement,
        timezone=project.timezone,
        start_date=project.start_date,
        end_date=project.end_date,
        coordinators=tuple(people_with(project, Role.COORDINATOR)),
        counts=counts,
        viewer_role=role_of(project, viewer),
    )


def lock_project(session: Session, project: Project | int) -> None:
    """Hold the project's row lock until the transaction ends, before reading what a write
    depends on (is a round already open, are this month's figures stored, does the plan
    exist): concurrent writers of the project's rows then run one after the other instead
    of both acting on what they read. On SQLite this is a no-op (it has no FOR UPDATE):
    BEGIN IMMEDIATE already serialises every writer."""
    project_id = project if isinstance(project, int) else project.id
    session.execute(select(Project.id).where(Project.id == project_id).with_for_update())


__all__ = [
    "ONBOARDING_ITEMS",
    "InvalidFields",
    "LastCoordinator",
    "LeadTimeSettings",
    "Onboarding",
    "People",
    "PeopleChange",
    "ProjectDetails",
    "ProjectView",
    "Projects",
    "Removal",
    "check_details",
    "lock_project",
    "parse_lead_times",
    "valid_timezone",
]
