"""What a coordinator's request starts from: the project they are working on."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from sqlalchemy.orm import Session

from cobot.services import access
from cobot.storage.models import Project


def coordinated_project(db: Session, team_id: str, user_id: str, where: int | str) -> Project:
    """The active project `where` names, by id (a form's or a button's) or by its channel
    id, when `user_id` coordinates it: NoProjectHere without one, NotCoordinator for anyone
    else."""
    if isinstance(where, int):
        project = access.project_by_id(db, team_id=team_id, project_id=where)
    else:
        project = access.project_in_channel(db, team_id=team_id, channel_id=where)
    access.require_coordinator(project, user_id)
    return project


class ProjectAsked(TypedDict):
    """Who asks about which project: the one `project_id` names (a form's or an App Home
    button's) or else the one bound to `channel_id`."""

    team_id: str
    user_id: str
    channel_id: NotRequired[str | None]
    project_id: NotRequired[int | None]


def asked_project(db: Session, asked: ProjectAsked) -> Project:
    """The active project `asked` names, when the asker coordinates it (see
    coordinated_project())."""
    project_id = asked.get("project_id")
    where = project_id if project_id is not None else asked.get("channel_id") or ""
    return coordinated_project(db, asked["team_id"], asked["user_id"], where)
