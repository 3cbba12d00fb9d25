"""Job entry points: importable by reference, taking only ids (never personal data)."""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta

from cobot.scheduling import context

log = logging.getLogger(__name__)


def deliver(delivery_id: int) -> None:
    """Try to send delivery `delivery_id` (the ledger decides whether that is still right).

    Only jobs armed before alarms became per minute still call this.
    """
    if context.still_leading():
        context.runner().deliver(delivery_id)


def wake(minute: str) -> None:
    """A minute's alarm: send everything due now, then re-arm for the rest of the minute."""
    if not context.still_leading():
        return
    runner = context.runner()
    runner.sweep(grace=timedelta(0))
    later = runner.next_due(before=datetime.fromisoformat(minute) + timedelta(minutes=1))
    alarms = context.alarms()
    if later is not None and alarms is not None:
        alarms.arm(0, later)


def sweep() -> None:
    """Check this process still leads, then re-drive overdue deliveries and expired claims."""
    if not context.still_leading():
        return
    driven = context.runner().sweep()
    if driven:
        log.info("recovery sweep drove %d deliveries", len(driven))


def prune_events() -> None:
    """Forget Slack event ids older than a day (Slack retries within minutes) and request
    signatures past their five-minute replay window."""
    pruned = context.events().prune()
    if pruned:
        log.info("forgot %d old Slack event ids and request signatures", pruned)


def daily_maintenance() -> None:
    """Daily: delete every feature's answers past their project's retention, re-plan next
    check-ins (the privacy registry decides what the purge covers)."""
    service = context.checkins()
    if service is not None:
        purged, planned = service.daily_maintenance()
        log.info("purged %d expired personal rows, re-planned %d check-ins", purged, planned)
