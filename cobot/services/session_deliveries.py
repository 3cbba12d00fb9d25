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
        under = under or f"{self.prefix}:{kind}"
        self.owed.extend(self.one(f"{under}:{t}", kind, t, due, late_ok=late_ok) for t in targets)


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
