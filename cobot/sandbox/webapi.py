"""A stateful local fake of the Slack Web API that records every call."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import logging
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from typing import Literal
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from cobot.sandbox import blockkit
from cobot.sandbox.ratelimits import RateLimits
from cobot.sandbox.running import Running
from cobot.sandbox.socket_mode import PayloadType
from cobot.sandbox.socket_mode import SocketModeServer

logger = logging.getLogger(__name__)

BOT_USER_ID = "U0COBOT"
# the app's OAuth credentials (Basic Information > App Credentials)
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "sandbox-client-secret"
# Slack's "Add to Slack" page, beside the Web API as on slack.com (slack.com/oauth/v2/authorize)
AUTHORIZE_PATH = "/oauth/v2/authorize"
BOT_ID = "B0COBOT"
APP_ID = "A0SANDBOX"

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

# Fields that slack_sdk sends JSON-encoded inside form bodies.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata", "users"})

_TZ_LABELS = {
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "JST": "Japan Standard Time",
    "IST": "India Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}


@dataclass(frozen=True)
class ApiCall:
    """One request the emulator answered, with the arguments it received."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any]
    status: int
    # the workspace whose bot token the call came with ("" when none was valid)
    team: str = ""


@dataclass(frozen=True)
class UploadedFile:
    """A file shared through the external upload flow, with its bytes."""

    id: str
    filename: str
    title: str
    channels: tuple[str, ...]
    content: bytes


@dataclass(frozen=True)
class _Fault:
    kind: Literal["fail", "ratelimit", "server_error", "slow"]
    error: str = ""
    retry_after: int = 1
    status: int = 500
    seconds: float = 0.0


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    tz_offset: int | None
    deleted: bool
    is_bot: bool
    # the workspace the person is in ("": the emulator's first workspace)
    team: str = ""


@dataclass
class _Channel:
    id: str
    name: str
    members: list[str]
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    im_user: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    messages: list[dict[str, Any]] = field(default_factory=list)
    # the workspace the channel is in ("": the emulator's first workspace)
    team: str = ""


@dataclass
class _Workspace:
    id: str
    name: str
    domain: str
    enterprise_id: str | None = None


@dataclass
class _Code:
    """An OAuth code Slack's authorize page handed a browser: good once, for ten minutes."""

    team: str
    user: str
    redirect_uri: str | None
    scopes: str
    expires: float
    used: bool = False


@dataclass
class _PendingFile:
    id: str
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class _ResponseUrl:
    user_id: str | None
    channel_id: str | None
    message_ts: str | None


@dataclass
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def new_trigger_id() -> str:
    """A random trigger_id shaped like Slack's."""
    return f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"


