"""Reading co-production sessions with their people: one query for the sessions and one
more for everyone's people, not one each."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from cobot.storage.models import CoSession


def sessions_with_people(db: Session, *conditions: ColumnElement[bool]) -> Sequence[CoSession]:
    """The sessions that meet every one of `conditions`, soonest first (then by id), their
    people loaded."""
    return db.scalars(
        select(CoSession)
        .where(*conditions)
        .options(selectinload(CoSession.people))
        .order_by(CoSession.starts_at, CoSession.id)
    ).all()
