"""Reading co-production sessions: with their people (one query for the sessions and one
more for everyone's people, not one each), or one scheduled session someone acts on."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from sqlalchemy import ColumnElement
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from cobot.domain.sessions import SessionStatus
from cobot.services import access
from cobot.services.access import AccessError
from cobot.storage.models import CoSession
from cobot.storage.models import Project


class SessionFields(TypedDict):
    """What every view of a session (sessions' SessionView, access.session_facts) says of
    its row itself."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    objectives: str


def of_session(row: CoSession) -> SessionFields:
    """SessionFields of `row`: `View(**of_session(row), ...)`."""
    return {
        "id": row.id,
        "title": row.title,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "venue": row.venue,
        "objectives": row.objectives,
    }


def sessions_with_people(db: Session, *conditions: ColumnElement[bool]) -> Sequence[CoSession]:
    """The sessions that meet every one of `conditions`, soonest first (then by id), their
    people loaded."""
    return db.scalars(
        select(CoSession)
        .where(*conditions)
        .options(selectinload(CoSession.people))
        .order_by(CoSession.starts_at, CoSession.id)
    ).all()


def scheduled_session(
    db: Session,
    team_id: str,
    session_id: int,
    *,
    cancelled: str,
    allowed: Callable[[Project], None] | None = None,
) -> tuple[CoSession, Project]:
    """A session of the asking workspace that is still scheduled, and its project, for
    someone about to act on it: `allowed` (when given) refuses whoever may not, and a
    cancelled session is refused with `cancelled` (its `{title}` the session's)."""
    cosession = access.session_by_id(db, team_id=team_id, session_id=session_id)
    project = access.project_by_id(db, team_id=team_id, project_id=cosession.project_id)
    if allowed is not None:
        allowed(project)
    if cosession.status != SessionStatus.SCHEDULED:
        raise AccessError(cancelled.format(title=cosession.title))
    return cosession, project
