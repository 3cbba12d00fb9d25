"""cobot over Socket Mode: the emulator's websocket follows Slack's hello/envelope/ack."""

from __future__ import annotations

import json
import time

from cobot.sandbox.stack import LocalStack


def test_help_over_socket_mode(socket_stack: LocalStack) -> None:
    assert socket_stack.client is not None
    ack = socket_stack.client.socket_slash_command(user_id="UCOORD", text="help")
    assert "cobot: what you can ask" in json.dumps(ack["payload"])


def test_home_event_over_socket_mode(socket_stack: LocalStack) -> None:
    assert socket_stack.client is not None
    socket_stack.client.socket_event(
        {"type": "app_home_opened", "user": "UCOORD", "channel": "D0X", "tab": "home"}
    )
    socket_stack.emulator.wait_for("views.publish", count=1)
    assert socket_stack.emulator.home_view("UCOORD") is not None


def test_malformed_envelopes_are_acked_and_change_nothing(socket_stack: LocalStack) -> None:
    """Socket Mode has no signatures (the websocket is authenticated), but an envelope of
    a shape Slack never sends must not crash the client nor reach a listener."""
    emulator = socket_stack.emulator
    assert socket_stack.client is not None
    response_url = emulator.new_response_url(user_id="UCOORD", channel_id="C0GENERAL")
    emulator.clear_calls()
    for payload_type, payload in (
        ("interactive", {"type": "block_actions", "user": "UCOORD", "response_url": response_url}),
        ("interactive", {"type": "block_actions", "user": {"id": "UCOORD"}, "actions": "x"}),
        ("interactive", {"type": "view_submission", "user": {"id": "UCOORD"}, "view": []}),
        ("interactive", {"type": "nonsense", "user": {"id": "UCOORD"}}),
        ("interactive", {}),
        ("slash_commands", {"command": "cobot", "user_id": "UCOORD", "team_id": "T"}),
        ("slash_commands", {"text": "help", "response_url": response_url}),
        ("events_api", {"type": "event_callback", "event": "app_home_opened"}),
        ("events_api", {"type": "event_callback", "event": {"type": 1}, "event_id": "Ev1"}),
    ):
        ack = emulator.socket_send(payload_type, payload, timeout=5)  # type: ignore[arg-type]
        assert "payload" not in ack or not ack["payload"], (payload, ack)
    time.sleep(0.5)
    assert emulator.calls == []
    # the connection is still up and answers what Slack really sends
    ack = socket_stack.client.socket_slash_command(user_id="UCOORD", text="help")
    assert "cobot: what you can ask" in json.dumps(ack["payload"])
