"""SlackClient encodes requests the way Slack does and reports what cobot answered."""

from __future__ import annotations

import json
from urllib.parse import parse_qs
from urllib.parse import parse_qsl

from cobot.sandbox import HttpResult
from cobot.sandbox import SlackClient
from cobot.sandbox import SlackEmulator
from cobot.sandbox.client import block_actions_payload
from cobot.sandbox.client import event_envelope
from cobot.sandbox.client import slash_command_payload
from cobot.sandbox.client import view_submission_payload

from .conftest import Captured

SLASH_FIELDS = [
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "api_app_id",
    "is_enterprise_install",
    "response_url",
    "trigger_id",
]


def _payload(body: bytes) -> dict[str, object]:
    [raw] = parse_qs(body.decode())["payload"]
    parsed = json.loads(raw)
    assert isinstance(parsed, dict)
    return parsed


def test_slash_command_is_form_encoded_in_slacks_order(
    capture: tuple[str, Captured], emulator: SlackEmulator
) -> None:
    url, captured = capture
    client = SlackClient(app_url=url, signing_secret="s", emulator=emulator)
    client.slash_command(user_id="U0ALICE", text="add 3h to design", channel_id="C0GENERAL")

    fields = parse_qsl(captured.requests[0][1].decode(), keep_blank_values=True)
    assert [name for name, _ in fields] == SLASH_FIELDS
    values = dict(fields)
    assert values["text"] == "add 3h to design"
    assert values["command"] == "/cobot"
    assert values["response_url"].startswith(f"{emulator.base_url}/response/")
    assert len(values["trigger_id"].split(".")) == 3
    assert captured.headers()["content-type"] == "application/x-www-form-urlencoded"


def test_slash_command_without_emulator_uses_a_dummy_response_url() -> None:
    payload = slash_command_payload(user_id="U1", text="")
    assert list(payload) == SLASH_FIELDS
    assert payload["response_url"].startswith("https://hooks.slack.com/commands/")


def test_block_actions_payload_shape(capture: tuple[str, Captured]) -> None:
    url, captured = capture
    client = SlackClient(app_url=url, signing_secret="s")
    message = {"ts": "1700000000.000100", "text": "vote"}
    client.block_actions(
        user_id="U0ALICE",
        actions=[{"action_id": "vote", "value": "yes"}],
        message=message,
        channel_id="C0GENERAL",
    )
    payload = _payload(captured.requests[0][1])
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": "U0ALICE",
        "username": "u0alice",
        "name": "u0alice",
        "team_id": "T0SANDBOX",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert payload["message"] == message
    assert "response_url" in payload
    actions = payload["actions"]
    assert isinstance(actions, list) and len(actions) == 1
    action = actions[0]
    assert action["action_id"] == "vote"
    assert action["block_id"]
    assert action["action_ts"]

    from_view = block_actions_payload(
        user_id="U1", actions=[{"action_id": "a"}], view={"id": "V1", "callback_id": "c"}
    )
    assert from_view["container"] == {"type": "view", "view_id": "V1"}
    assert "response_url" not in from_view


def test_view_submission_carries_state_values() -> None:
    values = {"hours": {"amount": {"type": "plain_text_input", "value": "3"}}}
    payload = view_submission_payload(
        user_id="U1",
        view={"id": "V1", "callback_id": "log", "private_metadata": "p"},
        values=values,
    )
    assert payload["type"] == "view_submission"
    assert payload["view"]["state"] == {"values": values}
    assert payload["view"]["callback_id"] == "log"
    assert payload["view"]["private_metadata"] == "p"
    assert payload["view"]["id"] == "V1"


def test_view_submission_closes_or_updates_the_emulators_modal(
    capture: tuple[str, Captured], emulator: SlackEmulator
) -> None:
    url, captured = capture
    client = SlackClient(app_url=url, signing_secret="s", emulator=emulator)
    modal = {"type": "modal", "callback_id": "log", "blocks": []}
    first = emulator.push_view(modal)
    second = emulator.push_view(modal)

    captured.body = json.dumps(
        {"response_action": "update", "view": {**modal, "blocks": [{"type": "divider"}]}}
    ).encode()
    captured.content_type = "application/json"
    client.view_submission(user_id="U0ALICE", view={"id": second, **modal}, values={})
    assert emulator.open_views[-1]["blocks"] == [{"type": "divider"}]

    captured.body = b""
    client.view_submission(user_id="U0ALICE", view={"id": second, **modal}, values={})
    assert [v["id"] for v in emulator.open_views] == [first]

    client.view_closed(user_id="U0ALICE", view={"id": first, **modal})
    assert emulator.open_views == []
    assert _payload(captured.requests[-1][1])["type"] == "view_closed"


def test_event_envelope_and_retry_headers(capture: tuple[str, Captured]) -> None:
    url, captured = capture
    client = SlackClient(app_url=url, signing_secret="s")
    client.event({"type": "app_mention", "text": "hi"}, event_id="Ev1", retry_num=2)

    headers = captured.headers()
    assert headers["x-slack-retry-num"] == "2"
    assert headers["x-slack-retry-reason"] == "http_timeout"
    assert headers["content-type"] == "application/json"
    envelope = json.loads(captured.requests[0][1])
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == "Ev1"
    assert envelope["event"]["type"] == "app_mention"
    assert envelope["authorizations"][0]["user_id"] == "U0COBOT"

    client.event({"type": "app_mention"})
    assert "x-slack-retry-num" not in captured.headers()
    assert event_envelope({"type": "x"})["event_id"].startswith("Ev")


def test_non_2xx_answers_are_returned_not_raised(capture: tuple[str, Captured]) -> None:
    url, captured = capture
    captured.status = 401
    captured.body = b"invalid request"
    result = SlackClient(app_url=url, signing_secret="s").slash_command(user_id="U1", text="")
    assert isinstance(result, HttpResult)
    assert result.status == 401
    assert result.text == "invalid request"

    captured.status = 200
    captured.body = b'{"a": 1}'
    assert SlackClient(app_url=url, signing_secret="s").url_verification("c").json() == {"a": 1}
