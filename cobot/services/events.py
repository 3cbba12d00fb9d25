"""Slack event de-duplication: each Events API callback is processed once, across processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cobot.services.ports import Clock
from cobot.storage.db import transaction
from cobot.storage.models import SlackEvent


class EventLedger:
    """Remembers event ids long enough to cover Slack's retries (minutes, not days)."""

    def __init__(self, *, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory = factory
        self._clock = clock

    def first_time(self, event_id: str) -> bool:
        """Record `event_id`; False if it was already recorded (a retry or a duplicate)."""
        try:
            with transaction(self._factory) as session:
                session.add(SlackEvent(event_id=event_id[:64], received_at=self._clock.now()))
        except IntegrityError:
            return False
        return True

    def prune(self, *, keep: timedelta = timedelta(days=1)) -> int:
        """Forget event ids older than `keep`; returns how many."""
        cutoff: datetime = self._clock.now() - keep
        with transaction(self._factory) as session:
            result = session.execute(delete(SlackEvent).where(SlackEvent.received_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)
