"""Who may do what: a project is found by its channel, and only coordinators change it."""

from __future__ import annotations

from typing import NotRequired
from typing import TypedDict
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.domain.projects import ProjectStatus
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionFacts
from cobot.storage.models import CoSession
from cobot.storage.models import Project


class AccessError(Exception):
    """A refusal with a message written for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidFields(AccessError):
    """Some fields of a form are wrong; `errors` maps each field name to what to fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def raise_if_invalid(errors: dict[str, str]) -> None:
    """Refuse a form whose `errors` name any wrong field; a form with none passes."""
    if errors:
        raise InvalidFields(errors)


class NoProjectHere(AccessError):
    """The channel has no project."""

    def __init__(self) -> None:
        super().__init__(
            "There is no co-production project in this channel yet. A coordinator can start "
            "one here with `/cobot project new <name>`."
        )


class NotCoordinator(AccessError):
    """Someone other than a coordinator tried to change the project."""

    def __init__(self, coordinators: list[str]) -> None:
        who = ", ".join(f"<@{c}>" for c in coordinators) or "your coordinator"
        super().__init__(
            f"Only coordinators can change this project: ask your coordinator ({who})."
        )
        self.coordinators = coordinators


class NotMember(AccessError):
    """Someone outside a project asked for what only its members may see or do; each
    feature words the refusal for what was asked (only_members_see for something to see)."""


def project_in_channel(
    session: Session, *, team_id: str, channel_id: str, closed_too: bool = False
) -> Project:
    """The active project bound to this workspace's channel (or, `closed_too`, the channel's
    project whatever its status), or NoProjectHere."""
    where = [Project.team_id == team_id, Project.channel_id == channel_id]
    if not closed_too:
        where.append(Project.status == ProjectStatus.ACTIVE)
    project = session.scalar(select(Project).where(*where))
    if project is None:
        raise NoProjectHere()
    return project


def project_by_id(
    session: Session, *, team_id: str, project_id: int, closed_too: bool = False
) -> Project:
    """An active project by id (any project, `closed_too`), only within the asking
    workspace (button values can be forged)."""
    project = session.get(Project, project_id)
    if project is None or project.team_id != team_id:
        raise NoProjectHere()
    if project.status != ProjectStatus.ACTIVE and not closed_too:
        raise NoProjectHere()
    return project


def project_by_channel_or_id(
    session: Session,
    *,
    team_id: str,
    channel_id: str | None = None,
    project_id: int | None = None,
    closed_too: bool = False,
) -> Project:
    """The project a request names: by (checked) id when it carries one, else by channel;
    an active one, or (`closed_too`) one of any status."""
    if project_id is not None:
        return project_by_id(session, team_id=team_id, project_id=project_id, closed_too=closed_too)
    if channel_id is None:
        raise AccessError("I could not tell which project you meant. Nothing was changed.")
    return project_in_channel(
        session, team_id=team_id, channel_id=channel_id, closed_too=closed_too
    )


class ProjectAsks(TypedDict):
    """The keyword arguments of a request about one project: who asks, in which
    workspace, and the project, by channel (a command) or by id (a button or form)."""

    team_id: str
    user_id: str
    channel_id: NotRequired[str | None]
    project_id: NotRequired[int | None]


class CoordinatorAsks(ProjectAsks):
    """A coordinator's request about one project (coordinators_project checks the role)."""


def coordinators_project(session: Session, **asks: Unpack[CoordinatorAsks]) -> Project:
    """The project a coordinator's request names; NotCoordinator for anyone else."""
    project = _asked_project(session, asks)
    require_coordinator(project, asks["user_id"])
    return project


def members_project(session: Session, *, seeing: str, **asks: Unpack[ProjectAsks]) -> Project:
    """The project a member asks to see `seeing` of ("its plan"); NotMember, worded by
    only_members_see, for anyone not in it."""
    project = _asked_project(session, asks)
    require_member(project, asks["user_id"], only_members_see(seeing))
    return project


def _asked_project(session: Session, asks: ProjectAsks) -> Project:
    return project_by_channel_or_id(
        session,
        team_id=asks["team_id"],
        channel_id=asks.get("channel_id"),
        project_id=asks.get("project_id"),
    )


def session_by_id(session: Session, *, team_id: str, session_id: int) -> CoSession:
    """A co-production session by id, only within the asking workspace."""
    found = session.get(CoSession, session_id)
    if found is None:
        raise AccessError("That session no longer exists.")
    project_by_id(session, team_id=team_id, project_id=found.project_id)
    return found


def role_of(project: Project, user_id: str) -> Role | None:
    """The person's role in the project, if they belong to it."""
    for member in project.members:
        if member.user_id == user_id:
            return Role(member.role)
    return None


def people_with(project: Project, role: Role) -> list[str]:
    """User ids holding `role`, in the order they were added."""
    return [m.user_id for m in project.members if m.role == role]


def team_or_coordinators(project: Project) -> list[str]:
    """Who owes a session's notes (and debriefs it with the facilitators): the project
    team, or the coordinators when the project has no team."""
    return people_with(project, Role.PROJECT_TEAM) or people_with(project, Role.COORDINATOR)


def require_coordinator(project: Project, user_id: str) -> None:
    """Refuse anyone but a coordinator, naming who to ask."""
    if role_of(project, user_id) is not Role.COORDINATOR:
        raise NotCoordinator(people_with(project, Role.COORDINATOR))


def require_member(project: Project, user_id: str, refusal: str) -> Role:
    """The person's role in the project; NotMember(`refusal`) when they are not in it."""
    role = role_of(project, user_id)
    if role is None:
        raise NotMember(refusal)
    return role


def only_members_see(what: str) -> str:
    """The refusal when someone outside the project asks to see `what` of it."""
    return f"Only members of this project can see {what}."


def session_facts(cosession: CoSession, project: Project) -> SessionFacts:
    """What a message about `cosession` shows of it and its project."""
    # here, not at the top: session_queries reads sessions through this module
    from cobot.services.session_queries import of_session

    return SessionFacts(
        **of_session(cosession),
        timezone=project.timezone,
        project_name=project.name,
        aims=project.aims,
    )
