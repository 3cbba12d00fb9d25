"""Look people up in Slack (users.info), cached briefly."""

from __future__ import annotations

import logging
import threading
import time
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

log = logging.getLogger(__name__)


class SlackDirectory:
    """users.info with a short cache; a person's zone can change when they travel."""

    def __init__(self, client: WebClient, *, ttl_seconds: float = 3600) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def timezone(self, user_id: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            user = self._client.users_info(user=user_id)["user"]
            tz = user.get("tz")
            zone = str(tz) if tz else None
            if zone is not None:
                ZoneInfo(zone)
        except (SlackClientError, OSError, KeyError, ZoneInfoNotFoundError, ValueError):
            log.warning("could not read the time zone of a user")
            zone = None
        with self._lock:
            self._cache[user_id] = (now, zone)
        return zone
