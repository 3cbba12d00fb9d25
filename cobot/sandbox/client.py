"""Plays Slack toward cobot: signed slash commands, interactivity payloads and events."""

from __future__ import annotations

import json
import secrets
import string
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Required
from typing import TypedDict
from typing import TypeVar
from typing import Unpack
from urllib.parse import urlencode

from cobot.sandbox.signing import sign
from cobot.sandbox.webapi import APP_ID
from cobot.sandbox.webapi import BOT_USER_ID
from cobot.sandbox.webapi import SlackEmulator
from cobot.sandbox.webapi import new_trigger_id

VERIFICATION_TOKEN = "sandbox-verification-token"
DUMMY_RESPONSE_URL = "https://hooks.slack.com/commands/T0SANDBOX/1/sandbox"
# where a slash command is typed unless a channel is named
GENERAL_CHANNEL = "C0GENERAL"

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class HttpResult:
    """What cobot answered to one request."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _block_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _now_ts() -> str:
    return f"{time.time():.6f}"


def _unsigned_headers(content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


def _user_object(user_id: str, user_name: str | None, team_id: str) -> dict[str, Any]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


@dataclass(frozen=True)
class _Actor:
    """Who acted, in which workspace: what every interaction payload says of its sender."""

    user_id: str
    user_name: str | None
    team_id: str
    team_domain: str

    def payload(self, kind: str, **fields: Any) -> dict[str, Any]:
        """A `kind` interaction payload around its own `fields`, toward cobot's app."""
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": _user_object(self.user_id, self.user_name, self.team_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            **fields,
            "is_enterprise_install": False,
            "enterprise": None,
        }


def slash_command_payload(
    *,
    user_id: str,
    text: str,
    command: str = "/cobot",
    channel_id: str = GENERAL_CHANNEL,
    channel_name: str = "general",
    user_name: str | None = None,
    team_id: str = "T0SANDBOX",
    team_domain: str = "sandbox",
    response_url: str = DUMMY_RESPONSE_URL,
    trigger_id: str | None = None,
) -> dict[str, str]:
    """The fields of a slash command, in the order Slack sends them."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def block_actions_payload(
    *,
    user_id: str,
    actions: list[dict[str, Any]],
    view: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    channel_id: str | None = None,
    container: dict[str, Any] | None = None,
    user_name: str | None = None,
    team_id: str = "T0SANDBOX",
    team_domain: str = "sandbox",
    response_url: str | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` interaction payload, from a message or a view."""
    action_ts = _now_ts()
    full_actions = [
        {"type": "button", "block_id": _block_id(), "action_ts": action_ts, **action}
        for action in actions
    ]
    if container is None:
        if view is not None:
            container = {"type": "view", "view_id": view.get("id", "")}
        else:
            container = {
                "type": "message",
                "message_ts": (message or {}).get("ts", _now_ts()),
                "channel_id": channel_id or "",
                "is_ephemeral": False,
            }
    payload = _Actor(user_id, user_name, team_id, team_domain).payload(
        "block_actions",
        container=container,
        trigger_id=trigger_id or new_trigger_id(),
        state={"values": {}},
        actions=full_actions,
    )
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
        payload["state"] = view.get("state", {"values": {}})
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def _full_view(view: dict[str, Any], team_id: str, values: dict[str, Any]) -> dict[str, Any]:
    view_id = view.get("id") or "V" + secrets.token_hex(5).upper()
    defaults: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "B0COBOT",
    }
    return {**defaults, **view, "state": {"values": values}}


