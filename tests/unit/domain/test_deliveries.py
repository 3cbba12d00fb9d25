"""Pure delivery rules."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.domain.deliveries import ALWAYS_USEFUL
from cobot.domain.deliveries import BreakerState
from cobot.domain.deliveries import CircuitBreaker
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.deliveries import is_permanent
from cobot.domain.deliveries import retry_delay

DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_lateness() -> None:
    policy = LatenessPolicy(timedelta(hours=1))
    assert not policy.too_late(due_at=DUE, now=DUE + timedelta(minutes=59))
    assert policy.too_late(due_at=DUE, now=DUE + timedelta(minutes=61))
    assert not ALWAYS_USEFUL.too_late(due_at=DUE, now=DUE + timedelta(days=30))


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == timedelta(minutes=4)
    assert retry_delay(10_000) == timedelta(minutes=4)


def test_breaker_opens_after_consecutive_failures_and_probes_once() -> None:
    breaker = CircuitBreaker(threshold=3, open_for=timedelta(seconds=10))
    t = DUE
    assert not breaker.failure(t) and not breaker.failure(t)
    assert breaker.success() is False  # a success in between resets the count
    assert [breaker.failure(t) for _ in range(3)] == [False, False, True]
    assert not breaker.allow(t + timedelta(seconds=9))
    assert breaker.state_at(t + timedelta(seconds=10)) == BreakerState.HALF_OPEN
    assert breaker.allow(t + timedelta(seconds=10))  # the probe
    assert not breaker.allow(t + timedelta(seconds=10))  # nobody else meanwhile
    assert breaker.failure(t + timedelta(seconds=11))  # probe failed: open, twice as long
    assert not breaker.allow(t + timedelta(seconds=30))
    assert breaker.allow(t + timedelta(seconds=31))
    assert breaker.success() is True
    assert breaker.state == BreakerState.CLOSED and breaker.allow(t)


def test_breaker_pause_is_capped() -> None:
    breaker = CircuitBreaker(
        threshold=1, open_for=timedelta(seconds=10), max_open_for=timedelta(minutes=2)
    )
    t = DUE
    for _ in range(12):
        breaker.failure(t)
        t += breaker.current_open_for()
        assert breaker.allow(t)
    assert breaker.current_open_for() == timedelta(minutes=2)


def test_a_probe_that_sent_nothing_lets_the_next_one_try() -> None:
    breaker = CircuitBreaker(threshold=1, open_for=timedelta(seconds=1))
    breaker.failure(DUE)
    later = DUE + timedelta(seconds=2)
    assert breaker.allow(later)
    breaker.release_probe()
    assert breaker.allow(later)


def test_permanent_errors_are_the_ones_no_retry_fixes() -> None:
    for error in ("channel_not_found", "account_inactive", "user_not_found", "not_in_channel"):
        assert is_permanent(error)
    assert is_permanent("invalid_auth")
    assert not is_permanent("ratelimited")
    assert not is_permanent("http_503")
