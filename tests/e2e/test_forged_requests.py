"""Forged, malformed and replayed requests, sent to cobot over HTTP as an attacker would:
nothing runs, nothing is sent (no Web API call, no response_url post), never a 500."""

from __future__ import annotations

import json
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest
from sqlalchemy import func
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.client import block_actions_payload
from cobot.sandbox.client import slash_command_payload
from cobot.sandbox.signing import sign
from cobot.sandbox.stack import SIGNING_SECRET
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.http import MAX_BODY
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import SlackSignature
from tests.mrkdwn import shown_texts
from tests.seeds import add_project

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
SETTLE = 0.6  # long enough for a background send to have reached the emulator


def quiet(emulator: SlackEmulator) -> None:
    """Nothing was sent to Slack: no Web API call and no response_url post."""
    time.sleep(SETTLE)
    seen = [(c.method, c.args.get("channel")) for c in emulator.calls]
    assert seen == [], seen


def settled(emulator: SlackEmulator, *, timeout: float = 10.0) -> int:
    """How many calls the emulator recorded, once none arrived for SETTLE seconds (the
    Home refreshes that follow a change run in the background)."""
    deadline = time.monotonic() + timeout
    seen = len(emulator.calls)
    while time.monotonic() < deadline:
        time.sleep(SETTLE)
        now = len(emulator.calls)
        if now == seen:
            return now
        seen = now
    raise AssertionError("the emulator kept receiving calls")


def forged_bodies(emulator: SlackEmulator) -> list[tuple[str, bytes]]:
    """Requests that would act if they ran: each names a user and carries a response_url
    that points at the emulator, so any answer or DM would be recorded."""
    response_url = emulator.new_response_url(user_id="UCOORD", channel_id="C0GENERAL")
    command = slash_command_payload(user_id="UCOORD", text="help", response_url=response_url)
    press = block_actions_payload(
        user_id="UCOORD",
        actions=[{"action_id": "session_cancel", "value": "1"}],
        channel_id="C0GENERAL",
        response_url=response_url,
    )
    home = {
        "type": "event_callback",
        "team_id": TEAM,
        "event_id": "Ev0FORGED",
        "event": {"type": "app_home_opened", "user": "UCOORD", "tab": "home"},
    }
    return [
        (FORM, urlencode(command).encode()),
        (FORM, urlencode({"payload": json.dumps(press)}).encode()),
        (JSON, json.dumps(home).encode()),
    ]


def bad_headers(content_type: str, body: bytes) -> list[dict[str, str]]:
    """Every way the signature headers can be wrong."""
    now = int(time.time())
    good_ts = str(now)
    good = sign(SIGNING_SECRET, good_ts, body)

    def signed_at(ts: str) -> dict[str, str]:
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
        }

    headers = [
        signed_at("9" * 400),  # OverflowError in naive int/float maths
        signed_at("1" * 13),  # one digit too many
        signed_at("¹²"),  # str.isdigit() says yes
        # full-width digits (isdigit() too), as UTF-8 bytes on the wire
        signed_at("１７００００００００".encode().decode("latin-1")),
        signed_at(str(now + 600)),  # ten minutes in the future
        signed_at(str(now - 600)),  # ten minutes old
        signed_at(f"{now}.5"),
        signed_at(f"+{now}"),
        signed_at(f" {now}"),
        signed_at("-1"),
        signed_at(""),
        {"Content-Type": content_type, "X-Slack-Signature": good},
        {"Content-Type": content_type, "X-Slack-Request-Timestamp": good_ts},
        {"Content-Type": content_type},
    ]
    for signature in (
        "v0=" + "0" * 64,
        good.upper(),
        good.replace("v0=", "v1="),
        good[:-1],
        good + "0",
        "",
        sign("not-the-secret", good_ts, body),
        sign(SIGNING_SECRET, good_ts, body + b"&text=more"),
        sign(SIGNING_SECRET, str(now - 1), body),
    ):
        headers.append(
            {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": good_ts,
                "X-Slack-Signature": signature,
            }
        )
    return headers


