"""Reading the parts of Slack's interaction payloads every listener needs."""

from __future__ import annotations

import re
from typing import Any

MAX_ID_DIGITS = 12
# ids are 32-bit integer columns: a larger number fails the query on PostgreSQL
MAX_ID = 2**31 - 1
# Slack escapes mentions in slash commands (should_escape) as <@U123|name> or <@U123>
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def team_id(body: dict[str, Any]) -> str:
    """The workspace a payload came from (interactions nest it; commands do not)."""
    return str((body.get("team") or {}).get("id") or body.get("team_id") or "")


def user_id(body: dict[str, Any]) -> str:
    """Who acted."""
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def action_value(body: dict[str, Any]) -> str:
    """The value of the (first) button or element pressed."""
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    """A submitted modal's values by block id."""
    values = (view.get("state") or {}).get("values") or {}
    return dict(values) if isinstance(values, dict) else {}


def parse_id(raw: Any) -> int | None:
    """An id from a button value or private_metadata; None when it is not one (stale/forged)."""
    text = str(raw or "")
    # isascii(): str.isdigit() also accepts "¹²", which int() then refuses
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def mentioned_user(word: str) -> str | None:
    """The user id of a word that is one mention (`<@U123>` or `<@U123|name>`), else None."""
    found = _MENTION.fullmatch(word)
    return found.group(1) if found else None
