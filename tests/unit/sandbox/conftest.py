"""Fixtures for the Slack emulator's own tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
from slack_sdk import WebClient

from cobot.sandbox import SlackEmulator


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    """A running emulator with a small workspace: three people, two channels."""
    with SlackEmulator() as emu:
        emu.add_user("U0ALICE", name="alice", real_name="Alice Doe", tz="Europe/London")
        emu.add_user("U0BOB", name="bob", real_name="Bob Roe", tz="America/Los_Angeles")
        emu.add_user("U0GONE", name="gone", deleted=True)
        emu.add_channel("C0GENERAL", name="general", members=["U0ALICE", "U0BOB"])
        emu.add_channel("C0QUIET", name="quiet", members=["U0ALICE"], bot_member=False)
        emu.add_channel(
            "G0SECRET", name="secret", members=["U0ALICE"], is_private=True, bot_member=False
        )
        yield emu


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    """A real slack_sdk WebClient pointed at the emulator, with the bot token."""
    return WebClient(base_url=emulator.api_url, token=emulator.bot_token, timeout=5)


@dataclass
class Captured:
    """Requests received by the capture server, and what it answers."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"

    def headers(self, index: int = -1) -> dict[str, str]:
        """The headers of one request, with lower-cased names."""
        return {k.lower(): v for k, v in self.requests[index][0].items()}


@pytest.fixture
def capture() -> Iterator[tuple[str, Captured]]:
    """A local HTTP server standing in for cobot: records requests, answers as told."""
    captured = Captured()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            captured.requests.append((dict(self.headers.items()), body))
            self.send_response(captured.status)
            self.send_header("Content-Type", captured.content_type)
            self.send_header("Content-Length", str(len(captured.body)))
            self.end_headers()
            self.wfile.write(captured.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slack/events", captured
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
