"""cobot over Socket Mode: the emulator's websocket follows Slack's hello/envelope/ack."""

from __future__ import annotations

import json

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
