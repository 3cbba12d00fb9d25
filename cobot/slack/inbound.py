"""What Slack sends, checked before anything acts on it: the signature, then the shape."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

# Slack's replay window: a request signed longer ago (or that far ahead) is refused
MAX_AGE_SECONDS = 5 * 60
# ASCII digits only: str.isdigit() accepts "¹²", and 400 digits overflow datetime maths
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

INTERACTIVE_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)
EVENT_TYPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})


class Malformed(ValueError):
    """A body that is not any request Slack sends; the message is short and safe to show."""


@dataclass(frozen=True)
class Verified:
    """A request whose signature matched: its raw body and the signature's digest."""

    body: bytes
    signature_hash: str


def verify(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
) -> Verified | None:
    """Slack's v0 signature over the raw body, checked first; None if anything is off.

    The timestamp must be 1 to 12 ASCII digits within five minutes of `now`, the
    signature `v0=` and 64 lowercase hex digits matching HMAC-SHA256 of
    `v0:{timestamp}:{body}` under the signing secret (compared in constant time).
    """
    if timestamp is None or signature is None:
        return None
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return None
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return None
    # not slack_sdk's SignatureVerifier: it decodes the body as UTF-8 first, so a signed
    # body that is not UTF-8 would raise (a 500) instead of being refused as malformed
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return None
    return Verified(body=body, signature_hash=hashlib.sha256(signature.encode()).hexdigest())


def parse(raw: bytes, content_type: str) -> tuple[str, dict[str, Any]]:
    """The body as text and the request as Bolt will read it; Malformed if Slack never
    sends such a body."""
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    return body, _parse_text(body, content_type)


def _parse_text(body: str, content_type: str) -> dict[str, Any]:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == FORM:
        try:
            fields = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise Malformed("the form is not encoded correctly") from None
        form = dict(fields)
        if len(form) != len(fields):
            raise Malformed("a form field appears twice")
        if "payload" in form:
            return _json_object(form["payload"], "payload")
        return form
    if media == JSON:
        return _json_object(body, "body")
    raise Malformed("unsupported content type")


def check(request: Mapping[str, Any]) -> None:
    """Raise Malformed unless `request` has the shape of a slash command, an interaction
    or an Events API callback, with the fields cobot's listeners read of the right types."""
    if request.get("ssl_check") == "1" and "type" not in request:
        return  # Slack's certificate check of a slash command URL: Bolt answers 200
    if "command" in request and "type" not in request:
        _slash_command(request)
        return
    kind = request.get("type")
    if not isinstance(kind, str):
        raise Malformed("missing request type")
    if kind in INTERACTIVE_TYPES:
        _interaction(kind, request)
    elif kind in EVENT_TYPES:
        _event(kind, request)
    else:
        raise Malformed("unknown request type")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed(f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(f"the {what} is not a JSON object")
    return value


def _need(request: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = request.get(key)
    if not isinstance(value, kind):
        raise Malformed(f"missing or malformed {key}")
    return value


def _maybe(request: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> None:
    value = request.get(key)
    if value is not None and not isinstance(value, kind):
        raise Malformed(f"malformed {key}")


def _slash_command(request: Mapping[str, Any]) -> None:
    command = _need(request, "command", str)
    if not command.startswith("/"):
        raise Malformed("malformed command")
    if not _need(request, "user_id", str):
        raise Malformed("missing or malformed user_id")
    _need(request, "team_id", str)
    _maybe(request, "text", str)


def _interaction(kind: str, request: Mapping[str, Any]) -> None:
    user = _need(request, "user", dict)
    if not isinstance(user.get("id"), str) or not user["id"]:
        raise Malformed("missing or malformed user")
    team = request.get("team")
    if team is not None and not (isinstance(team, dict) and isinstance(team.get("id"), str)):
        raise Malformed("malformed team")
    for key in ("container", "message", "channel", "enterprise"):
        _maybe(request, key, dict)
    _maybe(request, "response_url", str)
    _maybe(request, "trigger_id", str)
    _state(request.get("state"))
    view = request.get("view")
    if kind in ("view_submission", "view_closed") or view is not None:
        if not isinstance(view, dict):
            raise Malformed("missing or malformed view")
        _need(view, "id", str)
        _maybe(view, "callback_id", str)
        _maybe(view, "private_metadata", str)
        _state(view.get("state"))
    if kind == "block_actions":
        actions = _need(request, "actions", list)
        if not actions or not all(
            isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
        ):
            raise Malformed("missing or malformed actions")
    elif kind == "block_suggestion":
        _need(request, "action_id", str)
    elif kind in ("shortcut", "message_action"):
        _need(request, "callback_id", str)


def _state(state: Any) -> None:
    if state is None:
        return
    if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
        raise Malformed("malformed state")
    for block in state.get("values", {}).values():
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            raise Malformed("malformed state")


def _event(kind: str, request: Mapping[str, Any]) -> None:
    if kind == "url_verification":
        _need(request, "challenge", str)
    elif kind == "event_callback":
        event = _need(request, "event", dict)
        _need(event, "type", str)
        _need(request, "event_id", str)
        _maybe(request, "team_id", str)