def test_forged_requests_are_401_and_send_nothing(
    slack: SlackClient, emulator: SlackEmulator
) -> None:
    emulator.clear_calls()
    for content_type, body in forged_bodies(emulator):
        for headers in bad_headers(content_type, body):
            result = slack.raw(body, headers)
            assert result.status == 401, (headers, result.text)
            assert result.json() == {"error": "invalid request signature"}
    quiet(emulator)


def test_bolts_error_handler_never_answers_an_unverified_body(
    stack: LocalStack, emulator: SlackEmulator
) -> None:
    """Behind the HTTP layer too: a body that fails Bolt's own verification (here with a
    timestamp that overflows its maths) is not answered through its response_url or a DM."""
    assert stack.runtime is not None
    emulator.clear_calls()
    response_url = emulator.new_response_url(user_id="UCOORD", channel_id="C0GENERAL")
    for ts in ("9" * 400, "¹²"):
        for body in (
            urlencode(slash_command_payload(user_id="UCOORD", text="x", response_url=response_url)),
            urlencode(
                {
                    "payload": json.dumps(
                        block_actions_payload(
                            user_id="UCOORD",
                            actions=[{"action_id": "session_cancel", "value": "1"}],
                            response_url=response_url,
                        )
                    )
                }
            ),
        ):
            response = stack.runtime.app.dispatch(
                BoltRequest(
                    body=body,
                    headers={
                        "content-type": FORM,
                        "x-slack-request-timestamp": ts,
                        "x-slack-signature": sign(SIGNING_SECRET, ts, body),
                    },
                )
            )
            assert response.status in (401, 500)
            assert "something went wrong" not in (response.body or "")
    quiet(emulator)


def malformed_bodies(emulator: SlackEmulator) -> list[tuple[str, bytes]]:
    response_url = emulator.new_response_url(user_id="UCOORD", channel_id="C0GENERAL")
    user = {"id": "UCOORD", "team_id": TEAM}

    def payload(value: Any) -> tuple[str, bytes]:
        text = value if isinstance(value, str) else json.dumps(value)
        return FORM, urlencode({"payload": text}).encode()

    press = {"type": "block_actions", "user": user, "response_url": response_url}
    submission = {"type": "view_submission", "user": user, "response_url": response_url}
    return [
        (FORM, b"command=%2Fcobot&&text=help"),  # an empty field
        (FORM, b"command=%2Fcobot&text"),  # a field without '='
        (FORM, "command=%2Fcobot&text=\udcff".encode("utf-8", "surrogatepass")),
        (FORM, b"command=%2Fcobot&text=\xff\xfe"),  # not UTF-8
        (FORM, b"command=%2Fcobot&command=%2Fother&user_id=UCOORD&team_id=T"),  # twice
        (FORM, b"text=help&user_id=UCOORD"),  # neither a command nor a payload
        (FORM, urlencode({"command": "cobot", "user_id": "UCOORD", "team_id": TEAM}).encode()),
        (FORM, urlencode({"command": "/cobot", "team_id": TEAM}).encode()),
        (FORM, b""),
        payload("{not json"),
        payload('"a string"'),
        payload([1, 2, 3]),
        payload("[" * 5000 + "]" * 5000),  # deep nesting
        payload({"user": user, "response_url": response_url}),  # no type
        payload({**press, "type": 5}),
        payload({**press, "type": "nonsense"}),
        payload(press),  # no actions
        payload({**press, "actions": []}),
        payload({**press, "actions": "session_cancel"}),
        payload({**press, "actions": [{"value": "1"}]}),
        payload({**press, "actions": [{"action_id": 7}]}),
        payload({**press, "user": "UCOORD", "actions": [{"action_id": "session_cancel"}]}),
        payload({**press, "user": {}, "actions": [{"action_id": "session_cancel"}]}),
        payload({**press, "team": "T0", "actions": [{"action_id": "session_cancel"}]}),
        payload({**press, "state": [], "actions": [{"action_id": "session_cancel"}]}),
        payload({**press, "message": "hi", "actions": [{"action_id": "session_cancel"}]}),
        payload({**press, "response_url": 42, "actions": [{"action_id": "session_cancel"}]}),
        payload(submission),  # no view
        payload({**submission, "view": "V1"}),
        payload({**submission, "view": {"callback_id": "session_add"}}),  # no id
        payload({**submission, "view": {"id": "V1", "state": {"values": []}}}),
        payload({**submission, "view": {"id": "V1", "state": {"values": {"b": "x"}}}}),
        payload({**submission, "view": {"id": "V1", "private_metadata": 1}}),
        payload({"type": "shortcut", "user": user}),
        (JSON, b"{not json"),
        (JSON, b"[]"),
        (JSON, b'{"type": "event_callback", "event_id": "Ev1"}'),
        (JSON, b'{"type": "event_callback", "event": {"type": 3}, "event_id": "Ev1"}'),
        (JSON, b'{"type": "event_callback", "event": {"type": "app_home_opened"}}'),
        (JSON, b'{"type": "url_verification"}'),
        (JSON, b'{"type": "something_else"}'),
        ("text/plain", b"command=%2Fcobot&text=help"),
        ("multipart/form-data; boundary=x", b"--x--"),
        ("", b"command=%2Fcobot&text=help"),
    ]


