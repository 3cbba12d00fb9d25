"""Finding the project a request is about: by id when the form or button carries one, else
the channel's; and, for what only its coordinators may do, refusing everyone else."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from sqlalchemy.orm import Session

from cobot.services import access
from cobot.storage.models import Project


def project_here(
    db: Session, team_id: str, *, channel_id: str | None = None, project_id: int | None = None
) -> Project:
    """The team's project by id when given, else the channel's (NoProjectHere if none)."""
    if project_id is not None:
        return access.project_by_id(db, team_id=team_id, project_id=project_id)
    return access.project_in_channel(db, team_id=team_id, channel_id=channel_id or "")


def coordinated(
    db: Session, team_id: str, user_id: str, *, channel_id: str = "", project_id: int | None = None
) -> Project:
    """The project (as project_here finds it) when `user_id` coordinates it; AccessError
    for anyone else."""
    project = project_here(db, team_id, channel_id=channel_id, project_id=project_id)
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
    """The project `asked` names, when the asker coordinates it (see coordinated())."""
    return coordinated(
        db,
        asked["team_id"],
        asked["user_id"],
        channel_id=asked.get("channel_id") or "",
        project_id=asked.get("project_id"),
    )
