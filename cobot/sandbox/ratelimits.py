"""Slack's rate limits as the emulator enforces them: token buckets, one per method and
token (a workspace's app) and one per channel for chat.postMessage."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from collections.abc import Mapping

from cobot.ratelimit import TIER_1_BURST
from cobot.ratelimit import TIER_PER_MINUTE
from cobot.ratelimit import TokenBucket


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
        self._methods: dict[tuple[str, str], TokenBucket] = {}
        self._channels: dict[str, TokenBucket] = {}
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
            bucket = self._methods.setdefault(
                (token, method), TokenBucket.full(rate, capacity, now)
            )
            short = bucket.take(now)
            return max(1, math.ceil(short)) if short else None

    def take_channel(self, channel_id: str) -> bool:
        """Spend one of the channel's messages; False when it posts faster than allowed."""
        if self._channel_rate <= 0:
            return True
        burst = float(self._channel_burst)
        with self._lock:
            now = self._clock()
            bucket = self._channels.setdefault(
                channel_id, TokenBucket.full(self._channel_rate, burst, now)
            )
            return not bucket.take(now)