class SlackApiFailure(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# a Web API method: what it answers (beside ok: true) to its arguments, or SlackApiFailure
_MethodHandler = Callable[["SlackEmulator", dict[str, Any]], dict[str, Any]]


class SlackEmulator(Running):
    """A local, stateful Slack Web API (plus a Socket Mode endpoint) for tests.

    Point ``slack_sdk.WebClient(base_url=emulator.api_url)`` at it. Seed users and
    channels with ``add_user``/``add_channel``; inspect ``calls`` and the state
    queries afterwards; inject faults with ``fail_next`` and friends.

    Rate limits are on, as in Slack: each method has its tier's budget per token (per
    workspace's app), answered with 429 and Retry-After when spent, and chat.postMessage
    has its per-channel limit. ``method_limits`` sets (or, with 0, lifts) a method's limit
    in requests per minute and ``method_bursts`` how many requests it takes at once (by
    default one minute's worth: an imposed ceiling wants a short one); ``rate_limit_scale``
    multiplies every per-method limit (a simulated clock that squeezes weeks into a minute
    scales them up; 0 turns them off); ``rate_clock`` is the monotonic seconds both kinds
    of limit count in.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sandbox",
        app_token: str = "xapp-sandbox",
        team_id: str = "T0SANDBOX",
        host: str = "127.0.0.1",
        port: int = 0,
        channel_rate_per_second: float = 1.0,
        channel_burst: int = 3,
        method_limits: Mapping[str, float] | None = None,
        method_bursts: Mapping[str, float] | None = None,
        rate_limit_scale: float = 1.0,
        rate_clock: Callable[[], float] = time.monotonic,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        self.bot_token = bot_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = "sandbox"
        self.bot_user_id = BOT_USER_ID
        self.bot_id = BOT_ID
        self.app_id = APP_ID
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._socket = SocketModeServer(host=host, app_id=APP_ID)
        self._calls: list[ApiCall] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._outage_status: int | None = None
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._ims: dict[str, str] = {}
        self._limits = RateLimits(
            METHOD_TIERS,
            method_limits=method_limits or {},
            method_bursts=method_bursts or {},
            scale=rate_limit_scale,
            channel=(channel_rate_per_second, channel_burst),
            clock=rate_clock,
        )
        self._last_ts = 0
        self._views: dict[str, dict[str, Any]] = {}
        self._open_view_ids: list[str] = []
        self._homes: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, str] = {}
        self._pending_files: dict[str, _PendingFile] = {}
        self._files: list[UploadedFile] = []
        # files people uploaded through a modal's file_input: Slack's file objects, by id
        self._uploads: dict[str, dict[str, Any]] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}
        # workspaces, and which bot token belongs to which (a token sees its own only)
        self._workspaces: dict[str, _Workspace] = {
            team_id: _Workspace(team_id, "Sandbox", "sandbox")
        }
        self._tokens: dict[str, str] = {bot_token: team_id}
        self._codes: dict[str, _Code] = {}
        self._installs: list[str] = []
        self._local = threading.local()
        self._add_user_locked(
            _User(BOT_USER_ID, "cobot", "cobot", "Europe/London", None, False, True)
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the HTTP server and the Socket Mode endpoint on ephemeral ports."""
        if self._server is not None:
            return
        self._stopping.clear()
        server = _QuietServer((self._host, self._port), _make_handler(self))
        # Handler threads are joined on stop; slow_next sleeps wake up when stopping.
        server.daemon_threads = False
        server.block_on_close = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-webapi"
        )
        self._thread.daemon = True
        self._thread.start()
        self._socket.start()
        logger.debug("Slack emulator listening on %s", self.base_url)

    def stop(self) -> None:
        """Stop both servers and wait for their threads."""
        self._stopping.set()
        self._socket.stop()
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def port(self) -> int:
        """The HTTP port (only valid once started)."""
        if self._server is None:
            raise RuntimeError("the Slack emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the HTTP server."""
        return f"http://{self._host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``; slack_sdk appends the method name."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ seeding

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int | None = None,
        deleted: bool = False,
        is_bot: bool = False,
        team_id: str | None = None,
    ) -> None:
        """Add (or replace) a member of the first workspace (or of `team_id`'s)."""
        ZoneInfo(tz)  # fail early on an unknown zone
        team = self._known_team(team_id)
        user = _User(user_id, name, real_name or name, tz, tz_offset, deleted, is_bot, team)
        with self._lock:
            self._add_user_locked(user)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        members: list[str],
        is_private: bool = False,
        bot_member: bool = True,
        team_id: str | None = None,
    ) -> None:
        """Add (or replace) a channel of the first workspace (or of `team_id`'s); the bot is a
        member unless ``bot_member`` is false."""
        team = self._known_team(team_id)
        member_ids = list(dict.fromkeys(members))
        if bot_member and BOT_USER_ID not in member_ids:
            member_ids.append(BOT_USER_ID)
        if not bot_member and BOT_USER_ID in member_ids:
            member_ids.remove(BOT_USER_ID)
        with self._lock:
            self._channels[channel_id] = _Channel(
                channel_id, name, member_ids, is_private, team=team
            )

    # ------------------------------------------------------------------ workspaces and OAuth

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str,
        domain: str,
        enterprise_id: str | None = None,
        bot_token: str | None = None,
    ) -> None:
        """Another workspace, with its own people and channels (add_user/add_channel with
        its team_id). cobot gets its token by being installed there (``authorize``), or
        ``bot_token`` makes it installed already."""
        with self._lock:
            self._workspaces[team_id] = _Workspace(team_id, name, domain, enterprise_id)
            if bot_token is not None:
                self._tokens[bot_token] = team_id

    def token_for(self, team_id: str) -> str | None:
        """The bot token cobot holds in `team_id` (None: not installed there)."""
        with self._lock:
            return next((t for t, team in self._tokens.items() if team == team_id), None)

    def authorize(self, query: Mapping[str, str], *, user_id: str) -> str:
        """Slack's "Add to Slack" page: `user_id` (signed in to their workspace) approves the
        install; returns where their browser goes next (the redirect URI with a code and
        the state, or with error=... as Slack does)."""
        redirect = query.get("redirect_uri")
        if query.get("client_id") != self.client_id:
            raise SlackApiFailure("invalid_client_id")
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise SlackApiFailure("user_not_found")
            if redirect is None:
                raise SlackApiFailure("bad_redirect_uri")
            code = (
                f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(32)}"
            )
            self._codes[code] = _Code(
                team=user.team or self.team_id,
                user=user.id,
                redirect_uri=redirect,
                scopes=query.get("scope", ""),
                expires=time.monotonic() + 600,
            )
        sep = "&" if "?" in redirect else "?"
        return f"{redirect}{sep}{urlencode({'code': code, 'state': query.get('state', '')})}"

    def uninstall(self, team_id: str) -> None:
        """A workspace admin removes cobot: its tokens stop working at once (Slack then
        sends cobot ``app_uninstalled``; a test sends it with SlackClient.event)."""
        with self._lock:
            for token in [t for t, team in self._tokens.items() if team == team_id]:
                del self._tokens[token]

    @property
    def installs(self) -> list[str]:
        """Workspaces an oauth.v2.access exchange installed cobot in, oldest first."""
        with self._lock:
            return list(self._installs)

    def _known_team(self, team_id: str | None) -> str:
        if team_id is None or team_id == self.team_id:
            return ""
        if team_id not in self._workspaces:
            raise ValueError(f"no workspace {team_id}: add_workspace() it first")
        return team_id

    def _team(self) -> str:
        """The workspace of the token the current call came with."""
        return str(getattr(self._local, "team", None) or self.team_id)

    def _client_credentials(self, args: dict[str, Any]) -> None:
        if args.get("client_id") != self.client_id:
            raise SlackApiFailure("invalid_client_id")
        if args.get("client_secret") != self.client_secret:
            raise SlackApiFailure("bad_client_secret")

    def issue_trigger_id(self, user_id: str) -> str:
        """Mint a trigger_id, as Slack does for a user's interaction."""
        trigger_id = new_trigger_id()
        with self._lock:
            self._triggers[trigger_id] = user_id
        return trigger_id

    def new_response_url(
        self,
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """Mint a ``response_url`` for an interaction by ``user_id`` in ``channel_id``."""
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._response_urls[key] = _ResponseUrl(user_id, channel_id, message_ts)
        return f"{self.base_url}/response/{key}"

    # ------------------------------------------------------------------ faults

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``ok: false`` and ``error``."""
        self._add_fault(method, _Fault("fail", error=error), times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and Retry-After."""
        self._add_fault(method, _Fault("ratelimit", retry_after=retry_after), times)

    def server_error_next(self, method: str, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP 5xx."""
        self._add_fault(method, _Fault("server_error", status=status), times)

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the answer to the next ``times`` calls of ``method`` by ``seconds``."""
        self._add_fault(method, _Fault("slow", seconds=seconds), times)

    def start_outage(self, status: int = 503) -> None:
        """Slack is down: every Web API call answers HTTP ``status`` until ``end_outage``."""
        with self._lock:
            self._outage_status = status

    def end_outage(self) -> None:
        """Slack answers again."""
        with self._lock:
            self._outage_status = None

    def _add_fault(self, method: str, fault: _Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    # ------------------------------------------------------------------ recording

    @property
    def calls(self) -> list[ApiCall]:
        """Every call answered so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls made to ``method``, oldest first."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def clear_calls(self) -> None:
        """Forget the recorded calls (state is kept)."""
        with self._lock:
            self._calls.clear()

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[ApiCall], bool] | None = None,
    ) -> list[ApiCall]:
        """Wait until ``count`` calls to ``method`` (matching ``where``) were recorded."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [c for c in self.calls_to(method) if where is None or where(c)]
            if len(matching) >= count:
                return matching
            if time.monotonic() >= deadline:
                seen = "\n".join(
                    f"  {c.method} status={c.status} ok={c.response.get('ok')} "
                    f"error={c.response.get('error')}"
                    for c in self.calls
                )
                raise AssertionError(
                    f"expected {count} call(s) to {method}, got {len(matching)} "
                    f"within {timeout}s; calls seen:\n{seen or '  (none)'}"
                )
            time.sleep(0.01)

    def _record(self, method: str, args: dict[str, Any], reply: _Reply) -> None:
        call = ApiCall(
            method=method,
            args=args,
            at=time.time(),
            response=reply.body,
            status=reply.status,
            team=str(getattr(self._local, "team", None) or ""),
        )
        with self._lock:
            self._calls.append(call)

    # ------------------------------------------------------------------ state queries

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages stored in ``channel`` (a user id means that user's IM), oldest first."""
        with self._lock:
            channel_id = self._ims.get(channel, channel)
            stored = self._channels.get(channel_id)
            return [dict(m) for m in stored.messages] if stored else []

    def im_channel(self, user_id: str) -> str:
        """The IM channel id between the bot and ``user_id`` (opened if needed)."""
        with self._lock:
            return self._open_im_locked(user_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab published for ``user_id``, if any."""
        with self._lock:
            view = self._homes.get(user_id)
            return dict(view) if view else None

    @property
    def open_views(self) -> list[dict[str, Any]]:
        """Modals currently open (opened or pushed, not closed), oldest first."""
        with self._lock:
            return [dict(self._views[v]) for v in self._open_view_ids]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """Any view (modal or home) the emulator knows by id."""
        with self._lock:
            found = self._views.get(view_id)
            return dict(found) if found else None

    def close_view(self, view_id: str) -> None:
        """Mark a modal closed, as when the user submits or dismisses it."""
        with self._lock:
            if view_id in self._open_view_ids:
                self._open_view_ids.remove(view_id)

    def replace_view(self, view_id: str, view: dict[str, Any]) -> None:
        """Replace an open modal's content (a ``response_action: update``)."""
        with self._lock:
            if view_id in self._views:
                self._views[view_id] = self._view_object(view, view_id, self._views[view_id])

    def push_view(self, view: dict[str, Any]) -> str:
        """Push a modal onto the stack (a ``response_action: push``); return its id."""
        with self._lock:
            view_id = self._new_view_id()
            self._views[view_id] = self._view_object(view, view_id, None)
            self._open_view_ids.append(view_id)
            return view_id

    @property
    def files(self) -> list[UploadedFile]:
        """Files shared with completeUploadExternal, oldest first."""
        with self._lock:
            return list(self._files)

    def upload(
        self, user_id: str, name: str, mimetype: str, content: bytes = b"%PDF"
    ) -> dict[str, Any]:
        """A person uploads a file in a modal's file_input: Slack stores it in the workspace
        (shared nowhere) and the view_submission carries this file object."""
        file_id = "F" + secrets.token_hex(5).upper()
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        now = int(time.time())
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise ValueError(f"no user {user_id} in the emulator")
            team = self._workspaces[user.team or self.team_id]
            upload = {
                "id": file_id,
                "created": now,
                "timestamp": now,
                "name": name,
                "title": name,
                "mimetype": mimetype,
                "filetype": extension,
                "pretty_type": extension.upper(),
                "user": user.id,
                "user_team": team.id,
                "size": len(content),
                "mode": "hosted",
                "is_external": False,
                "is_public": False,
                "url_private": f"{self.base_url}/files/{file_id}",
                "url_private_download": f"{self.base_url}/files/{file_id}?download=1",
                "permalink": (
                    f"https://{team.domain}.slack.com/files/{user.id}/{file_id}/{quote(name)}"
                ),
                "channels": [],
                "groups": [],
                "ims": [],
            }
            self._uploads[file_id] = upload
        return dict(upload)

    def delete_upload(self, file_id: str) -> None:
        """The person deletes a file they uploaded (files.info then says file_not_found)."""
        with self._lock:
            self._uploads.pop(file_id, None)

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages shown to ``user_id`` (postEphemeral and response_url)."""
        with self._lock:
            return [dict(m) for m in self._ephemerals.get(user_id, [])]

    # ------------------------------------------------------------------ socket mode

    def socket_connected(self, timeout: float = 10.0) -> bool:
        """Wait for a Socket Mode client to connect; return whether one is connected."""
        return self._socket.wait_connected(timeout)

    def socket_send(
        self, payload_type: PayloadType, payload: dict[str, Any], *, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Send an envelope to the Socket Mode client and return its ack."""
        return self._socket.send(payload_type, payload, timeout=timeout)

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message, which makes clients reconnect."""
        self._socket.send_disconnect(reason)

    @property
    def socket_server(self) -> SocketModeServer:
        """The underlying Socket Mode endpoint (connection counts, raw acks)."""
        return self._socket

    # ------------------------------------------------------------------ HTTP entry points

    def _handle_api(self, method: str, args: dict[str, Any], auth_header: str | None) -> _Reply:
        token = args.pop("token", None)
        if auth_header and auth_header.startswith("Bearer "):
            token = auth_header[len("Bearer ") :]
        if auth_header and auth_header.startswith("Basic "):
            # oauth.v2.access: the app's client id and secret as HTTP Basic credentials
            try:
                pair = base64.b64decode(auth_header[len("Basic ") :]).decode()
            except ValueError:
                pair = ":"
            client_id, _, secret = pair.partition(":")
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", secret)
        handler, _tier = _METHODS.get(method, (None, None))
        reply: _Reply
        if handler is None:
            reply = _Reply(200, {"ok": False, "error": "unknown_method"})
        else:
            reply = self._answer(method, args, token, handler)
        self._record(method, args, reply)
        return reply

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, handler: _MethodHandler
    ) -> _Reply:
        with self._lock:
            outage = self._outage_status
        if outage is not None:
            return _Reply(outage, {"ok": False, "error": "service_unavailable"})
        fault = self._take_fault(method)
        if fault is not None:
            early = self._apply_fault(fault)
            if early is not None:
                return early
        auth_error = self._check_token(method, token)
        if auth_error is not None:
            return _Reply(200, {"ok": False, "error": auth_error})
        wait = self._limits.take_method(method, token or "")
        if wait is not None:
            return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)})
        try:
            body = handler(self, args)
        except SlackApiFailure as failure:
            return _Reply(200, {"ok": False, "error": failure.error})
        except _RateLimited:
            return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        except (KeyError, TypeError, ValueError, AttributeError):
            # Malformed arguments the emulator did not anticipate: answer like a Slack 500
            # (recorded, so a test sees it) instead of dropping the connection.
            logger.exception("the Slack emulator failed to answer %s", method)
            return _Reply(500, {"ok": False, "error": "emulator_internal_error"})
        return _Reply(200, {"ok": True, **body})

    def _apply_fault(self, fault: _Fault) -> _Reply | None:
        if fault.kind == "slow":
            self._stopping.wait(fault.seconds)
            return None
        if fault.kind == "fail":
            return _Reply(200, {"ok": False, "error": fault.error})
        if fault.kind == "ratelimit":
            return _Reply(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after)},
            )
        return _Reply(fault.status, {"ok": False, "error": "internal_error"})

    def _check_token(self, method: str, token: str | None) -> str | None:
        self._local.team = None
        if method == "oauth.v2.access":
            return None  # the app's own credentials, checked by the method
        if not token:
            return "not_authed"
        if method == "apps.connections.open":
            if token == self.app_token:
                return None
            return "not_allowed_token_type" if token in self._tokens else "invalid_auth"
        with self._lock:
            team = self._tokens.get(token)
        if team is not None:
            self._local.team = team
            return None
        if token == self.app_token:
            return "not_allowed_token_type"
        return "invalid_auth"

    def _handle_endpoint(
        self, name: str, args: dict[str, Any], answer: Callable[[], _Reply]
    ) -> _Reply:
        """One of Slack's URLs outside the Web API (an upload URL, a response_url): a queued
        fault of `name` first, else `answer` under the lock; recorded as a call to `name`."""
        fault = self._take_fault(name)
        reply = self._apply_fault(fault) if fault else None
        if reply is None:
            with self._lock:
                reply = answer()
        self._record(name, args, reply)
        return reply

    def _handle_upload(self, file_id: str, content: bytes) -> _Reply:
        def answer() -> _Reply:
            pending = self._pending_files.get(file_id)
            if pending is None:
                return _Reply(404, {"ok": False, "error": "file_not_found"})
            pending.content = content
            return _Reply(200, {"ok": True, "text": f"OK - {len(content)}"})

        args: dict[str, Any] = {"file_id": file_id, "length": len(content)}
        return self._handle_endpoint("upload_url", args, answer)

    def _handle_response_url(self, key: str, body: dict[str, Any]) -> _Reply:
        def answer() -> _Reply:
            target = self._response_urls.get(key)
            if target is None:
                return _Reply(404, {"ok": False, "error": "expired_url"})
            if blockkit.problems(_message_content(body).get("blocks")):
                return _Reply(400, {"ok": False, "error": "invalid_blocks"})
            self._apply_response_url(target, body)
            return _Reply(200, {"ok": True})

        return self._handle_endpoint("response_url", dict(body), answer)

    def _apply_response_url(self, target: _ResponseUrl, body: dict[str, Any]) -> None:
        channel = self._channels.get(target.channel_id or "")
        original: dict[str, Any] | None = None
        if channel is not None and target.message_ts is not None:
            original = next((m for m in channel.messages if m["ts"] == target.message_ts), None)
        if _truthy(body.get("delete_original")):
            if channel is not None and original is not None:
                channel.messages.remove(original)
            return
        if _truthy(body.get("replace_original")) and original is not None:
            original.update(_message_content(body))
            return
        if body.get("response_type") == "in_channel" and channel is not None:
            self._store_message(channel, {"text": body.get("text", ""), **_message_content(body)})
            return
        if target.user_id is not None:
            ephemeral = {
                "type": "message",
                "channel": target.channel_id,
                "ts": self._next_ts(),
                "user": BOT_USER_ID,
                **_message_content(body),
            }
            self._ephemerals.setdefault(target.user_id, []).append(ephemeral)

    # ------------------------------------------------------------------ helpers

    def _add_user_locked(self, user: _User) -> None:
        self._users[user.id] = user

    def _next_ts(self) -> str:
        with self._lock:
            now = int(time.time() * 1_000_000)
            self._last_ts = max(now, self._last_ts + 1)
            seconds, micros = divmod(self._last_ts, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def _open_im_locked(self, user_id: str) -> str:
        channel_id = self._ims.get(user_id)
        if channel_id is None:
            channel_id = "D" + user_id[1:]
            self._ims[user_id] = channel_id
            user = self._users.get(user_id)
            self._channels[channel_id] = _Channel(
                channel_id,
                channel_id,
                [user_id, BOT_USER_ID],
                is_private=True,
                is_im=True,
                im_user=user_id,
                team=user.team if user is not None else "",
            )
        return channel_id

    def _user(self, user_id: Any) -> _User:
        if not isinstance(user_id, str) or not user_id:
            raise SlackApiFailure("user_not_found")
        user = self._users.get(user_id)
        if user is None or not self._here(user.team, user.id):
            raise SlackApiFailure("user_not_found")
        return user

    def _here(self, team: str, user_id: str | None = None) -> bool:
        """Whether something of workspace `team` is visible to the current call's token
        (cobot's own bot user is in every workspace)."""
        return user_id == BOT_USER_ID or (team or self.team_id) == self._team()

    def _channel_for_post(self, channel_arg: Any) -> _Channel:
        """Resolve a channel argument like Slack: ids, IM ids, or a user id for its IM."""
        if not isinstance(channel_arg, str) or not channel_arg:
            raise SlackApiFailure("channel_not_found")
        if channel_arg.startswith(("U", "W")):
            user = self._user(channel_arg)
            if user.deleted:
                raise SlackApiFailure("account_inactive")
            channel_arg = self._open_im_locked(user.id)
        channel = self._channels.get(channel_arg) or self._channel_by_name(channel_arg)
        if channel is None or not self._here(channel.team):
            raise SlackApiFailure("channel_not_found")
        if channel.is_im and channel.im_user is not None:
            im_user = self._users.get(channel.im_user)
            if im_user is not None and im_user.deleted:
                raise SlackApiFailure("account_inactive")
        if BOT_USER_ID not in channel.members:
            raise SlackApiFailure("channel_not_found" if channel.is_private else "not_in_channel")
        return channel

    def _channel_by_name(self, name: str) -> _Channel | None:
        wanted = name.removeprefix("#")
        return next(
            (
                c
                for c in self._channels.values()
                if not c.is_im and c.name == wanted and self._here(c.team)
            ),
            None,
        )

    def method_limit(self, method: str) -> float | None:
        """The requests per minute the emulator allows ``method`` per token (None: unlimited)."""
        return self._limits.method_limit(method)

    def _store_message(self, channel: _Channel, content: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self._team(),
            "ts": self._next_ts(),
            **content,
        }
        channel.messages.append(message)
        return message

    def _new_view_id(self) -> str:
        return "V" + secrets.token_hex(5).upper()

    def _view_object(
        self, view: dict[str, Any], view_id: str, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        blocks = view.get("blocks", [])
        obj: dict[str, Any] = {
            "id": view_id,
            "team_id": self._team(),
            "type": view.get("type", "modal"),
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": previous["root_view_id"] if previous else view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self._team(),
            "bot_id": BOT_ID,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                obj[key] = view[key]
        if previous is not None:
            for key in ("user_id", "root_view_id"):
                if key in previous:
                    obj[key] = previous[key]
        return obj

    def _checked_view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackApiFailure("invalid_arguments")
        blocks = view.get("blocks", [])
        if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
            raise SlackApiFailure("invalid_arguments")
        _refuse_elements(blocks, "invalid_arguments")
        return view

    # ------------------------------------------------------------------ methods

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            workspace = self._workspaces[self._team()]
        answer: dict[str, Any] = {
            "url": f"https://{workspace.domain}.slack.com/",
            "team": workspace.name,
            "user": "cobot",
            "team_id": workspace.id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }
        if workspace.enterprise_id is not None:
            answer["enterprise_id"] = workspace.enterprise_id
        return answer

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        """Exchange a code for the workspace's bot token, as strictly as Slack: the app's
        own client id and secret, a code issued for it and never used, the same redirect
        URI the authorize step had (docs.slack.dev/reference/methods/oauth.v2.access)."""
        self._client_credentials(args)
        with self._lock:
            code = self._codes.get(str(args.get("code") or ""))
            if code is None or code.expires < time.monotonic():
                raise SlackApiFailure("invalid_code")
            if code.used:
                raise SlackApiFailure("code_already_used")
            if args.get("redirect_uri") != code.redirect_uri:
                raise SlackApiFailure("bad_redirect_uri")
            code.used = True
            workspace = self._workspaces[code.team]
            token = next((t for t, team in self._tokens.items() if team == code.team), None)
            if token is None:
                token = f"xoxb-{workspace.id}-{secrets.token_hex(12)}"
                self._tokens[token] = code.team
            self._installs.append(code.team)
        enterprise = None
        if workspace.enterprise_id is not None:
            enterprise = {"id": workspace.enterprise_id, "name": f"{workspace.name} org"}
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": code.scopes,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": workspace.id, "name": workspace.name},
            "enterprise": enterprise,
            "authed_user": {"id": code.user},
            "is_enterprise_install": False,
        }

    def _apps_uninstall(self, args: dict[str, Any]) -> dict[str, Any]:
        """cobot removes itself from the token's workspace (its tokens stop working)."""
        self._client_credentials(args)
        self.uninstall(self._team())
        return {}

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel = self._channel_for_post(args.get("channel"))
            content = _message_content(args)
            if (
                not content.get("text")
                and not content.get("blocks")
                and not args.get("attachments")
            ):
                raise SlackApiFailure("no_text")
            blocks = content.get("blocks")
            if blocks is not None and (
                not isinstance(blocks, list) or len(blocks) > MAX_MESSAGE_BLOCKS
            ):
                raise SlackApiFailure("invalid_blocks")
            _refuse_elements(blocks, "invalid_blocks")
            if not self._limits.take_channel(channel.id):
                raise _RateLimited()
            message = self._store_message(channel, content)
        return {"channel": channel.id, "ts": message["ts"], "message": dict(message)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel = self._channel_for_post(args.get("channel"))
            user = self._user(args.get("user"))
            if user.deleted:
                raise SlackApiFailure("account_inactive")
            if user.id not in channel.members:
                raise SlackApiFailure("user_not_in_channel")
            content = _message_content(args)
            if not content.get("text") and not content.get("blocks"):
                raise SlackApiFailure("no_text")
            _refuse_elements(content.get("blocks"), "invalid_blocks")
            ts = self._next_ts()
            ephemeral = {"type": "message", "channel": channel.id, "ts": ts, "user": BOT_USER_ID}
            self._ephemerals.setdefault(user.id, []).append({**ephemeral, **content})
        return {"message_ts": ts}

    def _find_message(self, args: dict[str, Any]) -> tuple[_Channel, dict[str, Any]]:
        channel_id = args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or not self._here(channel.team):
            raise SlackApiFailure("channel_not_found")
        ts = args.get("ts")
        message = next((m for m in channel.messages if m["ts"] == ts), None)
        if message is None:
            raise SlackApiFailure("message_not_found")
        return channel, message

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel, message = self._find_message(args)
            content = _message_content(args)
            blocks = content.get("blocks")
            if blocks is not None and (
                not isinstance(blocks, list) or len(blocks) > MAX_MESSAGE_BLOCKS
            ):
                raise SlackApiFailure("invalid_blocks")
            _refuse_elements(blocks, "invalid_blocks")
            message.update(content)
            message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
            snapshot = dict(message)
        return {
            "channel": channel.id,
            "ts": snapshot["ts"],
            "text": snapshot.get("text", ""),
            "message": snapshot,
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel, message = self._find_message(args)
            channel.messages.remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = args.get("users")
        if isinstance(raw, list):
            user_ids = [str(u) for u in raw]
        elif isinstance(raw, str) and raw:
            user_ids = [u.strip() for u in raw.split(",") if u.strip()]
        else:
            raise SlackApiFailure("users_list_not_supplied")
        with self._lock:
            for user_id in user_ids:
                if self._user(user_id).deleted:
                    raise SlackApiFailure("user_disabled")
            if len(user_ids) == 1:
                channel_id = self._open_im_locked(user_ids[0])
                return {"no_op": True, "already_open": True, "channel": {"id": channel_id}}
            digest = hashlib.sha1(",".join(sorted(user_ids)).encode()).hexdigest()[:9]
            channel_id = "G" + digest.upper()
            if channel_id not in self._channels:
                self._channels[channel_id] = _Channel(
                    channel_id,
                    "mpdm-" + "--".join(self._users[u].name for u in user_ids) + "-1",
                    [*user_ids, BOT_USER_ID],
                    is_private=True,
                    is_mpim=True,
                )
        return {"channel": {"id": channel_id}}

    def _visible_channel(self, args: dict[str, Any]) -> _Channel:
        channel_id = args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if (
            channel is None
            or not self._here(channel.team)
            or (channel.is_private and BOT_USER_ID not in channel.members)
        ):
            raise SlackApiFailure("channel_not_found")
        return channel

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            members = list(self._visible_channel(args).members)
        limit = _int_arg(args.get("limit"), 100)
        if limit <= 0:
            limit = 100
        start = 0
        cursor = args.get("cursor")
        if cursor:
            try:
                decoded = base64.b64decode(str(cursor), validate=True).decode()
                start = int(decoded.removeprefix("offset:"))
            except ValueError as exc:
                raise SlackApiFailure("invalid_cursor") from exc
        page = members[start : start + limit]
        end = start + limit
        next_cursor = (
            base64.b64encode(f"offset:{end}".encode()).decode() if end < len(members) else ""
        )
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel = self._visible_channel(args)
            info: dict[str, Any] = {"id": channel.id, "created": channel.created}
            if channel.is_im:
                info.update({"is_im": True, "user": channel.im_user, "is_user_deleted": False})
            else:
                info.update(
                    {
                        "name": channel.name,
                        "name_normalized": channel.name,
                        "is_channel": not channel.is_private,
                        "is_group": channel.is_private and not channel.is_mpim,
                        "is_im": False,
                        "is_mpim": channel.is_mpim,
                        "is_private": channel.is_private,
                        "is_archived": False,
                        "is_general": channel.name == "general",
                        "is_member": BOT_USER_ID in channel.members,
                        "context_team_id": channel.team or self.team_id,
                    }
                )
                if _truthy(args.get("include_num_members")):
                    info["num_members"] = len(channel.members)
        return {"channel": info}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._user(args.get("user"))
        zone = ZoneInfo(user.tz)
        now = datetime.now(UTC).astimezone(zone)
        offset = now.utcoffset()
        tz_offset = user.tz_offset
        if tz_offset is None:
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        abbreviation = now.tzname() or user.tz
        return {
            "user": {
                "id": user.id,
                "team_id": user.team or self.team_id,
                "name": user.name,
                "deleted": user.deleted,
                "color": "9f69e7",
                "real_name": user.real_name,
                "tz": user.tz,
                "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
                "tz_offset": tz_offset,
                "profile": {
                    "real_name": user.real_name,
                    "real_name_normalized": user.real_name,
                    "display_name": user.name,
                    "display_name_normalized": user.name,
                    "team": user.team or self.team_id,
                },
                "is_admin": False,
                "is_owner": False,
                "is_bot": user.is_bot,
                "is_app_user": False,
                "updated": int(time.time()),
            }
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            raise SlackApiFailure("invalid_arguments")
        view = self._checked_view(args)
        with self._lock:
            view_id = self._new_view_id()
            obj = self._view_object(view, view_id, None)
            user_id = self._triggers.get(str(trigger_id))
            if user_id is not None:
                obj["user_id"] = user_id
            self._views[view_id] = obj
            self._open_view_ids.append(view_id)
        return {"view": dict(obj)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            raise SlackApiFailure("invalid_arguments")
        view = self._checked_view(args)
        with self._lock:
            if not self._open_view_ids:
                raise SlackApiFailure("not_found")
            previous = self._views[self._open_view_ids[-1]]
            view_id = self._new_view_id()
            obj = self._view_object(view, view_id, previous)
            obj["previous_view_id"] = previous["id"]
            self._views[view_id] = obj
            self._open_view_ids.append(view_id)
        return {"view": dict(obj)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._checked_view(args)
        with self._lock:
            view_id = args.get("view_id")
            external_id = args.get("external_id")
            current: dict[str, Any] | None = None
            if view_id:
                current = self._views.get(str(view_id))
            elif external_id:
                current = next(
                    (v for v in self._views.values() if v.get("external_id") == external_id),
                    None,
                )
            else:
                raise SlackApiFailure("invalid_arguments")
            if current is None:
                raise SlackApiFailure("not_found")
            wanted_hash = args.get("hash")
            if wanted_hash and wanted_hash != current["hash"]:
                raise SlackApiFailure("hash_conflict")
            obj = self._view_object(view, current["id"], current)
            obj["previous_view_id"] = current.get("previous_view_id")
            self._views[current["id"]] = obj
            if current.get("type") == "home" and "user_id" in current:
                self._homes[current["user_id"]] = obj
        return {"view": dict(obj)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._checked_view(args)
        if view.get("type") != "home":
            raise SlackApiFailure("invalid_arguments")
        with self._lock:
            user = self._user(args.get("user_id"))
            if user.deleted:
                raise SlackApiFailure("user_not_found")
            previous = self._homes.get(user.id)
            view_id = previous["id"] if previous else self._new_view_id()
            obj = self._view_object(view, view_id, previous)
            obj["user_id"] = user.id
            self._views[view_id] = obj
            self._homes[user.id] = obj
        return {"view": dict(obj)}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = args.get("filename")
        length = _int_arg(args.get("length"), -1)
        if not filename or length < 0:
            raise SlackApiFailure("invalid_arguments")
        file_id = "F" + secrets.token_hex(5).upper()
        with self._lock:
            self._pending_files[file_id] = _PendingFile(file_id, str(filename), length)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackApiFailure("invalid_arguments")
        channel_ids: list[str] = []
        if args.get("channel_id"):
            channel_ids.append(str(args["channel_id"]))
        if args.get("channels"):
            channel_ids.extend(c for c in str(args["channels"]).split(",") if c)
        with self._lock:
            channels = [self._channel_for_post(c) for c in channel_ids]
            pendings: list[tuple[_PendingFile, str]] = []
            for entry in entries:
                if not isinstance(entry, dict):
                    raise SlackApiFailure("invalid_arguments")
                pending = self._pending_files.get(str(entry.get("id")))
                if pending is None or pending.content is None:
                    raise SlackApiFailure("file_not_found")
                pendings.append((pending, str(entry.get("title") or pending.filename)))
            shared: list[dict[str, Any]] = []
            for pending, title in pendings:
                del self._pending_files[pending.id]
                assert pending.content is not None
                self._files.append(
                    UploadedFile(
                        id=pending.id,
                        filename=pending.filename,
                        title=title,
                        channels=tuple(c.id for c in channels),
                        content=pending.content,
                    )
                )
                shared.append(
                    {
                        "id": pending.id,
                        "name": pending.filename,
                        "title": title,
                        "size": len(pending.content),
                        "user": BOT_USER_ID,
                        "channels": [c.id for c in channels],
                        "url_private": f"{self.base_url}/files/{pending.id}",
                    }
                )
            for channel in channels:
                content: dict[str, Any] = {
                    "text": str(args.get("initial_comment") or ""),
                    "files": [dict(f) for f in shared],
                    "upload": True,
                }
                if args.get("thread_ts"):
                    content["thread_ts"] = str(args["thread_ts"])
                self._store_message(channel, content)
        return {"files": shared}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = str(args.get("file") or "")
        with self._lock:
            upload = self._uploads.get(file_id)
        if upload is None:
            raise SlackApiFailure("file_not_found")
        return {"file": dict(upload), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self._socket.url()}

    def _file_bytes(self, file_id: str) -> bytes | None:
        with self._lock:
            found = next((f for f in self._files if f.id == file_id), None)
        return found.content if found else None


# Every Web API method the emulator answers: its handler, and its tier from its page in
# Slack's method reference (see ratelimits.py; None: not limited per method). chat.postMessage
# is in Slack's "special" tier: one message per second per channel (RateLimits.take_channel)
# under a workspace-wide limit Slack does not publish (`method_limits` can impose one).
_METHODS: Mapping[str, tuple[_MethodHandler, int | None]] = {
    "oauth.v2.access": (SlackEmulator._oauth_v2_access, None),
    "apps.uninstall": (SlackEmulator._apps_uninstall, None),
    "auth.test": (SlackEmulator._auth_test, None),
    "chat.postMessage": (SlackEmulator._chat_post_message, None),
    "chat.postEphemeral": (SlackEmulator._chat_post_ephemeral, 4),
    "chat.update": (SlackEmulator._chat_update, 3),
    "chat.delete": (SlackEmulator._chat_delete, 3),
    "conversations.open": (SlackEmulator._conversations_open, 3),
    "conversations.members": (SlackEmulator._conversations_members, 4),
    "conversations.info": (SlackEmulator._conversations_info, 3),
    "users.info": (SlackEmulator._users_info, 4),
    "views.open": (SlackEmulator._views_open, 4),
    "views.push": (SlackEmulator._views_push, 4),
    "views.update": (SlackEmulator._views_update, 4),
    "views.publish": (SlackEmulator._views_publish, 4),
    "files.getUploadURLExternal": (SlackEmulator._files_get_upload_url, 4),
    "files.completeUploadExternal": (SlackEmulator._files_complete_upload, 4),
    "files.info": (SlackEmulator._files_info, 4),
    "apps.connections.open": (SlackEmulator._apps_connections_open, 1),
}
METHOD_TIERS: Mapping[str, int] = {
    method: tier for method, (_handler, tier) in _METHODS.items() if tier is not None
}


def _refuse_elements(blocks: Any, error: str) -> None:
    """Refuse, as Slack does, blocks whose elements break Block Kit's rules (logged, so a
    test that fails here says which rule)."""
    found = blockkit.problems(blocks)
    if found:
        logger.warning("the Slack emulator refused Block Kit: %s", "; ".join(found[:5]))
        raise SlackApiFailure(error)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a killed process) is normal here, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("client %s hung up before its answer was sent", client_address)
            return
        super().handle_error(request, client_address)


class _RateLimited(Exception):
    """Raised inside a handler when Slack's per-channel limit is exceeded."""


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _int_arg(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _message_content(args: dict[str, Any]) -> dict[str, Any]:
    """The parts of a message request that end up in the stored message."""
    content: dict[str, Any] = {}
    for key in ("text", "blocks", "attachments", "thread_ts", "metadata"):
        if args.get(key) not in (None, ""):
            content[key] = args[key]
    if "reply_broadcast" in args:
        content["reply_broadcast"] = _truthy(args["reply_broadcast"])
    return content


def _decode_form_values(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key, value in pairs:
        args[key] = _maybe_json(key, value)
    return args


def _maybe_json(key: str, value: Any) -> Any:
    if key in _JSON_FIELDS and isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    args: dict[str, Any] = {}
    if not message.is_multipart():
        return args
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            args[name] = data
        else:
            args[name] = _maybe_json(name, data.decode("utf-8", errors="replace"))
    return args


def _parse_api_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        parsed = json.loads(body)
        return dict(parsed) if isinstance(parsed, dict) else {}
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(content_type, body)
    return _decode_form_values(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _first_file_part(content_type: str, body: bytes) -> bytes:
    parsed = _parse_multipart(content_type, body)
    for value in parsed.values():
        if isinstance(value, bytes):
            return value
    return body


def _make_handler(emulator: SlackEmulator) -> type[BaseHTTPRequestHandler]:  # noqa: C901
    class Handler(BaseHTTPRequestHandler):
        server_version = "SlackSandbox/1.0"

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def log_message(self, _format: str, *_args: Any) -> None:
            # Only the method and path: query strings and bodies may carry tokens or user data.
            logger.debug("emulator http %s %s", self.command, urlsplit(self.path).path)

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            path = parts.path
            try:
                if path.startswith("/api/"):
                    args = _decode_form_values(parse_qsl(parts.query, keep_blank_values=True))
                    args.update(_parse_api_body(content_type, body))
                    reply = emulator._handle_api(
                        path[len("/api/") :], args, self.headers.get("Authorization")
                    )
                    self._send_json(reply)
                elif path.startswith("/upload/") and self.command == "POST":
                    content = (
                        _first_file_part(content_type, body)
                        if content_type.startswith("multipart/form-data")
                        else body
                    )
                    reply = emulator._handle_upload(path[len("/upload/") :], content)
                    if reply.status == 200:
                        self._send_raw(200, reply.body["text"].encode(), "text/plain")
                    else:
                        self._send_json(reply)
                elif path.startswith("/response/") and self.command == "POST":
                    payload = json.loads(body) if body else {}
                    if not isinstance(payload, dict):
                        payload = {}
                    reply = emulator._handle_response_url(path[len("/response/") :], payload)
                    self._send_json(reply)
                elif path == AUTHORIZE_PATH and self.command == "GET":
                    # the browser of the person signed in (sandbox_user) approving the install
                    query = dict(parse_qsl(parts.query, keep_blank_values=True))
                    try:
                        where = emulator.authorize(query, user_id=query.get("sandbox_user", ""))
                    except SlackApiFailure as failure:
                        self._send_raw(400, failure.error.encode(), "text/plain")
                    else:
                        self.send_response(302)
                        self.send_header("Location", where)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                elif path.startswith("/files/") and self.command == "GET":
                    stored = emulator._file_bytes(path[len("/files/") :])
                    auth = self.headers.get("Authorization") or ""
                    if stored is None or auth.removeprefix("Bearer ") not in emulator._tokens:
                        self._send_raw(404, b"Not Found", "text/plain")
                    else:
                        self._send_raw(200, stored, "application/octet-stream")
                else:
                    self._send_raw(404, b"Not Found", "text/plain")
            except (ValueError, UnicodeDecodeError):
                logger.warning("emulator could not parse a request to %s", path)
                self._send_json(_Reply(400, {"ok": False, "error": "invalid_form_data"}))

        def _send_json(self, reply: _Reply) -> None:
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
