"""HTTP mode: Slack at POST /slack/events and GET /healthz, served by waitress."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# liveness: the process answers HTTP (restart it if not); /healthz is readiness
LIVE_PATH = "/livez"
MAX_BODY = 1024 * 1024


class CobotWsgi:
    """Routes requests; refuses unsigned-looking Slack requests before Bolt sees them."""

    def __init__(
        self, app: App, *, healthy: Callable[[], bool] | Callable[[], dict[str, Any]]
    ) -> None:
        self._bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self._healthy = healthy

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            # readiness: the database answers and Slack is not failing (breaker closed)
            state = self._healthy()
            body = state if isinstance(state, dict) else {"ok": bool(state)}
            return _plain(start_response, 200 if body.get("ok") else 503, body)
        if path == LIVE_PATH and method in ("GET", "HEAD"):
            return _plain(start_response, 200, {"ok": True})
        if path == EVENTS_PATH and method == "POST":
            # Bolt turns a non-numeric timestamp into a 500; it is simply unauthorised
            timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
            if not timestamp.isdigit() or not environ.get("HTTP_X_SLACK_SIGNATURE"):
                return _plain(start_response, 401, {"error": "invalid request signature"})
            return self._bolt(environ, start_response)
        return _plain(start_response, 404, {"error": "not found"})


def _plain(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    reasons = {200: "OK", 401: "Unauthorized", 404: "Not Found", 503: "Service Unavailable"}
    data = json.dumps(body).encode()
    start_response(
        f"{status} {reasons[status]}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


class HttpServer:
    """A waitress server in this process; `serve()` blocks, `start()` runs it on a thread."""

    def __init__(self, wsgi: CobotWsgi, *, host: str, port: int, threads: int = 8) -> None:
        self._server: Any = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            ident="cobot",
            max_request_body_size=MAX_BODY,
            clear_untrusted_proxy_headers=True,
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return int(self._server.effective_port)

    def serve(self) -> None:
        """Serve until close(); the loop's own thread closes the sockets (select is not
        safe against descriptors closed under it by another thread)."""
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(
                timeout=server.adj.asyncore_loop_timeout,
                map=server._map,
                use_poll=server.adj.asyncore_use_poll,
                count=1,
            )
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            channel.close()

    def start(self) -> None:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(target=self.serve, name="cobot-http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Ask the serving loop to stop, wake it, and wait for it (when on a thread)."""
        self._stopping.set()
        self._server.pull_trigger()
        if self._thread is not None:
            self._thread.join(timeout=10)
