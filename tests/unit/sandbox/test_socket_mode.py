"""slack_sdk's own Socket Mode client talks to the emulator's websocket endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from cobot.sandbox import SlackEmulator
from cobot.sandbox.socket_mode import close_socket_mode_client
from tests.polling import wait_until


class Recorder:
    """Raw messages a Socket Mode client received, and whether it acks."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.requests: list[SocketModeRequest] = []
        self.ack = True

    def on_message(self, message: str) -> None:
        self.raw.append(message)

    def envelope(self, envelope_id: str) -> dict[str, Any]:
        """The raw envelope with this id. slack_sdk runs message listeners apart from the
        request listeners that ack, so it may be recorded just after the ack came back."""
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            found[:] = [e for e in map(json.loads, self.raw) if e.get("envelope_id") == envelope_id]
            return bool(found)

        wait_until(seen, timeout=5, what=f"envelope {envelope_id} recorded")
        [envelope] = found
        return envelope

    def on_request(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if self.ack:
            payload = {"text": f"got {request.type}"} if request.accepts_response_payload else None
            client.send_socket_mode_response(
                SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
            )


@pytest.fixture
def connected(
    emulator: SlackEmulator, client: WebClient
) -> Iterator[tuple[SocketModeClient, Recorder]]:
    """A slack_sdk SocketModeClient connected to the emulator."""
    recorder = Recorder()
    socket_client = SocketModeClient(
        app_token=emulator.app_token,
        web_client=client,
        on_message_listeners=[recorder.on_message],
    )
    socket_client.socket_mode_request_listeners.append(recorder.on_request)
    try:
        socket_client.connect()
        assert emulator.socket_connected(timeout=5)
        yield socket_client, recorder
    finally:
        close_socket_mode_client(socket_client)


def test_hello_comes_first(
    emulator: SlackEmulator, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    emulator.socket_send("events_api", {"event": {"type": "app_mention"}}, timeout=5)
    hello = json.loads(recorder.raw[0])
    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0SANDBOX"}
    assert "debug_info" in hello


def test_socket_send_returns_the_ack(
    emulator: SlackEmulator, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    ack = emulator.socket_send("slash_commands", {"command": "/cobot", "text": "hi"}, timeout=5)
    assert ack["payload"] == {"text": "got slash_commands"}
    [request] = recorder.requests
    assert ack["envelope_id"] == request.envelope_id
    assert request.payload == {"command": "/cobot", "text": "hi"}
    envelope = recorder.envelope(ack["envelope_id"])
    assert envelope["retry_attempt"] == 0
    assert envelope["retry_reason"] == ""
    assert envelope["accepts_response_payload"] is True

    event_ack = emulator.socket_send("events_api", {"event": {"type": "x"}}, timeout=5)
    assert "payload" not in event_ack
    assert recorder.envelope(event_ack["envelope_id"])["accepts_response_payload"] is False


def test_socket_send_times_out_without_an_ack(
    emulator: SlackEmulator, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    recorder.ack = False
    with pytest.raises(TimeoutError):
        emulator.socket_send("events_api", {"event": {"type": "x"}}, timeout=0.2)


def test_socket_send_times_out_without_a_client(emulator: SlackEmulator) -> None:
    assert emulator.socket_connected(timeout=0.05) is False
    with pytest.raises(TimeoutError):
        emulator.socket_send("events_api", {"event": {"type": "x"}}, timeout=0.1)


def test_disconnect_makes_the_client_reconnect(
    emulator: SlackEmulator, connected: tuple[SocketModeClient, Recorder]
) -> None:
    emulator.socket_disconnect()
    assert emulator.socket_server.wait_connects(2, timeout=5)
    ack = emulator.socket_send("slash_commands", {"command": "/cobot"}, timeout=5)
    assert ack["payload"] == {"text": "got slash_commands"}
    assert len(emulator.calls_to("apps.connections.open")) == 2


def test_stopping_leaves_no_threads_behind(client: WebClient) -> None:
    before = set(threading.enumerate())
    with SlackEmulator() as emulator:
        web = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        socket_client = SocketModeClient(app_token=emulator.app_token, web_client=web)
        socket_client.connect()
        assert emulator.socket_connected(timeout=5)
        close_socket_mode_client(socket_client)
        web.auth_test()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
