"""Slack's published rate tiers and the token bucket that counts against them.

Two sides pace by the same buckets: cobot's own outgoing `RateGate` (slack/web.py), which
waits until every bucket a call draws on holds a token and then spends one from each, and
the emulator's `RateLimits` (sandbox/ratelimits.py), which takes from one bucket at a time
and answers 429 with Retry-After when it is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Slack's published Web API tiers, in calls per minute per method per app per workspace
# (docs.slack.dev/apis/web-api/rate-limits): Tier 1 1+, Tier 2 20+, Tier 3 50+, Tier 4 100+.
# Slack publishes floors and welcomes "sporadic bursts": a tier's bucket holds a minute of
# calls, except Tier 1's "small amount of burst", three calls.
TIER_PER_MINUTE: Mapping[int, float] = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}
TIER_1_BURST = 3.0


@dataclass
class TokenBucket:
    """Refills evenly at `rate` tokens a second up to `capacity`; a call spends one."""

    rate: float  # tokens per second
    capacity: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, capacity: float, now: float) -> TokenBucket:
        """A bucket that has not been drawn on yet: it holds its whole burst."""
        return cls(rate=rate, capacity=capacity, tokens=capacity, updated=now)

    def refill(self, now: float) -> None:
        """Add what has dripped in since it was last counted, up to its capacity."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def short(self, tolerance: float = 0.0) -> float:
        """The seconds until the bucket holds a whole token (0.0 when it does); a token
        short of a whole one by no more than `tolerance` counts as whole."""
        if self.tokens >= 1.0 - tolerance:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def spend(self) -> None:
        """Take the token a call costs (a whole one, if only just short of it)."""
        self.tokens = max(self.tokens - 1.0, 0.0)

    def take(self, now: float) -> float:
        """Refill, then spend a token if there is a whole one: 0.0, or (spending nothing)
        the seconds until there is."""
        self.refill(now)
        short = self.short()
        if not short:
            self.spend()
        return short
