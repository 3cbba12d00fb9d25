"""Job entry points: importable by reference, taking only ids (never personal data)."""

from __future__ import annotations

import logging

from cobot.scheduling import context

log = logging.getLogger(__name__)


def deliver(delivery_id: int) -> None:
    """Try to send delivery `delivery_id` (the ledger decides whether that is still right)."""
    context.runner().deliver(delivery_id)


def sweep() -> None:
    """Re-drive overdue deliveries and expired claims."""
    driven = context.runner().sweep()
    if driven:
        log.info("recovery sweep re-drove %d deliveries", len(driven))


def prune_events() -> None:
    """Forget Slack event ids older than a day (Slack retries within minutes)."""
    pruned = context.events().prune()
    if pruned:
        log.info("forgot %d old Slack event ids", pruned)


def daily_maintenance() -> None:
    """Daily: delete every feature's answers past their project's retention, re-plan next
    check-ins (the privacy registry decides what the purge covers)."""
    service = context.checkins()
    if service is not None:
        purged, planned = service.daily_maintenance()
        log.info("purged %d expired personal rows, re-planned %d check-ins", purged, planned)
