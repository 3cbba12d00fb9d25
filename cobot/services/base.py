"""What every service starts from: its transactions and its clock."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.services import session_changes
from cobot.services.ports import Clock
from cobot.services.session_changes import SessionChanges


class Service:
    """A service: each public call is one transaction from `factory`, at the
    time `clock` says."""

    def __init__(self, *, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory = factory
        self._clock = clock


class SessionChangingService(Service):
    """A service that adds, changes or cancels sessions: it tells `changes` (wired in
    runtime.py; standard() when built on its own) inside the same transaction."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        changes: SessionChanges | None = None,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._changes = changes or session_changes.standard()


@dataclass(frozen=True)
class ForProject:
    """What a form or view for one project starts with: the project, by id and by name.
    Forms and views for one project extend it rather than restating the two fields."""

    project_id: int
    project_name: str
