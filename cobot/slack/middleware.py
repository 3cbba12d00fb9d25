"""Bolt middleware: mark requests that passed verification; drop Events API callbacks
already processed (Slack retries them)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context import BoltContext
from slack_bolt.response import BoltResponse

from cobot.services.events import EventLedger

log = logging.getLogger(__name__)


TRUSTED = "cobot_trusted"


def mark_trusted(context: BoltContext, next: Callable[[], BoltResponse | None]) -> Any:  # noqa: A002
    """Runs after Bolt's own request verification (HTTP) or for a Socket Mode envelope
    (the websocket is authenticated): only a request so marked may be answered by the
    error handler, through its response_url or a DM."""
    context[TRUSTED] = True
    return next()


def dedupe_events(ledger: EventLedger) -> Callable[..., BoltResponse | None]:
    """A global middleware answering 200 without running listeners for a seen event_id."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse | None]) -> Any:  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not ledger.first_time(str(event_id)):
            log.info("event %s already processed; ignoring the retry", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return middleware
