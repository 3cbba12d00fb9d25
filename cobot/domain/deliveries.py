"""Rules for messages cobot owes people: statuses, lateness, retries, error classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    """scheduled -> sending -> sent | skipped | failed; cancelled before sending."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Slack errors that no retry can fix: the person, channel or token is gone or wrong.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "account_inactive",
        "user_not_found",
        "not_in_channel",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "is_archived",
        "cannot_dm_bot",
        "user_disabled",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
    }
)

# Back-off between tries after a transient failure; transient failures never use a
# delivery up (only its lateness policy ends it), so the cap keeps a message that is still
# useful at most a few minutes behind a recovered Slack.
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=4)


def is_permanent(error: str) -> bool:
    """True when retrying the same call cannot succeed."""
    return error in PERMANENT_ERRORS


@dataclass(frozen=True)
class LatenessPolicy:
    """How late a delivery may still go out; None means it is useful however late."""

    max_lateness: timedelta | None
    reason: str = "it would arrive too late to be useful"

    def too_late(self, *, due_at: datetime, now: datetime) -> bool:
        """Whether sending now, for something due at `due_at`, is pointless."""
        return self.max_lateness is not None and now > due_at + self.max_lateness


ALWAYS_USEFUL = LatenessPolicy(max_lateness=None)


def retry_delay(attempts: int) -> timedelta:
    """Back-off before the next try after `attempts` failed ones: 30 s, 1, 2, then 4 min."""
    delay: timedelta = RETRY_BASE * 2 ** min(max(attempts - 1, 0), 16)
    return min(delay, RETRY_CAP)


class BreakerState(StrEnum):
    """closed: send; open: send nothing; half_open: one probe decides."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Pauses all sending after `threshold` transient failures in a row.

    Open, it refuses every send until `open_for` has passed (doubling with each failed
    probe, up to `max_open_for`); then it lets one probe through (half-open). The probe's
    success closes it, its failure opens it again. Pure: callers pass the time. Not
    thread-safe on its own; the caller holds a lock.
    """

    threshold: int = 3
    open_for: timedelta = timedelta(seconds=15)
    max_open_for: timedelta = timedelta(minutes=2)
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    trips: int = 0
    opened_at: datetime | None = None
    probing: bool = False

    def allow(self, now: datetime) -> bool:
        """Whether a send may start now; in half-open state, only the one probe may."""
        if self.state == BreakerState.CLOSED:
            return True
        if self.state == BreakerState.OPEN:
            assert self.opened_at is not None
            if now < self.opened_at + self.current_open_for():
                return False
            self.state = BreakerState.HALF_OPEN
            self.probing = False
        if self.probing:
            return False
        self.probing = True
        return True

    def state_at(self, now: datetime) -> BreakerState:
        """The state a send starting at `now` would meet (open turns half-open on time)."""
        opened_at = self.opened_at
        if self.state == BreakerState.OPEN and opened_at is not None:
            return (
                BreakerState.HALF_OPEN
                if now >= opened_at + self.current_open_for()
                else BreakerState.OPEN
            )
        return self.state

    def current_open_for(self) -> timedelta:
        """How long the breaker stays open this time."""
        pause: timedelta = self.open_for * 2 ** min(max(self.trips - 1, 0), 16)
        return min(pause, self.max_open_for)

    def success(self) -> bool:
        """Slack took a message; True when this closed an open or half-open breaker."""
        recovered = self.state != BreakerState.CLOSED
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.trips = 0
        self.opened_at = None
        self.probing = False
        return recovered

    def failure(self, now: datetime) -> bool:
        """A transient failure; True when this opened the breaker."""
        self.failures += 1
        if self.state == BreakerState.HALF_OPEN or (
            self.state == BreakerState.CLOSED and self.failures >= self.threshold
        ):
            self.state = BreakerState.OPEN
            self.trips += 1
            self.opened_at = now
            self.probing = False
            return True
        return False

    def release_probe(self) -> None:
        """The probe ended without reaching Slack (nothing to send): let another one try."""
        self.probing = False
