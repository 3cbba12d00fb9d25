"""The Slack Web API client: a rate limiter shared by every thread, and the Messenger.

Every call cobot makes to Slack (deliveries, Home publishes, listeners' own calls) waits at
one `RateGate` per process: a token bucket per method and workspace sized from Slack's
published tiers, a 1-per-second bucket per channel for chat.postMessage, and a hold per
method and workspace fed by every 429's Retry-After, so one thread's 429 holds back every
thread calling that method.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from typing import Protocol
from urllib.error import URLError

from slack_bolt import App
from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.errors import SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from cobot.domain.deliveries import is_permanent
from cobot.ratelimit import TIER_1_BURST
from cobot.ratelimit import TIER_PER_MINUTE
from cobot.ratelimit import TokenBucket
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SlackSendError

log = logging.getLogger(__name__)

# Slack's published Web API tiers, in calls per minute (cobot/ratelimit.py)
TIER_1, TIER_2, TIER_3, TIER_4 = (TIER_PER_MINUTE[tier] for tier in (1, 2, 3, 4))
METHOD_TIERS: dict[str, float] = {
    "apps.connections.open": TIER_1,
    "auth.test": TIER_4,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "conversations.history": TIER_3,
    "conversations.info": TIER_3,
    "conversations.members": TIER_4,
    "conversations.open": TIER_3,
    "files.completeUploadExternal": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "users.info": TIER_4,
    "views.open": TIER_4,
    "views.publish": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
}
# chat.postMessage is "special": about one message per second per channel (short bursts
# allowed) under a workspace-wide limit Slack does not publish; that one is learnt from
# Retry-After alone.
POST_MESSAGE = "chat.postMessage"
CHANNEL_RATE = 1.0
CHANNEL_BURST = 3.0
# a method not listed: Tier 2, what Slack says "most methods" allow at least
DEFAULT_TIER = TIER_2
# a tier's bucket holds a minute of calls, except Tier 1's (TIER_1_BURST): the gate paces
# sustained rates, Retry-After the rest
BURST_SECONDS = 60.0
# after a 429, pace the method at this share of the rate that drew it, for a minute
LEARNT_SHARE = 0.95
LEARNT_FOR = 60.0
MIN_LEARNT_RATE = 0.2
GRANTS_KEPT = 1000
# a client waits at most this long at the gate before giving up on a call
MAX_WAIT = 120.0
CLIENT_TIMEOUT = 30


class SlackObserver(Protocol):
    """Told of Slack's errors and 429s (cobot/metrics.py counts them); never given a body."""

    def api_error(self, method: str, error: str) -> None: ...

    def rate_limited_by(self, method: str, seconds: float) -> None: ...

    def waited(self, method: str, seconds: float) -> None: ...


