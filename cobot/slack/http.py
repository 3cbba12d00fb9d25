"""HTTP mode: Slack at POST /slack/events, GET /healthz (readiness) and /livez, and the
runtime's own pages (GET /metrics, the calendar feeds), served by waitress."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import KW_ONLY
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from waitress.server import create_server

from cobot.slack import inbound
from cobot.slack.app import SORRY
from cobot.slack.oauth import INSTALL_PATH
from cobot.slack.oauth import REDIRECT_PATH
from cobot.slack.oauth import oauth_page

if TYPE_CHECKING:
    from wsgiref.types import StartResponse
    from wsgiref.types import WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# the same readiness, under the name Kubernetes-style probes expect
READY_PATH = "/readyz"
# liveness: the process answers HTTP (restart it if not); /healthz is readiness
LIVE_PATH = "/livez"
MAX_BODY = 1024 * 1024


class ReplayGuard(Protocol):
    """Remembers signed requests already answered (shared by every process)."""

    def first_signature(self, signature_hash: str) -> bool: ...


@dataclass(frozen=True)
class Page:
    """What a route answers: a status, a body and its headers (Content-Length is added)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Route:
    """GET (and HEAD) requests whose path starts with `prefix` go to `handler`; `name` is
    what metrics call it (never the path itself: a path can hold a secret)."""

    name: str
    prefix: str
    handler: Callable[[WSGIEnvironment], Page]


RequestObserver = Callable[[str, int, float], None]


@dataclass(eq=False)
class CobotWsgi:
    """Routes requests; nothing reaches Bolt until its signature over the raw body matched
    and its shape is one Slack sends; a signature seen before is answered and ignored."""

    app: App
    _: KW_ONLY
    healthy: Callable[[], bool] | Callable[[], dict[str, Any]]
    signing_secret: str
    replays: ReplayGuard
    wall_clock: Callable[[], float] = time.time
    routes: Sequence[Route] = ()
    observe: RequestObserver | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.observe is None:
            return self._route(environ, start_response)
        started = time.perf_counter()
        answered: list[int] = []

        def recording(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            answered.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, *rest)

        try:
            return self._route(environ, recording)
        finally:
            name = self._route_name(environ.get("PATH_INFO", ""))
            self.observe(name, answered[0] if answered else 500, time.perf_counter() - started)

    def _route_name(self, path: str) -> str:
        fixed = {EVENTS_PATH: "events", HEALTH_PATH: "ready", READY_PATH: "ready"}
        if path in fixed:
            return fixed[path]
        if path == LIVE_PATH:
            return "live"
        return next((r.name for r in self.routes if path.startswith(r.prefix)), "other")

    def _route(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in (HEALTH_PATH, READY_PATH) and method in ("GET", "HEAD"):
            # readiness: the database answers and Slack is not failing (breaker closed)
            state = self.healthy()
            body = state if isinstance(state, dict) else {"ok": bool(state)}
            return _plain(start_response, 200 if body.get("ok") else 503, body)
        if path == LIVE_PATH and method in ("GET", "HEAD"):
            return _plain(start_response, 200, {"ok": True})
        if path == EVENTS_PATH and method == "POST":
            return self._slack(environ, start_response)
        flow = self.app.oauth_flow
        if flow is not None and method == "GET" and path in (INSTALL_PATH, REDIRECT_PATH):
            return _bolt(start_response, oauth_page(flow, environ, _headers(environ)))
        if method in ("GET", "HEAD"):
            for route in self.routes:
                if path.startswith(route.prefix):
                    try:
                        page = route.handler(environ)
                    except Exception as error:  # the answer reveals nothing, nor does the log
                        log.error(
                            "could not answer a %s request: %s", route.name, type(error).__name__
                        )
                        return _plain(start_response, 503, {"error": "unavailable"})
                    return _page(start_response, page, head=method == "HEAD")
        return _plain(start_response, 404, {"error": "not found"})

    def _slack(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raw = _read_body(environ)
        if raw is None:
            return _plain(start_response, 413, {"error": "request too large"})
        verified = inbound.verify(
            secret=self.signing_secret,
            timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            signature=environ.get("HTTP_X_SLACK_SIGNATURE"),
            body=raw,
            now=self.wall_clock(),
        )
        if verified is None:
            return _plain(start_response, 401, {"error": "invalid request signature"})
        try:
            body, request = inbound.parse(raw, environ.get("CONTENT_TYPE", ""))
            inbound.check(request)
        except inbound.Malformed as problem:
            log.info("refused a signed but malformed Slack request: %s", problem)
            return _plain(start_response, 400, {"error": str(problem)})
        command = "command" in request and "type" not in request
        try:
            if not self.replays.first_signature(verified.signature_hash):
                # Slack never signs two requests alike: this one was captured and replayed
                log.warning("ignored a replayed Slack request (a %s)", _kind(request))
                return _plain(start_response, 200, None)
            response = self.app.dispatch(
                BoltRequest(
                    body=body,
                    query=environ.get("QUERY_STRING", ""),
                    headers=_headers(environ),
                )
            )
        except Exception as error:
            # whatever broke, the answer reveals nothing, and the log holds no request text
            log.error("could not handle a %s request: %s", _kind(request), type(error).__name__)
            return _sorry(start_response, command)
        if response.status >= 500:
            log.error("Bolt answered %d to a %s request", response.status, _kind(request))
            return _sorry(start_response, command)
        return _bolt(start_response, response)


def _read_body(environ: WSGIEnvironment) -> bytes | None:
    """At most MAX_BODY bytes of the request body; None if it is longer."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return None
    data = stream.read(MAX_BODY + 1) if declared <= 0 else stream.read(declared)
    return None if len(data) > MAX_BODY else bytes(data)


def _headers(environ: WSGIEnvironment) -> dict[str, str | Sequence[str]]:
    headers: dict[str, str | Sequence[str]] = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _kind(request: dict[str, Any]) -> str:
    if "command" in request and "type" not in request:
        return "slash_command"
    return str(request.get("type"))[:40]


def _sorry(start_response: StartResponse, command: bool) -> list[bytes]:
    if command:
        return _plain(start_response, 200, {"response_type": "ephemeral", "text": SORRY})
    return _plain(start_response, 200, None)


def _bolt(start_response: StartResponse, response: BoltResponse) -> list[bytes]:
    data = (response.body or "").encode("utf-8")
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("Content-Length", str(len(data))))
    reason = HTTPStatus(response.status).phrase
    start_response(f"{response.status} {reason}", headers)
    return [data]


def _page(start_response: StartResponse, page: Page, *, head: bool) -> list[bytes]:
    headers = [h for h in page.headers if h[0].lower() != "content-length"]
    headers.append(("Content-Length", str(len(page.body))))
    start_response(f"{page.status} {HTTPStatus(page.status).phrase}", headers)
    return [b"" if head else page.body]


def _plain(start_response: StartResponse, status: int, body: dict[str, Any] | None) -> list[bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
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
            # waitress drops anything past twice the limit unread; up to it, the app answers
            # a clean 413 (Slack's bodies are a few kilobytes)
            max_request_body_size=2 * MAX_BODY,
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
        # the loop may see the flag at its own timeout and close every channel, the trigger
        # included, before this wakes it: then there is nothing left to wake
        with contextlib.suppress(OSError):
            self._server.pull_trigger()
        if self._thread is not None:
            self._thread.join(timeout=10)
