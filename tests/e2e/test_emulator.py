"""A real Bolt app runs against the Slack emulator, over Socket Mode and over signed HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import WSGIServer
from wsgiref.simple_server import make_server

import pytest
from slack_bolt import Ack
from slack_bolt import App
from slack_bolt import Respond
from slack_bolt import Say
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from cobot.sandbox import SlackClient
from cobot.sandbox import SlackEmulator
from cobot.sandbox.socket_mode import close_socket_mode_client

SIGNING_SECRET = "sandbox-signing-secret"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    """A running emulator with Alice in #general."""
    with SlackEmulator() as emu:
        emu.add_user("U0ALICE", name="alice", real_name="Alice Doe")
        emu.add_channel("C0GENERAL", name="general", members=["U0ALICE"])
        yield emu


@pytest.fixture
def app(emulator: SlackEmulator) -> Iterator[App]:
    """A Bolt app whose Web API client talks to the emulator."""
    executor = ThreadPoolExecutor(max_workers=2)
    bolt = App(
        client=WebClient(base_url=emulator.api_url, token=emulator.bot_token, timeout=5),
        signing_secret=SIGNING_SECRET,
        listener_executor=executor,
    )

    @bolt.command("/cobot")
    def cobot_command(ack: Ack, command: dict[str, Any], say: Say, respond: Respond) -> None:
        ack(f"on it, {command['user_name']}: {command['text']}")
        say(f"<@{command['user_id']}> asked for {command['text']}")
        respond("only you can see this")

    @bolt.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={"type": "home", "blocks": [{"type": "divider"}]},
        )

    try:
        yield bolt
    finally:
        executor.shutdown(wait=True)


def _assert_side_effects(emulator: SlackEmulator) -> None:
    emulator.wait_for("chat.postMessage")
    emulator.wait_for("response_url")
    assert [m["text"] for m in emulator.messages("C0GENERAL")] == ["<@U0ALICE> asked for status"]
    assert [m["text"] for m in emulator.ephemerals("U0ALICE")] == ["only you can see this"]


def test_bolt_verifies_its_token_against_the_emulator(app: App, emulator: SlackEmulator) -> None:
    [call] = emulator.calls_to("auth.test")
    assert call.response["ok"] is True


def test_slash_command_over_socket_mode(app: App, emulator: SlackEmulator) -> None:
    handler = SocketModeHandler(app, emulator.app_token, web_client=app.client)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        assert emulator.socket_connected(timeout=5)
        slack = SlackClient(app_url="unused", signing_secret=SIGNING_SECRET, emulator=emulator)

        ack = slack.socket_slash_command(user_id="U0ALICE", user_name="alice", text="status")

        assert ack["payload"] == {"text": "on it, alice: status"}
        _assert_side_effects(emulator)

        slack.socket_event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        emulator.wait_for("views.publish")
        assert emulator.home_view("U0ALICE") is not None
    finally:
        close_socket_mode_client(handler.client)


@pytest.fixture
def app_url(app: App) -> Iterator[str]:
    """The Bolt app served over HTTP by a small WSGI server on an ephemeral port."""
    server: WSGIServer = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_signed_slash_command_over_http(app_url: str, emulator: SlackEmulator) -> None:
    slack = SlackClient(app_url=app_url, signing_secret=SIGNING_SECRET, emulator=emulator)

    result = slack.slash_command(user_id="U0ALICE", user_name="alice", text="status")

    assert result.status == 200
    assert result.text == "on it, alice: status"
    _assert_side_effects(emulator)


def test_forged_or_stale_requests_are_rejected(app_url: str, emulator: SlackEmulator) -> None:
    forged = SlackClient(app_url=app_url, signing_secret="not-the-secret", emulator=emulator)
    assert forged.slash_command(user_id="U0ALICE", text="status").status == 401

    slack = SlackClient(app_url=app_url, signing_secret=SIGNING_SECRET, emulator=emulator)
    assert slack.slash_command(user_id="U0ALICE", text="x", sign=False).status == 401
    assert slack.slash_command(user_id="U0ALICE", text="x", timestamp="1531420618").status == 401
    raw = slack.raw(b"payload=%7B%7D", {"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status == 401
    assert emulator.calls_to("chat.postMessage") == []


def test_events_over_http(app_url: str, emulator: SlackEmulator) -> None:
    slack = SlackClient(app_url=app_url, signing_secret=SIGNING_SECRET, emulator=emulator)

    challenge = slack.url_verification("abc123")
    assert challenge.status == 200
    assert challenge.json() == {"challenge": "abc123"}

    assert slack.app_home_opened("U0ALICE").status == 200
    emulator.wait_for("views.publish")
    assert emulator.home_view("U0ALICE") is not None
