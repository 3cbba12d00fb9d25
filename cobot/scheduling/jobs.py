"""Job entry points: importable by reference, taking only ids (never personal data)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

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
    """Forget Slack event ids older than a day (Slack retries within minutes) and request
    signatures past their five-minute replay window."""
    pruned = context.events().prune()
    if pruned:
        log.info("forgot %d old Slack event ids and request signatures", pruned)


def daily_maintenance() -> None:
    """Daily: delete personal answers past their retention, re-plan next check-ins."""
    service = context.checkins()
    if service is not None:
        purged, planned = service.daily_maintenance()
        log.info("check-ins: purged %d people's expired data, re-planned %d", purged, planned)
    endings = context.endings()
    if endings is not None:
        gone = endings.purge_expired(datetime.now(UTC))
        log.info("endings: purged %d people's expired answers", gone)