class RateGate:
    """Shared by every thread and client of a process: waits before a call until its
    method's (and, for chat.postMessage, its channel's) budget allows it and no 429 hold is
    in force for that method in that workspace.

    ``scale`` multiplies every pace the gate keeps (as the emulator's ``rate_limit_scale``
    does its limits): a simulated clock that squeezes weeks into a minute counts Slack's
    per-second limits in wall-clock seconds, and would throttle what is, in its time, a
    trickle. A 429's Retry-After is waited out as said, scaled or not.
    """

    def __init__(
        self,
        *,
        tiers: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        scale: float = 1.0,
    ) -> None:
        if scale <= 0:
            raise ValueError("the rate gate's scale must be positive")
        self._scale = scale
        self._tiers = {
            method: rate * scale
            for method, rate in (METHOD_TIERS if tiers is None else tiers).items()
        }
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._channels: dict[tuple[str, str], TokenBucket] = {}
        self._holds: dict[tuple[str, str], float] = {}
        # calls let through in the last second, per method and workspace
        self._grants: dict[tuple[str, str], deque[float]] = {}
        # a pace learnt from a 429 (for limits Slack does not publish), and when it lapses
        self._learned: dict[tuple[str, str], tuple[TokenBucket, float]] = {}
        # told of every 429, error and wait (the runtime's metrics), if any
        self.observer: SlackObserver | None = None

    def hold(self, method: str, team: str, seconds: float) -> None:
        """Slack said to wait `seconds` before calling `method` again in `team`.

        Every caller waits that long; afterwards the method is paced a little below the
        rate that drew the 429 (a limit Slack does not publish, such as chat.postMessage's
        workspace-wide one), so the next seconds do not burst into another 429. The learnt
        pace lapses after a minute without 429s, to find out if the limit has risen.
        """
        with self._lock:
            now = self._clock()
            until = now + max(seconds, 0.0)
            key = (team, method)
            self._holds[key] = max(self._holds.get(key, 0.0), until)
            recent = self._grants.get(key, deque())
            observed = sum(1 for t in recent if t >= now - 1.0)
            rate = max(LEARNT_SHARE * observed, MIN_LEARNT_RATE * self._scale)
            bucket = TokenBucket.full(rate, 1.0, until)
            self._learned[key] = (bucket, until + LEARNT_FOR)
        log.info("Slack rate-limited %s: every caller waits %.1f s", method, seconds)
        if self.observer is not None:
            self.observer.rate_limited_by(method, seconds)

    def held_for(self, method: str, team: str) -> float:
        """Seconds left on a 429 hold for `method` in `team` (0 when none)."""
        with self._lock:
            return max(self._holds.get((team, method), 0.0) - self._clock(), 0.0)

    def wait(self, method: str, team: str, channel: str | None = None) -> None:
        """Block until a call to `method` may go out now (and take its budget)."""
        waited = 0.0
        while True:
            delay = self._try_take(method, team, channel)
            if delay <= 0:
                return
            if waited + delay > MAX_WAIT:
                raise SlackRequestError(f"rate limit wait for {method} exceeded {MAX_WAIT} s")
            held = self.observer is not None and self.held_for(method, team) > 0
            self._sleep(delay)
            waited += delay
            if held and self.observer is not None:
                self.observer.waited(method, delay)

    def _try_take(self, method: str, team: str, channel: str | None) -> float:
        with self._lock:
            now = self._clock()
            held = self._holds.get((team, method), 0.0) - now
            if held > 0:
                return held
            rate = (
                self._tiers.get(method, DEFAULT_TIER * self._scale)
                if method != POST_MESSAGE
                else None
            )
            bucket = None
            if rate is not None:
                bucket = self._bucket(self._buckets, (team, method), rate / 60.0, now)
            lane = None
            if method == POST_MESSAGE and channel:
                lane = self._bucket(
                    self._channels, (team, channel), CHANNEL_RATE * self._scale, now
                )
            learnt = self._learned.get((team, method))
            paced = None
            if learnt is not None:
                if now > learnt[1]:
                    del self._learned[(team, method)]
                else:
                    paced = learnt[0]
                    paced.refill(max(now, paced.updated))
            drawn = [b for b in (bucket, lane, paced) if b is not None]
            # (a hair's tolerance: a refill that lands on 0.9999999 is a whole token)
            short = max((b.short(tolerance=1e-9) for b in drawn), default=0.0)
            if short:
                return max(short, 1e-3)
            for b in drawn:
                b.spend()
            recent = self._grants.setdefault((team, method), deque(maxlen=GRANTS_KEPT))
            recent.append(now)
            return 0.0

    def _bucket(
        self,
        store: dict[tuple[str, str], TokenBucket],
        key: tuple[str, str],
        rate: float,
        now: float,
    ) -> TokenBucket:
        bucket = store.get(key)
        if bucket is None:
            if len(store) > 10_000:  # forget idle lanes (full buckets carry no state)
                for stale in [k for k, b in store.items() if now - b.updated > 60]:
                    del store[stale]
            if store is self._channels:
                capacity = CHANNEL_BURST
            elif rate * 60.0 <= TIER_1 * self._scale:
                capacity = TIER_1_BURST
            else:
                capacity = max(rate * BURST_SECONDS, 1.0)
            bucket = store[key] = TokenBucket.full(rate, capacity, now)
        bucket.refill(now)
        return bucket


