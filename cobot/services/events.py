"""Slack de-duplication across processes: each Events API callback is processed once, and
each signed request (a button press, a form, a command) takes effect once."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from cobot.services.base import Service
from cobot.storage.db import transaction
from cobot.storage.models import FormReceipt
from cobot.storage.models import SlackEvent
from cobot.storage.models import SlackSignature

# a signature stays valid while its timestamp is within 5 minutes of now, in the past or
# the future; remember it a little longer than those 10 minutes
SIGNATURE_MEMORY = timedelta(minutes=15)


class EventLedger(Service):
    """Remembers event ids long enough to cover Slack's retries (minutes, not days)."""

    def first_time(self, event_id: str) -> bool:
        """Record `event_id`; False if it was already recorded (a retry or a duplicate)."""
        try:
            with transaction(self._factory) as session:
                session.add(SlackEvent(event_id=event_id[:64], received_at=self._clock.now()))
        except IntegrityError:
            return False
        return True

    def first_signature(self, signature_hash: str) -> bool:
        """Record a verified request's signature digest; False if it was seen before (a
        replay: Slack never signs two requests alike)."""
        try:
            with transaction(self._factory) as session:
                session.add(
                    SlackSignature(
                        signature_hash=signature_hash[:64], received_at=self._clock.now()
                    )
                )
        except IntegrityError:
            return False
        return True

    def prune(self, *, keep: timedelta = timedelta(days=1)) -> int:
        """Forget event ids and form receipts older than `keep`, and signatures past their
        replay window; returns how many."""
        now: datetime = self._clock.now()
        with transaction(self._factory) as session:
            events = session.execute(delete(SlackEvent).where(SlackEvent.received_at < now - keep))
            forms = session.execute(delete(FormReceipt).where(FormReceipt.received_at < now - keep))
            signatures = session.execute(
                delete(SlackSignature).where(
                    SlackSignature.received_at < now - min(keep, SIGNATURE_MEMORY)
                )
            )
            return sum(int(getattr(r, "rowcount", 0) or 0) for r in (events, forms, signatures))