def view_submission_payload(
    *,
    user_id: str,
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    user_name: str | None = None,
    team_id: str = "T0SANDBOX",
    team_domain: str = "sandbox",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A ``view_submission`` payload for ``view`` with the given state values."""
    return _Actor(user_id, user_name, team_id, team_domain).payload(
        "view_submission",
        trigger_id=trigger_id or new_trigger_id(),
        view=_full_view(view, team_id, values),
        response_urls=[],
    )


def view_closed_payload(
    *,
    user_id: str,
    view: dict[str, Any],
    user_name: str | None = None,
    team_id: str = "T0SANDBOX",
    team_domain: str = "sandbox",
    is_cleared: bool = False,
) -> dict[str, Any]:
    """A ``view_closed`` payload (sent when a modal with notify_on_close is dismissed)."""
    return _Actor(user_id, user_name, team_id, team_domain).payload(
        "view_closed",
        view=_full_view(view, team_id, {}),
        is_cleared=is_cleared,
    )


def event_envelope(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = "T0SANDBOX",
    enterprise_id: str | None = None,
    org_install: bool = False,
) -> dict[str, Any]:
    """An Events API ``event_callback`` envelope around ``event`` (from a workspace of an
    Enterprise Grid organisation when `enterprise_id`; through its org-wide install when
    `org_install`, whose authorization names the organisation and no workspace)."""
    now = time.time()
    event = {"event_ts": f"{now:.6f}", **event}
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "enterprise_id": enterprise_id,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": None if org_install else team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": org_install,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }


def app_home_opened_event(
    user_id: str, *, channel: str | None = None, view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An ``app_home_opened`` event for the Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel or "D" + user_id[1:],
        "tab": "home",
        "event_ts": _now_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


class SlashCommand(TypedDict, total=False):
    """A slash command as a person types it (the client mints its response_url and
    trigger_id): what `slash_command` and `socket_slash_command` take."""

    user_id: Required[str]
    text: Required[str]
    command: str
    channel_id: str
    channel_name: str
    user_name: str | None


class BlockActions(TypedDict, total=False):
    """A press or a choice on a message or in a view: what `block_actions` and
    `socket_block_actions` take."""

    user_id: Required[str]
    actions: Required[list[dict[str, Any]]]
    view: dict[str, Any] | None
    message: dict[str, Any] | None
    channel_id: str | None
    container: dict[str, Any] | None


class ViewSubmission(TypedDict):
    """A modal submitted with its state values."""

    user_id: str
    view: dict[str, Any]
    values: dict[str, dict[str, dict[str, Any]]]


@dataclass(kw_only=True, eq=False)
class SlackClient:
    """Sends cobot what Slack would send, signed, over HTTP or through Socket Mode.

    Each interaction is built once (`slash_command_fields`, `block_actions_body`, ...) and
    then sent either way: over HTTP the methods answer cobot's `HttpResult` (``sign`` and
    ``timestamp`` forge or replay requests), through Socket Mode (``socket_...``) its ack.
    """

    app_url: str
    signing_secret: str
    emulator: SlackEmulator | None = None
    team_id: str = "T0SANDBOX"
    team_domain: str = "sandbox"
    timeout: float = 10.0
    enterprise_id: str | None = None
    org_install: bool = False
    # called once cobot has answered an interaction (LocalStack: waits until its listeners,
    # which Bolt runs on after the ack, are done with it)
    settle: Callable[[], None] | None = None

    def _settled(self, answer: Answer) -> Answer:
        if self.settle is not None:
            self.settle()
        return answer

    # ------------------------------------------------------------------ transport

    def raw(self, body: bytes, headers: dict[str, str]) -> HttpResult:
        """POST ``body`` with exactly ``headers`` (no signing); for forged requests."""
        request = urllib.request.Request(self.app_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return HttpResult(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return HttpResult(error.code, dict(error.headers.items()), error.read())

    def signed_headers(
        self, body: bytes, *, content_type: str, timestamp: str | None = None
    ) -> dict[str, str]:
        """The headers Slack would send with ``body`` (any bytes, even ones Slack never
        sends): for signed but malformed requests, or to replay one exactly."""
        ts = timestamp or str(int(time.time()))
        return {
            **_unsigned_headers(content_type),
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(self.signing_secret, ts, body),
        }

    def post(
        self,
        body: str,
        *,
        content_type: str,
        sign_request: bool = True,
        timestamp: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> HttpResult:
        """POST a body signed like Slack (unless ``sign_request`` is false)."""
        data = body.encode("utf-8")
        if sign_request:
            headers = self.signed_headers(data, content_type=content_type, timestamp=timestamp)
        else:
            headers = _unsigned_headers(content_type)
        headers.update(extra_headers or {})
        return self.raw(data, headers)

    def _post_form(
        self, fields: dict[str, str], *, sign: bool, timestamp: str | None
    ) -> HttpResult:
        return self.post(
            urlencode(fields),
            content_type="application/x-www-form-urlencoded",
            sign_request=sign,
            timestamp=timestamp,
        )

    def _post_payload(
        self, payload: dict[str, Any], *, sign: bool, timestamp: str | None
    ) -> HttpResult:
        return self._post_form({"payload": json.dumps(payload)}, sign=sign, timestamp=timestamp)

    def _post_json(
        self,
        body: dict[str, Any],
        *,
        sign: bool,
        timestamp: str | None,
        headers: dict[str, str] | None = None,
    ) -> HttpResult:
        return self.post(
            json.dumps(body),
            content_type="application/json",
            sign_request=sign,
            timestamp=timestamp,
            extra_headers=headers,
        )

    def _socket(self) -> SlackEmulator:
        if self.emulator is None:
            raise RuntimeError("Socket Mode needs SlackClient(emulator=...)")
        return self.emulator

    def _trigger_id(self, user_id: str) -> str:
        if self.emulator is not None:
            return self.emulator.issue_trigger_id(user_id)
        return new_trigger_id()

    def _response_url(
        self, user_id: str, channel_id: str | None, message_ts: str | None = None
    ) -> str:
        if self.emulator is not None:
            return self.emulator.new_response_url(
                user_id=user_id, channel_id=channel_id, message_ts=message_ts
            )
        return DUMMY_RESPONSE_URL

    # ------------------------------------------------------------------ payload builders

    def slash_command_fields(self, **command: Unpack[SlashCommand]) -> dict[str, str]:
        """The slash command fields, with a response_url and trigger_id minted for them."""
        user_id = command["user_id"]
        channel_id = command.get("channel_id", GENERAL_CHANNEL)
        return slash_command_payload(
            **command,
            team_id=self.team_id,
            team_domain=self.team_domain,
            response_url=self._response_url(user_id, channel_id),
            trigger_id=self._trigger_id(user_id),
        )

    def block_actions_body(self, **press: Unpack[BlockActions]) -> dict[str, Any]:
        """A block_actions payload with a trigger_id (and response_url for messages)."""
        response_url = None
        if press.get("view") is None:
            message_ts = (press.get("message") or {}).get("ts")
            channel_id = press.get("channel_id")
            response_url = self._response_url(press["user_id"], channel_id, message_ts)
        return block_actions_payload(
            **press,
            team_id=self.team_id,
            team_domain=self.team_domain,
            response_url=response_url,
            trigger_id=self._trigger_id(press["user_id"]),
        )

    def _view_submission_body(self, submission: ViewSubmission) -> dict[str, Any]:
        return view_submission_payload(
            **submission,
            team_id=self.team_id,
            team_domain=self.team_domain,
            trigger_id=self._trigger_id(submission["user_id"]),
        )

    def _view_closed_body(
        self, user_id: str, view: dict[str, Any], is_cleared: bool
    ) -> dict[str, Any]:
        """The view_closed payload; the emulator's modal is closed as it is sent."""
        payload = view_closed_payload(
            user_id=user_id,
            view=view,
            team_id=self.team_id,
            team_domain=self.team_domain,
            is_cleared=is_cleared,
        )
        if self.emulator is not None:
            self.emulator.close_view(payload["view"]["id"])
        return payload

    # ------------------------------------------------------------------ over HTTP

    def slash_command(
        self, *, sign: bool = True, timestamp: str | None = None, **command: Unpack[SlashCommand]
    ) -> HttpResult:
        """Send a slash command, form-encoded like Slack."""
        fields = self.slash_command_fields(**command)
        return self._settled(self._post_form(fields, sign=sign, timestamp=timestamp))

    def block_actions(
        self, *, sign: bool = True, timestamp: str | None = None, **press: Unpack[BlockActions]
    ) -> HttpResult:
        """Send a ``block_actions`` interaction (a button click, a select...)."""
        payload = self.block_actions_body(**press)
        return self._settled(self._post_payload(payload, sign=sign, timestamp=timestamp))

    def view_submission(
        self,
        *,
        sign: bool = True,
        timestamp: str | None = None,
        **submission: Unpack[ViewSubmission],
    ) -> HttpResult:
        """Submit a modal; with an emulator, the modal is closed or updated as Slack would."""
        payload = self._view_submission_body(submission)
        result = self._post_payload(payload, sign=sign, timestamp=timestamp)
        self._apply_view_response(payload["view"]["id"], result)
        return self._settled(result)

    def view_closed(
        self,
        *,
        user_id: str,
        view: dict[str, Any],
        is_cleared: bool = False,
        sign: bool = True,
        timestamp: str | None = None,
    ) -> HttpResult:
        """Tell cobot a modal was dismissed."""
        payload = self._view_closed_body(user_id, view, is_cleared)
        return self._settled(self._post_payload(payload, sign=sign, timestamp=timestamp))

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        sign: bool = True,
        timestamp: str | None = None,
    ) -> HttpResult:
        """Deliver an Events API event; ``retry_num`` makes it a retry, as Slack marks them."""
        envelope = event_envelope(
            event,
            event_id=event_id,
            team_id=self.team_id,
            enterprise_id=self.enterprise_id,
            org_install=self.org_install,
        )
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._settled(
            self._post_json(envelope, sign=sign, timestamp=timestamp, headers=headers)
        )

    def app_home_opened(self, user_id: str, **kwargs: Any) -> HttpResult:
        """Deliver an ``app_home_opened`` event for ``user_id``."""
        view = self.emulator.home_view(user_id) if self.emulator is not None else None
        return self.event(app_home_opened_event(user_id, view=view), **kwargs)

    def url_verification(
        self, challenge: str, *, sign: bool = True, timestamp: str | None = None
    ) -> HttpResult:
        """Send the Events API ``url_verification`` handshake."""
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self._post_json(body, sign=sign, timestamp=timestamp)

    # ------------------------------------------------------------------ over Socket Mode

    def socket_slash_command(
        self, *, timeout: float = 10.0, **command: Unpack[SlashCommand]
    ) -> dict[str, Any]:
        """Send a slash command through Socket Mode; return the client's ack."""
        fields = dict(self.slash_command_fields(**command))
        return self._settled(self._socket().socket_send("slash_commands", fields, timeout=timeout))

    def socket_block_actions(
        self, *, timeout: float = 10.0, **press: Unpack[BlockActions]
    ) -> dict[str, Any]:
        """Send a ``block_actions`` interaction through Socket Mode; return the ack."""
        payload = self.block_actions_body(**press)
        return self._settled(self._socket().socket_send("interactive", payload, timeout=timeout))

    def socket_view_submission(
        self, *, timeout: float = 10.0, **submission: Unpack[ViewSubmission]
    ) -> dict[str, Any]:
        """Submit a modal through Socket Mode; return the ack."""
        payload = self._view_submission_body(submission)
        ack = self._socket().socket_send("interactive", payload, timeout=timeout)
        self._apply_response_action(payload["view"]["id"], ack.get("payload"))
        return self._settled(ack)

    def socket_view_closed(
        self, *, user_id: str, view: dict[str, Any], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Dismiss a modal through Socket Mode; return the ack."""
        socket = self._socket()
        payload = self._view_closed_body(user_id, view, is_cleared=False)
        return self._settled(socket.socket_send("interactive", payload, timeout=timeout))

    def socket_event(
        self, event: dict[str, Any], *, event_id: str | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Deliver an Events API event through Socket Mode; return the ack."""
        envelope = event_envelope(event, event_id=event_id, team_id=self.team_id)
        return self._settled(self._socket().socket_send("events_api", envelope, timeout=timeout))

    # ------------------------------------------------------------------ modal bookkeeping

    def _apply_view_response(self, view_id: str, result: HttpResult) -> None:
        if result.status != 200:
            return
        body: Any = None
        if result.body.strip():
            try:
                body = result.json()
            except ValueError:
                return
        self._apply_response_action(view_id, body)

    def _apply_response_action(self, view_id: str, body: Any) -> None:
        """Mirror Slack's handling of a view_submission ack on the emulator's modals."""
        if self.emulator is None:
            return
        action = body.get("response_action") if isinstance(body, dict) else None
        if action is None or action == "clear":
            for open_view in self.emulator.open_views:
                if action == "clear" or open_view["id"] == view_id:
                    self.emulator.close_view(open_view["id"])
        elif action == "update" and isinstance(body.get("view"), dict):
            self.emulator.replace_view(view_id, body["view"])
        elif action == "push" and isinstance(body.get("view"), dict):
            self.emulator.push_view(body["view"])


__all__ = [
    "BlockActions",
    "HttpResult",
    "SlackClient",
    "SlashCommand",
    "ViewSubmission",
    "app_home_opened_event",
    "block_actions_payload",
    "event_envelope",
    "new_trigger_id",
    "slash_command_payload",
    "view_closed_payload",
    "view_submission_payload",
]