def team_key(token: str | None) -> str:
    """The workspace a call counts against: one bot token per workspace (never logged)."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:16]


def _method_of(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def _token_of(request: HttpRequest) -> str | None:
    for name, values in request.headers.items():
        if name.lower() == "authorization" and values:
            value = str(values[0])
            return value.removeprefix("Bearer ")
    return None


class SharedRateLimitHandler(RetryHandler):
    """On a 429: tell the gate (so every thread holds back), then wait at the gate and
    retry. Replaces slack_sdk's per-thread RateLimitErrorRetryHandler."""

    def __init__(
        self, gate: RateGate, *, max_retry_count: int = 5, workspace: str | None = None
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._gate = gate
        # the workspace this client's calls count against (None: the token's)
        self._workspace = workspace

    def _can_retry(self, *, response: HttpResponse | None = None, **_: object) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error if error is not None else RuntimeError("429 without a response")
        seconds = 1.0
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                try:
                    seconds = float(values[0] if isinstance(values, list) else values)
                except ValueError:
                    seconds = 1.0
        method = _method_of(request.url)
        team = self._workspace or team_key(_token_of(request))
        # a little jitter, so the threads held back do not all return in the same instant
        self._gate.hold(method, team, seconds + random.uniform(0, 0.2))
        self._gate.wait(method, team)
        state.next_attempt_requested = True
        state.increment_current_attempt()


# posting twice posts two messages: these are retried only when the request never left
NOT_IDEMPOTENT = frozenset({POST_MESSAGE, "chat.postEphemeral", "files.completeUploadExternal"})


class SafeConnectionRetryHandler(ConnectionErrorRetryHandler):
    """Retries a dropped connection, except where Slack may already have acted.

    urllib raises URLError while connecting or sending (the request was not taken), but a
    reset or a closed connection while waiting for the answer leaves the outcome unknown:
    for a post, retrying then could post twice, so the ledger decides instead.
    """

    def _can_retry(
        self, *, request: HttpRequest, error: Exception | None = None, **rest: Any
    ) -> bool:
        if _method_of(request.url) in NOT_IDEMPOTENT and not isinstance(error, URLError):
            return False
        return bool(super()._can_retry(request=request, error=error, **rest))


def retry_handlers(gate: RateGate, *, workspace: str | None = None) -> list[RetryHandler]:
    """The retry handlers every cobot client uses (Bolt copies them into its own clients)."""
    return [
        SafeConnectionRetryHandler(max_retry_count=2),
        SharedRateLimitHandler(gate, workspace=workspace),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


class GatedWebClient(WebClient):
    """A WebClient whose every call first waits at the shared RateGate."""

    def __init__(
        self, *args: Any, gate: RateGate, workspace: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate
        # the workspace calls count against: Slack's limits are per workspace per app, and
        # an org-wide install's one token serves many workspaces (None: the token's)
        self.workspace = workspace

    def api_call(self, api_method: str, *, http_verb: str = "POST", **kwargs: Any) -> SlackResponse:
        channel = None
        if api_method == POST_MESSAGE:
            for part in ("json", "data", "params"):
                values = kwargs.get(part) or {}
                if isinstance(values, dict) and values.get("channel"):
                    channel = str(values["channel"])
                    break
        self.gate.wait(api_method, self.workspace or team_key(self.token), channel)
        observer = self.gate.observer
        try:
            return super().api_call(api_method, http_verb=http_verb, **kwargs)
        except SlackApiError as exc:
            if observer is not None:
                status = exc.response.status_code
                observer.api_error(api_method, str(exc.response.get("error") or f"http_{status}"))
            raise
        except (SlackRequestError, OSError) as exc:
            if observer is not None:
                observer.api_error(api_method, type(exc).__name__)
            raise


def make_web_client(
    *,
    token: str | None,
    base_url: str,
    timeout: int = CLIENT_TIMEOUT,
    gate: RateGate | None = None,
    workspace: str | None = None,
) -> GatedWebClient:
    """A client that waits at `gate` (a new one when None), waits out every 429 for all
    threads, and retries 5xx and dropped connections.

    The timeout is long (30 s) on purpose: an answer slower than the timeout leaves the
    outcome unknown, and a message Slack did post would then be posted again.
    """
    gate = gate or RateGate()
    return GatedWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=retry_handlers(gate, workspace=workspace),
        gate=gate,
        workspace=workspace,
    )


# what the gated client keeps of the plain one Bolt made for the request
_KEPT_SETTINGS = ("token", "base_url", "timeout", "ssl", "proxy", "headers", "logger")


def gate_bolt_clients(app: App, client: GatedWebClient) -> None:
    """Make the client Bolt builds for each request wait at `client`'s gate too.

    Bolt creates a fresh plain WebClient per request (it copies our retry handlers, so
    429s already reach the gate); this middleware swaps it for a gated one, so listeners'
    own calls also wait before they go out.
    """

    def use_gated_client(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        plain = context.client
        context["client"] = GatedWebClient(
            **{setting: getattr(plain, setting) for setting in _KEPT_SETTINGS},
            team_id=context.team_id,
            retry_handlers=list(client.retry_handlers),
            gate=client.gate,
        )
        next()

    app.middleware(use_gated_client)


class SlackMessenger:
    """Posts through chat.postMessage; a user id target posts into cobot's DM with them; a
    message that replaces an earlier one goes through chat.update."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        if message.files:
            return self._upload(target, message)
        try:
            if message.replaces is not None:
                channel, ts = message.replaces
                response = self._client.chat_update(
                    channel=channel, ts=ts, text=message.text, blocks=message.blocks or None
                )
            else:
                response = self._client.chat_postMessage(
                    channel=target,
                    text=message.text,
                    blocks=message.blocks or None,
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except SlackApiError as exc:
            raise _api_error(exc) from None
        except (SlackRequestError, URLError, TimeoutError, OSError) as exc:
            raise SlackSendError(type(exc).__name__, permanent=False) from None
        return PostedMessage(channel=str(response["channel"]), ts=str(response["ts"]))

    def _upload(self, target: str, message: OutgoingMessage) -> PostedMessage:
        """Share files through files.getUploadURLExternal/completeUploadExternal."""
        try:
            channel = target
            if target.startswith(("U", "W")):
                channel = str(self._client.conversations_open(users=target)["channel"]["id"])
            response = self._client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": f.content, "filename": f.filename, "title": f.title}
                    for f in message.files
                ],
                initial_comment=message.text,
            )
        except SlackApiError as exc:
            raise _api_error(exc) from None
        except (SlackRequestError, URLError, TimeoutError, OSError) as exc:
            raise SlackSendError(type(exc).__name__, permanent=False) from None
        files = response.get("files") or [{}]
        return PostedMessage(channel=channel, ts=str(files[0].get("id") or ""))


def _api_error(exc: SlackApiError) -> SlackSendError:
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"http_{status}")
    # a 5xx or 429 is Slack having trouble, whatever its body says
    permanent = is_permanent(error) and status < 500 and status != 429
    return SlackSendError(error, permanent=permanent)
