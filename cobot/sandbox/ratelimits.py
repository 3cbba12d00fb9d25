"""Slack's rate limits as the emulator enforces them: token buckets, one per method and
token (a workspace's app) and one per channel for chat.postMessage."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass

# Slack's published Web API tiers, in requests per minute per method per app per workspace
# (docs.slack.dev/apis/web-api/rate-limits). Slack publishes floors ("20+ per minute") and
# tolerates bursts; the emulator allows a burst of one minute's quota, then refills evenly,
# except Tier 1, where Slack tolerates "a small amount of burst": three requests.
TIER_PER_MINUTE: Mapping[int, float] = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}
TIER_1_BURST = 3.0


@dataclass
class _Bucket:
    tokens: float
    updated: float

    def take(self, now: float, rate: float, capacity: float) -> bool:
        """Refill at `rate` a second up to `capacity`, then spend a token if there is one."""
        self.tokens = min(capacity, self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimits:
    """The limits one emulator enforces, with the buckets that count them.

    Each method in `tiers` is limited as its tier is; `method_limits` sets (or, with 0,
    lifts) a method's requests per minute and `method_bursts` how many it takes at once
    (default: one minute's worth); `scale` multiplies every per-method limit (0 turns them
    off). chat.postMessage is limited per channel instead: `channel_rate` messages a second
    (0: unlimited), `channel_burst` at once. Both count in the monotonic seconds of `clock`.
    """

    def __init__(
        self,
        tiers: Mapping[str, int],
        *,
        method_limits: Mapping[str, float],
        method_bursts: Mapping[str, float],
        scale: float,
        channel: tuple[float, int],
        clock: Callable[[], float],
    ) -> None:
        self._per_minute = {method: TIER_PER_MINUTE[tier] for method, tier in tiers.items()}
        self._per_minute.update(method_limits)
        self._bursts = {method: TIER_1_BURST for method, tier in tiers.items() if tier == 1}
        self._bursts.update(method_bursts)
        self._scale = scale
        self._channel_rate, self._channel_burst = channel
        self._clock = clock
        self._methods: dict[tuple[str, str], _Bucket] = {}
        self._channels: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def method_limit(self, method: str) -> float | None:
        """The requests per minute `method` is allowed per token (None: unlimited)."""
        per_minute = self._per_minute.get(method, 0.0) * self._scale
        return per_minute if per_minute > 0 else None

    def take_method(self, method: str, token: str) -> int | None:
        """Spend one of the method's requests for this token (a workspace's app); when none
        is left, the whole seconds until one is, as Slack's Retry-After."""
        per_minute = self.method_limit(method)
        if per_minute is None:
            return None
        rate = per_minute / 60.0
        capacity = max(self._bursts.get(method, per_minute), 1.0)
        with self._lock:
            now = self._clock()
            bucket = self._methods.setdefault((token, method), _Bucket(capacity, now))
            if bucket.take(now, rate, capacity):
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def take_channel(self, channel_id: str) -> bool:
        """Spend one of the channel's messages; False when it posts faster than allowed."""
        if self._channel_rate <= 0:
            return True
        burst = float(self._channel_burst)
        with self._lock:
            now = self._clock()
            bucket = self._channels.setdefault(channel_id, _Bucket(burst, now))
            return bucket.take(now, self._channel_rate, burst)
