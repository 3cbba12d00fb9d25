"""Verification of what claims to come from Slack: the signature first, then the shape."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobot.sandbox.signing import sign
from cobot.slack import inbound
from cobot.slack import payloads
from tests.unit.sandbox.test_signing import SLACK_EXAMPLE_BODY
from tests.unit.sandbox.test_signing import SLACK_EXAMPLE_SECRET
from tests.unit.sandbox.test_signing import SLACK_EXAMPLE_SIGNATURE
from tests.unit.sandbox.test_signing import SLACK_EXAMPLE_TIMESTAMP

NOW = 1_800_000_000
SECRET = "s3cret"


def check(
    ts: str, body: bytes = b"a=1", signature: str | None = None, now: float = NOW
) -> inbound.Verified | None:
    return inbound.verify(
        secret=SECRET,
        timestamp=ts,
        signature=sign(SECRET, ts, body) if signature is None else signature,
        body=body,
        now=now,
    )


def test_slacks_documented_example_verifies() -> None:
    verified = inbound.verify(
        secret=SLACK_EXAMPLE_SECRET,
        timestamp=SLACK_EXAMPLE_TIMESTAMP,
        signature=SLACK_EXAMPLE_SIGNATURE,
        body=SLACK_EXAMPLE_BODY.encode(),
        now=int(SLACK_EXAMPLE_TIMESTAMP) + 10,
    )
    assert verified is not None and verified.body == SLACK_EXAMPLE_BODY.encode()
    # the digest names the signature without being it
    assert len(verified.signature_hash) == 64 and SLACK_EXAMPLE_SIGNATURE[3:] not in (
        verified.signature_hash
    )


def test_the_five_minute_window_both_ways() -> None:
    assert check(str(NOW - 300)) is not None
    assert check(str(NOW + 300)) is not None
    assert check(str(NOW - 301)) is None
    assert check(str(NOW + 301)) is None


@pytest.mark.parametrize(
    "ts", ["9" * 400, "1" * 13, "¹²", "１７", "٣", "", " 1", "+1", "-1", "1.5", "0x10", "1e9"]
)
def test_timestamps_other_than_1_to_12_ascii_digits_are_refused(ts: str) -> None:
    assert check(ts, now=NOW) is None


@pytest.mark.parametrize(
    "signature",
    [None, "", "v0=", "v0=" + "0" * 64, "v1=" + "0" * 64, "v0=" + "G" * 64, "v0=" + "a" * 63],
)
def test_missing_or_misshapen_signatures_are_refused(signature: str | None) -> None:
    result = inbound.verify(
        secret=SECRET, timestamp=str(NOW), signature=signature, body=b"a=1", now=NOW
    )
    assert result is None


def test_a_signature_for_another_body_secret_or_time_is_refused() -> None:
    ts = str(NOW)
    assert check(ts, signature=sign("other", ts, b"a=1")) is None
    assert check(ts, signature=sign(SECRET, ts, b"a=2")) is None
    assert check(ts, signature=sign(SECRET, str(NOW - 1), b"a=1")) is None
    assert check(ts, signature=sign(SECRET, ts, b"a=1").upper().replace("V0=", "v0=")) is None


@given(st.text(max_size=20), st.binary(max_size=200))
def test_verify_never_raises(ts: str, body: bytes) -> None:
    assert inbound.verify(secret=SECRET, timestamp=ts, signature="v0=x", body=body, now=NOW) is None


def form(fields: dict[str, str]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), inbound.FORM


def test_slash_commands_interactions_and_events_pass() -> None:
    command = {"command": "/cobot", "user_id": "U1", "team_id": "T1", "text": "help"}
    press = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "actions": [{"action_id": "a", "value": "1"}],
        "state": {"values": {"b": {"a": {"type": "button"}}}},
    }
    submission = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": None,
        "view": {"id": "V1", "callback_id": "c", "private_metadata": "", "state": {"values": {}}},
    }
    event = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_home_opened"}}
    for raw, content_type in (
        form(command),
        form({"payload": json.dumps(press)}),
        form({"payload": json.dumps(submission)}),
        (json.dumps(event).encode(), "application/json; charset=utf-8"),
        (b'{"type": "url_verification", "challenge": "x"}', inbound.JSON),
        form({"ssl_check": "1", "token": "x"}),
    ):
        _body, request = inbound.parse(raw, content_type)
        inbound.check(request)


@given(st.binary(max_size=300), st.sampled_from([inbound.FORM, inbound.JSON, "text/plain", ""]))
def test_parse_and_check_refuse_anything_with_malformed_never_another_error(
    raw: bytes, content_type: str
) -> None:
    try:
        _body, request = inbound.parse(raw, content_type)
        inbound.check(request)
    except inbound.Malformed as problem:
        assert len(str(problem)) < 60


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=15,
    )
)
def test_what_check_lets_through_the_payload_readers_can_read(value: object) -> None:
    """Any JSON in any slot: refused as Malformed, or safe for every listener's readers."""
    shaped = {"type": "block_actions", "user": {"id": "U1"}, "actions": value}
    viewed = {"type": "view_submission", "user": {"id": "U1"}, "view": value}
    for candidate in (value, shaped, viewed, {"type": "block_actions", "user": value}):
        if not isinstance(candidate, dict):
            continue
        try:
            inbound.check(candidate)
        except inbound.Malformed:
            continue
        payloads.team_id(candidate)
        payloads.user_id(candidate)
        payloads.action_value(candidate)
        payloads.state_values(candidate.get("view") or {})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("42", 42), ("2147483647", 2147483647), ("2147483648", None), ("9" * 12, None)]
    + [(bad, None) for bad in ("", "-1", "1.0", "¹²", "٣", "１", " 1", None, 7.5)],
)
def test_ids_from_buttons_and_metadata_are_ascii_and_fit_the_columns(
    raw: object, expected: int | None
) -> None:
    assert payloads.parse_id(raw) == expected
