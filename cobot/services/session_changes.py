"""A session changed: the explicit fan-out to the features that owe something about it.

services/sessions.py (and projects, endings, whenever they change a session) publish a
SessionChanged inside their own transaction; each subscriber re-plans its deliveries in that
same transaction, so a moved session's reminders move with it or not at all. runtime.py
subscribes the features; standard() is the same wiring for services built on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.storage.models import CoSession
from cobot.storage.models import Project

Subscriber = Callable[[Session, SessionChanged, datetime], None]


class Planner(Protocol):
    """A feature's "re-plan what this session owes now"."""

    def __call__(
        self, session: Session, *, project: Project, cosession: CoSession, now: datetime
    ) -> None: ...


class Canceller(Protocol):
    """A feature's "this session owes nothing any more"."""

    def __call__(self, session: Session, *, cosession: CoSession, now: datetime) -> None: ...


__all__ = ["SessionChange", "SessionChanged", "SessionChanges", "Subscriber", "replan", "standard"]


class SessionChanges:
    """The subscribers to "a session changed", called in the order they subscribed."""

    def __init__(self, subscribers: Iterable[Subscriber] = ()) -> None:
        self._subscribers: list[Subscriber] = list(subscribers)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber(db, event, now)` for every change from now on."""
        self._subscribers.append(subscriber)

    @property
    def subscribers(self) -> tuple[Subscriber, ...]:
        """Who hears of a change, in order."""
        return tuple(self._subscribers)

    def publish(self, db: Session, event: SessionChanged, *, now: datetime) -> None:
        """Tell every subscriber, inside the caller's transaction (flushed first, so they
        read the session as changed)."""
        db.flush()
        for subscriber in self._subscribers:
            subscriber(db, event, now)


def replan(
    db: Session, event: SessionChanged, now: datetime, *, plan: Planner, cancel: Canceller
) -> None:
    """What a feature's subscriber does: cancel what a cancelled session owed, else re-plan
    what the session (as it is now) owes."""
    cosession = db.get(CoSession, event.session_id)
    if cosession is None:
        return
    if event.change == SessionChange.CANCELLED:
        cancel(db, cosession=cosession, now=now)
        return
    project = db.get(Project, cosession.project_id)
    if project is not None:
        plan(db, project=project, cosession=cosession, now=now)


def standard() -> SessionChanges:
    """What runtime.py wires: reminders, then debriefs (prompts, feedback, action reminders),
    then the calendar feeds' sequences, then the attendance register."""
    # imported here: the features import this module for replan()
    from cobot.services import debriefs
    from cobot.services import feeds
    from cobot.services import involvement
    from cobot.services import reminders

    return SessionChanges(
        [
            reminders.on_session_changed,
            debriefs.on_session_changed,
            feeds.on_session_changed,
            involvement.on_session_changed,
        ]
    )
