"""A whole local cobot: the emulator, a migrated database, the real app over HTTP or Socket Mode."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Literal, Self

from slack_bolt.adapter.socket_mode import SocketModeHandler

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.sandbox.client import SlackClient
from cobot.sandbox.socket_mode import close_socket_mode_client
from cobot.sandbox.webapi import SlackEmulator
from cobot.services.ports import Clock
from cobot.slack.http import CobotWsgi, HttpServer
from cobot.slack.socket import socket_handler
from cobot.storage import crypto
from cobot.storage.migrate import upgrade

log = logging.getLogger(__name__)

SIGNING_SECRET = "sandbox-signing-secret"
BOT_TOKEN = "xoxb-sandbox"
APP_TOKEN = "xapp-sandbox"


class LocalStack:
    """Everything a real deployment runs, on this machine, with Slack replaced by the emulator.

    Used by the end-to-end tests and by `cobot demo`; only the Slack servers are simulated.
    """

    def __init__(
        self,
        *,
        database_url: str,
        mode: Literal["http", "socket"] = "http",
        sweep_seconds: int = 1,
        lease_seconds: int = 60,
        emulator: SlackEmulator | None = None,
        clock: Clock | None = None,
        sweep_interval: float | None = None,
        key: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.mode = mode
        self.emulator = emulator or SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
        self._sweep = sweep_seconds
        self._lease = lease_seconds
        self._clock = clock
        self._sweep_interval = sweep_interval
        self.runtime: Runtime | None = None
        self.server: HttpServer | None = None
        self.client: SlackClient | None = None
        self._socket: SocketModeHandler | None = None
        # a throwaway key: the sandbox's answers are as protected as a real deployment's
        self._key = key or crypto.new_key()

    @property
    def key(self) -> str:
        """The encryption key (a restarted stack on the same database needs the same)."""
        return self._key

    def env(self) -> dict[str, str]:
        """The settings this stack runs with, as environment variables (for subprocesses)."""
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "COBOT_DATABASE_URL": self.database_url,
            "COBOT_SLACK_API_URL": self.emulator.api_url,
            "COBOT_SWEEP_SECONDS": str(self._sweep),
            "COBOT_DELIVERY_LEASE_SECONDS": str(self._lease),
            "COBOT_ENCRYPTION_KEYS": self._key,
        }
        if self.mode == "socket":
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        return env

    def start(self) -> Self:
        """Start the emulator, migrate, start cobot and connect the Slack side to it."""
        self.emulator.start()
        upgrade(self.database_url)
        self.runtime = Runtime.build(
            Settings.from_env(self.env()), clock=self._clock, sweep_seconds=self._sweep_interval
        )
        self.runtime.start()
        if self.mode == "http":
            self.server = HttpServer(
                CobotWsgi(
                    self.runtime.app,
                    healthy=self.runtime.readiness,
                    signing_secret=SIGNING_SECRET,
                    replays=self.runtime.events,
                ),
                host="127.0.0.1",
                port=0,
            )
            self.server.start()
            app_url = f"http://127.0.0.1:{self.server.port}/slack/events"
        else:
            handler = socket_handler(self.runtime.app, app_token=APP_TOKEN)
            handler.connect()  # type: ignore[no-untyped-call]
            self._socket = handler
            if not self.emulator.socket_connected(timeout=10):
                raise RuntimeError("cobot did not connect to the emulator's Socket Mode endpoint")
            app_url = "http://127.0.0.1:9/unused-in-socket-mode"
        self.client = SlackClient(
            app_url=app_url, signing_secret=SIGNING_SECRET, emulator=self.emulator
        )
        return self

    def stop(self) -> None:
        """Stop everything, in reverse order."""
        if self._socket is not None:
            close_socket_mode_client(self._socket.client)
            self._socket = None
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None
        self.emulator.stop()

    @property
    def base_url(self) -> str:
        """Where cobot's HTTP server listens (HTTP mode)."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