def test_signed_but_malformed_bodies_are_400_and_send_nothing(
    slack: SlackClient, emulator: SlackEmulator
) -> None:
    emulator.clear_calls()
    for content_type, body in malformed_bodies(emulator):
        result = slack.raw(body, slack.signed_headers(body, content_type=content_type))
        assert result.status == 400, (content_type, body[:80], result.status, result.text)
        answer = result.json()
        assert set(answer) == {"error"} and len(answer["error"]) < 60
        assert "Traceback" not in result.text
    quiet(emulator)


def test_an_oversized_body_is_refused_unread_and_sends_nothing(
    slack: SlackClient, emulator: SlackEmulator
) -> None:
    emulator.clear_calls()
    fields = slash_command_payload(user_id="UCOORD", text="help " + "x" * MAX_BODY)
    body = urlencode(fields).encode()
    signed = slack.raw(body, slack.signed_headers(body, content_type=FORM))
    unsigned = slack.raw(body, {"Content-Type": FORM})
    assert (signed.status, unsigned.status) == (413, 413)
    quiet(emulator)


def test_slacks_signed_certificate_check_is_answered_and_runs_nothing(
    slack: SlackClient, emulator: SlackEmulator
) -> None:
    emulator.clear_calls()
    body = b"ssl_check=1&token=sandbox-verification-token"
    result = slack.raw(body, slack.signed_headers(body, content_type=FORM))
    assert result.status == 200
    quiet(emulator)


def test_a_well_formed_request_still_works_after_the_attacks(slack: SlackClient) -> None:
    result = slack.slash_command(user_id="UCOORD", text="help")
    assert result.status == 200
    assert "cobot: what you can ask" in result.text


# -- replays --------------------------------------------------------------------------


@pytest.fixture
def project(stack: LocalStack) -> int:
    """A project with a coordinator and two practitioners."""
    assert stack.runtime is not None
    for user in ("UF1", "UF2"):
        stack.emulator.add_user(user, name=user.lower())
    stack.emulator.add_channel(CHANNEL, name="recovery", members=["UCOORD", "UF1", "UF2"])
    members = [("UCOORD", "coordinator"), ("UF1", "practitioner"), ("UF2", "practitioner")]
    with transaction(stack.runtime.factory) as session:
        row = add_project(
            session,
            channel_id=CHANNEL,
            members=members,
            now=datetime.now(UTC),
            aims="Co-produce a recovery framework.",
            timezone="Europe/London",
        )
        return row.id


def session_form(title: str) -> dict[str, dict[str, dict[str, Any]]]:
    day: date = datetime.now(UTC).date() + timedelta(days=30)
    return {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "date": {"value": {"type": "datepicker", "selected_date": day.isoformat()}},
        "time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
        "duration": {"value": {"type": "plain_text_input", "value": "2h"}},
        "venue": {"value": {"type": "plain_text_input", "value": "Town hall"}},
        "facilitators": {"value": {"type": "multi_users_select", "selected_users": ["UF1", "UF2"]}},
        "participants": {"value": {"type": "multi_users_select", "selected_users": []}},
        "objectives": {"value": {"type": "plain_text_input", "value": ""}},
    }


