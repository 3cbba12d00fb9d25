"""Pure delivery rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cobot.domain.deliveries import ALWAYS_USEFUL, LatenessPolicy, is_permanent, retry_delay

DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_lateness() -> None:
    policy = LatenessPolicy(timedelta(hours=1))
    assert not policy.too_late(due_at=DUE, now=DUE + timedelta(minutes=59))
    assert policy.too_late(due_at=DUE, now=DUE + timedelta(minutes=61))
    assert not ALWAYS_USEFUL.too_late(due_at=DUE, now=DUE + timedelta(days=30))


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == timedelta(minutes=15)


def test_permanent_errors_are_the_ones_no_retry_fixes() -> None:
    for error in ("channel_not_found", "account_inactive", "user_not_found", "not_in_channel"):
        assert is_permanent(error)
    assert is_permanent("invalid_auth")
    assert not is_permanent("ratelimited")
    assert not is_permanent("http_503")
