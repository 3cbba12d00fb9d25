"""Deliveries about one co-production session (reminders, debrief prompts, feedback asks):
keyed to the session and its revision, escalating to the project's first coordinator, and
rendered only while the session and its project still stand."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic
from typing import Protocol
from typing import TypeVar

from sqlalchemy.orm import Session

from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.projects import ProjectStatus
from cobot.domain.sessions import SessionStatus
from cobot.services import deliveries
from cobot.services.deliveries import DeliveryKind
from cobot.services.ports import Clock
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import SystemClock
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Project

SUBJECT = "session"

Note = TypeVar("Note")
Note_co = TypeVar("Note_co", covariant=True)


class SessionOwes:
    """What one session owes, collected in `owed`: each delivery about the session at its
    current revision (its id and revision in the payload), escalating to the first of
    `coordinators`; add() keys them under `prefix`."""

    def __init__(self, cosession: CoSession, coordinators: Sequence[str], prefix: str) -> None:
        self.cosession = cosession
        self.prefix = prefix
        self.escalate_to = coordinators[0] if coordinators else None
        self.owed: list[deliveries.Owed] = []

    def one(
        self,
        key: str,
        kind: str,
        target: str,
        due: datetime,
        *,
        late_ok: bool = True,
        payload: Mapping[str, int] | None = None,
    ) -> deliveries.Owed:
        """One delivery about the session (`payload` adds to its id and revision)."""
        cosession = self.cosession
        return deliveries.Owed(
            key=key,
            kind=kind,
            target=target,
            due_at=due,
            project_id=cosession.project_id,
            subject=(SUBJECT, cosession.id),
            payload={"session_id": cosession.id, "revision": cosession.revision, **(payload or {})},
            escalate_to=self.escalate_to,
            late_ok=late_ok,
        )

    def add(
        self,
        kind: str,
        targets: Iterable[str],
        due: datetime,
        *,
        late_ok: bool,
        under: str | None = None,
    ) -> None:
        """Owe `kind` to each of `targets` at `due`, keyed `{under}:{target}` (by default
        under `{prefix}:{kind}`)."""
        under = under or deliveries.owed_key(self.prefix, kind)
        keyed = ((deliveries.owed_key(under, t), t) for t in targets)
        self.owed.extend(self.one(key, kind, t, due, late_ok=late_ok) for key, t in keyed)


def standing_session(
    db: Session, delivery: Delivery, *, revisioned: Collection[str]
) -> tuple[CoSession, Project] | None:
    """The session `delivery` is about and its project, while it still applies: the session
    scheduled, the project active and, for kinds in `revisioned`, the session not moved
    since (the new revision's delivery says the right thing)."""
    cosession = db.get(CoSession, delivery.subject_id or 0)
    if cosession is None or cosession.status != SessionStatus.SCHEDULED:
        return None
    project = db.get(Project, cosession.project_id)
    if project is None or project.status != ProjectStatus.ACTIVE:
        return None
    if delivery.kind in revisioned and delivery.payload.get("revision") != cosession.revision:
        return None
    return cosession, project


class NoteBuilder(Protocol[Note_co]):
    """What a delivery says now, by the clock (`now`), or None when it no longer applies."""

    def __call__(self, session: Session, delivery: Delivery, *, now: datetime) -> Note_co:
        """The note (None when there is none)."""


class SessionNoteBuilder(Protocol[Note_co]):
    """A NoteBuilder that is given the standing session and its project as well."""

    def __call__(
        self,
        session: Session,
        delivery: Delivery,
        cosession: CoSession,
        project: Project,
        *,
        now: datetime,
    ) -> Note_co:
        """The note (None when there is none)."""


def about_standing_session(
    *, revisioned: Collection[str]
) -> Callable[[SessionNoteBuilder[Note]], NoteBuilder[Note | None]]:
    """Make `build(session, delivery, cosession, project, now=...)` a NoteBuilder: a delivery
    whose session no longer stands (see standing_session()) says nothing, else `build` is
    given the session and its project."""

    def wrap(build: SessionNoteBuilder[Note]) -> NoteBuilder[Note | None]:
        def build_note(session: Session, delivery: Delivery, *, now: datetime) -> Note | None:
            standing = standing_session(session, delivery, revisioned=revisioned)
            if standing is None:
                return None
            return build(session, delivery, *standing, now=now)

        build_note.__doc__ = build.__doc__
        return build_note

    return wrap


@dataclass(frozen=True)
class NotedKinds(Generic[Note]):
    """A feature's session kinds rendered in two steps at send time: `build_note(session,
    delivery, now=...)` works out what one says now, by the clock, and `present` makes
    that a message."""

    build_note: Callable[..., Note | None]
    present: Callable[[Note], OutgoingMessage]

    def kinds(
        self, lateness: Mapping[str, LatenessPolicy | None], *, clock: Clock | None
    ) -> Sequence[DeliveryKind]:
        """The kinds `lateness` names, each with how late it may still go."""
        now = (clock or SystemClock()).now

        def build(session: Session, delivery: Delivery) -> Note | None:
            return self.build_note(session, delivery, now=now())

        return deliveries.kinds_rendered_by(
            deliveries.Presented[Note](build, self.present), lateness
        )
