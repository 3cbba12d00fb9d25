"""Rules for messages cobot owes people: statuses, lateness, retries, error classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    """scheduled -> sending -> sent | skipped | failed; cancelled before sending."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset(
    {DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED}
)

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

MAX_ATTEMPTS = 5


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
    """Back-off before the next try after `attempts` failed ones: 30 s, 1, 2, 4 min... to 15."""
    seconds = min(30 * 2 ** max(attempts - 1, 0), 15 * 60)
    return timedelta(seconds=seconds)
