"""Fakes with transcripts for cobot's own ports (never mocks of Slack's shapes)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SlackSendError


class FakeClock:
    """A clock that only moves when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


@dataclass
class FakeMessenger:
    """Records what was posted; can be told to fail the next posts."""

    sent: list[tuple[str, OutgoingMessage]] = field(default_factory=list)
    failures: list[SlackSendError] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append((target, message))
            return PostedMessage(channel=f"D{target}", ts=f"{1700000000 + len(self.sent)}.000100")

    def texts_to(self, target: str) -> list[str]:
        return [m.text for t, m in self.sent if t == target]


@dataclass
class FakeAlarms:
    """Records armed alarms instead of waking anything."""

    armed: dict[int, datetime] = field(default_factory=dict)

    def arm(self, delivery_id: int, when: datetime) -> None:
        self.armed[delivery_id] = when
