"""A whole local cobot: the emulator, a migrated database, the real app over HTTP or Socket Mode."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures import Future
from typing import Any
from typing import Literal
from typing import Self

from slack_bolt.adapter.socket_mode import SocketModeHandler

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.sandbox.client import SlackClient
from cobot.sandbox.running import Running
from cobot.sandbox.socket_mode import close_socket_mode_client
from cobot.sandbox.webapi import SlackEmulator
from cobot.services.ports import Clock
from cobot.slack.http import HttpServer
from cobot.slack.socket import socket_handler
from cobot.storage import crypto
from cobot.storage.migrate import upgrade

log = logging.getLogger(__name__)


def _free_port() -> int:
    """A port free now, for a stack whose public URL must be known before it listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ListenerWork(Executor):
    """Bolt's listener executor, counting the work under way: Bolt answers Slack as soon as
    a listener acks and runs the rest of it in the background; `wait()` waits for that."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner
        self._busy = 0
        self._changed = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` on the wrapped executor, counted until it returns."""

        def counted() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                self._add(-1)

        self._add(1)
        try:
            return self._inner.submit(counted)
        except BaseException:
            self._add(-1)
            raise

    def _add(self, change: int) -> None:
        with self._changed:
            self._busy += change
            self._changed.notify_all()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the wrapped executor down."""
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)

    def wait(self, timeout: float = 30.0) -> None:
        """Return once no listener is at work (or after `timeout` seconds, saying so)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._busy == 0, timeout):
                log.warning("cobot's listeners were still at work after %.0f s", timeout)


SIGNING_SECRET = "sandbox-signing-secret"
BOT_TOKEN = "xoxb-sandbox"
APP_TOKEN = "xapp-sandbox"


class LocalStack(Running):
    """Everything a real deployment runs, on this machine, with Slack replaced by the emulator.

    Used by the end-to-end tests and by `cobot demo`; only the Slack servers are simulated.
    `stepped` serves a caller that moves a simulated clock itself (the demo) and wants the
    same outcome however busy the machine is: nothing runs behind its back. The scheduler
    starts with its jobs held (the periodic sweep too), so only the caller sweeps
    (`runtime.sweep()`), once it has finished moving the clock; and each interaction the
    stack's clients send returns only once cobot's listeners are done with it, so one
    person's action never overlaps the handling of the last one.
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
        encryption_key: str | None = None,
        oauth: bool = False,
        public_url: str | None = None,
        rate_limit_scale: float = 1.0,
        stepped: bool = False,
    ) -> None:
        self.database_url = database_url
        self.mode = mode
        self.emulator = emulator or SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
        if oauth:
            # cobot holds no token anywhere until a workspace installs it
            self.emulator.uninstall(self.emulator.team_id)
        self._sweep = sweep_seconds
        self._lease = lease_seconds
        self._clock = clock
        self._sweep_interval = sweep_interval
        # install to any workspace: no bot token; workspaces install cobot at /slack/install
        self.oauth = oauth
        self._port = _free_port() if oauth else 0
        self._app_url: str | None = None
        # COBOT_PUBLIC_URL (calendar feed links start with it); unset by default, as in .env
        self._public_url = public_url
        self._rate_limit_scale = rate_limit_scale
        self._stepped = stepped
        self._listeners: ListenerWork | None = None
        self.runtime: Runtime | None = None
        self.server: HttpServer | None = None
        self.client: SlackClient | None = None
        self._socket: SocketModeHandler | None = None
        # a throwaway key: the sandbox's answers are as protected as a real deployment's
        # (a restart passes the first process's key, as a real deployment keeps its keys)
        self._key = encryption_key or crypto.new_key()

    @property
    def encryption_key(self) -> str:
        """The key this stack encrypts with."""
        return self._key

    def env(self) -> dict[str, str]:
        """The settings this stack runs with, as environment variables (for subprocesses)."""
        env = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "COBOT_DATABASE_URL": self.database_url,
            "COBOT_SLACK_API_URL": self.emulator.api_url,
            "COBOT_SWEEP_SECONDS": str(self._sweep),
            "COBOT_DELIVERY_LEASE_SECONDS": str(self._lease),
            "COBOT_ENCRYPTION_KEYS": self._key,
        }
        if self.mode == "socket":
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        if self.oauth:
            env["SLACK_CLIENT_ID"] = self.emulator.client_id
            env["SLACK_CLIENT_SECRET"] = self.emulator.client_secret
            env["COBOT_PUBLIC_URL"] = f"http://127.0.0.1:{self._port}"
        else:
            env["SLACK_BOT_TOKEN"] = BOT_TOKEN
        if self._public_url is not None and not self.oauth:
            env["COBOT_PUBLIC_URL"] = self._public_url
        return env

    def start(self) -> Self:
        """Start the emulator, migrate, start cobot and connect the Slack side to it."""
        self.emulator.start()
        upgrade(self.database_url)
        self.runtime = Runtime.build(
            Settings.from_env(self.env()),
            clock=self._clock,
            sweep_seconds=self._sweep_interval,
            rate_limit_scale=self._rate_limit_scale,
        )
        if self._stepped:
            runner = self.runtime.app.listener_runner
            self._listeners = ListenerWork(runner.listener_executor)
            runner.listener_executor = self._listeners
        # stepped: the scheduler's jobs are held from the start, as a standby's are
        self.runtime.start(schedule=not self._stepped)
        if self.mode == "http":
            self.server = HttpServer(
                self.runtime.wsgi(signing_secret=SIGNING_SECRET),
                host="127.0.0.1",
                port=self._port,
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
        self._app_url = app_url
        self.client = self.workspace_client(self.emulator.team_id)
        return self

    def workspace_client(self, team_id: str, *, domain: str = "sandbox") -> SlackClient:
        """Sends cobot what Slack sends from workspace `team_id`."""
        return SlackClient(
            app_url=self._app_url or self._events_url(),
            signing_secret=SIGNING_SECRET,
            emulator=self.emulator,
            team_id=team_id,
            team_domain=domain,
            settle=self._listeners.wait if self._listeners is not None else None,
        )

    def _events_url(self) -> str:
        if self.server is None:
            return "http://127.0.0.1:9/unused-in-socket-mode"
        return f"http://127.0.0.1:{self.server.port}/slack/events"

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