def sessions(stack: LocalStack) -> list[str]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        return list(session.scalars(select(CoSession.title).order_by(CoSession.id)))


def test_a_replayed_button_press_acts_once(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project: int
) -> None:
    view = {"id": "V0ADDFORM", "callback_id": "session_add", "private_metadata": str(project)}
    first = slack.view_submission(user_id="UCOORD", view=view, values=session_form("Kick-off"))
    assert first.status == 200 and first.json()["response_action"] == "update"
    announced = emulator.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == CHANNEL)
    [row_id] = _session_ids(stack)

    # the Cancel button on the announcement, pressed once and captured
    press = slack.block_actions_body(
        user_id="UCOORD",
        actions=[{"action_id": "session_cancel", "value": str(row_id)}],
        channel_id=CHANNEL,
        message={"ts": announced[0].response["ts"], "text": "New session"},
    )
    body = urlencode({"payload": json.dumps(press)}).encode()
    headers = slack.signed_headers(body, content_type=FORM)
    assert slack.raw(body, headers).status == 200
    emulator.wait_for("response_url", count=1)
    emulator.wait_for("chat.postMessage", count=2, where=lambda c: c.args["channel"] == CHANNEL)
    calls = settled(emulator)

    # the same bytes and signature again, within the five minutes: answered, not acted on
    replay = slack.raw(body, headers)
    assert replay.status == 200 and replay.body == b""
    time.sleep(SETTLE)
    assert len(emulator.calls) == calls, [c.method for c in emulator.calls[calls:]]
    assert len(emulator.calls_to("response_url")) == 1
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        assert session.scalar(select(func.count()).select_from(SlackSignature)) == 2


def test_a_form_submitted_twice_adds_one_session(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project: int
) -> None:
    """A double click sends the same modal twice, each signed anew: one session, one
    announcement, and the second submission sees the same saved session."""
    view = {"id": "V0TWICE", "callback_id": "session_add", "private_metadata": str(project)}
    values = session_form("Kick-off")
    first = slack.view_submission(user_id="UCOORD", view=view, values=values)
    second = slack.view_submission(user_id="UCOORD", view=view, values=values)
    assert first.status == second.status == 200
    assert second.json()["response_action"] == "update"
    assert "Kick-off" in json.dumps(second.json()["view"])
    assert sessions(stack) == ["Kick-off"]
    time.sleep(SETTLE)
    announcements = [
        c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL
    ]
    assert len(announcements) == 1
    # a different form (another view) is another session
    other = {**view, "id": "V0OTHER"}
    assert slack.view_submission(user_id="UCOORD", view=other, values=values).status == 200
    assert sessions(stack) == ["Kick-off", "Kick-off"]


def _session_ids(stack: LocalStack) -> list[int]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        return list(session.scalars(select(CoSession.id).order_by(CoSession.id)))


# -- escaping ---------------------------------------------------------------------------

HOSTILE = "Party <!channel> <@U123> <https://evil|x> &amp;"


def test_a_hostile_session_title_pings_nobody(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project: int
) -> None:
    view = {"id": "V0HOSTILE", "callback_id": "session_add", "private_metadata": str(project)}
    result = slack.view_submission(user_id="UCOORD", view=view, values=session_form(HOSTILE))
    assert result.status == 200, result.text
    [post] = emulator.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == CHANNEL)
    blocks = post.args.get("blocks")
    parsed = [str(post.args.get("text"))]
    parsed += [
        text for _, text in shown_texts(json.loads(blocks) if isinstance(blocks, str) else blocks)
    ]
    assert len(parsed) > 2
    for text in parsed:
        for pattern in ("<!channel", "<@U123", "<https://evil"):
            assert pattern not in text, text
    assert "&lt;!channel&gt;" in str(post.args.get("text"))
    assert "&amp;amp;" in str(post.args.get("text"))
