"""A feed's secret is derived, never stored: it survives a key rotation while the old key
is configured, and stops with it; malformed secrets never reach the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime

import pytest

from cobot.services.feeds import Feeds
from cobot.services.feeds import feed_token
from cobot.services.feeds import token_hash
from cobot.storage import crypto
from cobot.storage.models import CalendarFeed
from tests.fakes import FakeClock


@pytest.fixture
def keys() -> Iterator[tuple[str, str]]:
    saved = crypto._cipher, crypto._keys
    yield crypto.new_key(), crypto.new_key()
    crypto._cipher, crypto._keys = saved


def feed(nonce: str, token: str) -> CalendarFeed:
    return CalendarFeed(
        token_hash=token_hash(token),
        nonce=nonce,
        team_id="T1",
        user_id="U1",
        project_id=1,
        scope="person",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_the_secret_is_derived_again_across_a_rotation_and_ends_with_its_key(
    keys: tuple[str, str],
) -> None:
    old, new = keys
    crypto.configure([old])
    [token] = crypto.derived_secrets("cobot-calendar-feed", "nonce-1")
    assert len(token) == 43 and token != crypto.derived_secrets("cobot-calendar-feed", "n2")[0]
    row = feed("nonce-1", token)
    assert feed_token(row) == token
    crypto.configure([new, old])  # rotating: the old key is still listed
    assert feed_token(row) == token
    crypto.configure([new])  # the old key retired: the link can no longer be sent again
    assert feed_token(row) is None


@pytest.mark.parametrize(
    "token", ["", "short", "x" * 42, "x" * 44, "a/b" + "x" * 40, "../../etc/passwd" + "x" * 27]
)
def test_a_malformed_secret_is_refused_before_any_lookup(token: str) -> None:
    # no database behind this factory: a lookup would fail the test
    feeds = Feeds(factory=None, clock=FakeClock(), public_url="https://x")  # type: ignore[arg-type]
    assert feeds.document(token) is None
