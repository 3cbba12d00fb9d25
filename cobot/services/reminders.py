"""Reminders around each session, scheduled through the deliveries ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cobot.services import deliveries
from cobot.services.deliveries import DeliveryKind
from cobot.storage.models import CoSession, Project


def plan_session(
    session: Session, *, project: Project, cosession: CoSession, now: datetime
) -> None:
    """(Re)schedule every reminder of `cosession` for its current time and people."""
    deliveries.cancel_subject(session, subject=("session", cosession.id), now=now)


def cancel_session(session: Session, *, cosession: CoSession, now: datetime) -> None:
    """Cancel every reminder of a cancelled session."""
    deliveries.cancel_subject(session, subject=("session", cosession.id), now=now)


def reminder_kinds() -> Sequence[DeliveryKind]:
    """The delivery kinds reminders use."""
    return ()
