"""The signer matches Slack's documented example, and slack_sdk accepts what SlackClient signs."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

from cobot.sandbox import SlackClient
from cobot.sandbox import sign

from .conftest import Captured

SLACK_EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_EXAMPLE_TIMESTAMP = "1531420618"
SLACK_EXAMPLE_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    "&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
    "%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_sign_matches_slacks_documented_example() -> None:
    assert sign(SLACK_EXAMPLE_SECRET, SLACK_EXAMPLE_TIMESTAMP, SLACK_EXAMPLE_BODY) == (
        SLACK_EXAMPLE_SIGNATURE
    )


def test_sign_takes_the_raw_bytes_too() -> None:
    """Forged and malformed bodies (not UTF-8 text) are signed over their exact bytes."""
    raw = SLACK_EXAMPLE_BODY.encode()
    assert sign(SLACK_EXAMPLE_SECRET, SLACK_EXAMPLE_TIMESTAMP, raw) == SLACK_EXAMPLE_SIGNATURE
    assert sign("s", "1", b"\xff\xfe") != sign("s", "1", b"\xff")


def test_sign_depends_on_secret_timestamp_and_body() -> None:
    reference = sign("secret", "1", "body")
    assert sign("other", "1", "body") != reference
    assert sign("secret", "2", "body") != reference
    assert sign("secret", "1", "body!") != reference


def test_slack_sdk_verifier_accepts_what_the_client_signs(
    capture: tuple[str, Captured],
) -> None:
    url, captured = capture
    client = SlackClient(app_url=url, signing_secret="s3cret")
    client.slash_command(user_id="U0ALICE", text="status")
    client.block_actions(user_id="U0ALICE", actions=[{"action_id": "ok", "value": "1"}])
    client.event({"type": "app_mention", "user": "U0ALICE", "text": "hi", "channel": "C1"})

    verifier = SignatureVerifier("s3cret")
    assert len(captured.requests) == 3
    for headers, body in captured.requests:
        lowered = {k.lower(): v for k, v in headers.items()}
        assert abs(int(lowered["x-slack-request-timestamp"]) - time.time()) < 60
        assert verifier.is_valid_request(body, lowered)
        assert not SignatureVerifier("wrong").is_valid_request(body, lowered)


def test_unsigned_and_stale_requests_are_rejected_by_slack_sdk(
    capture: tuple[str, Captured],
) -> None:
    url, captured = capture
    client = SlackClient(app_url=url, signing_secret="s3cret")
    client.slash_command(user_id="U0ALICE", text="x", sign=False)
    client.slash_command(user_id="U0ALICE", text="x", timestamp=str(int(time.time()) - 3600))

    verifier = SignatureVerifier("s3cret")
    unsigned, stale = ({k.lower(): v for k, v in h.items()} for h, _ in captured.requests)
    assert "x-slack-signature" not in unsigned
    assert not verifier.is_valid_request(captured.requests[0][1], unsigned)
    assert not verifier.is_valid_request(captured.requests[1][1], stale)
