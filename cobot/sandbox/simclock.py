"""A clock the demo moves forward at high speed; everything else runs for real."""

from __future__ import annotations

import threading
from datetime import datetime
from datetime import timedelta


class SimClock:
    """Aware-UTC simulated time, advanced explicitly and read from any thread."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs an aware start time")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, step: timedelta) -> datetime:
        """Move time forward by `step` and return the new time."""
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when` (never backwards)."""
        with self._lock:
            if when > self._now:
                self._now = when
