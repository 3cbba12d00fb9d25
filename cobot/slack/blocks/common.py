"""Small Block Kit pieces every feature uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cobot.domain.roles import Role

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
_ROLE_NAMES = {
    Role.COORDINATOR: "coordinator",
    Role.PRACTITIONER: "practitioner (facilitator)",
    Role.PARTICIPANT: "participant",
    Role.PROJECT_TEAM: "project team",
    Role.STEERING: "steering group",
    Role.OVERSIGHT: "oversight group",
}


def escape(text: str) -> str:
    """Anyone's typed text made safe for Slack's mrkdwn and `text` fields: no mention,
    @channel, link or date token can come from it (Slack's three control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_but_mentions(text: str) -> str:
    """A message cobot wrote that starts with its own <@U…> mention (a standing-availability
    warning): the mention kept, the rest (which may quote a title) escaped."""
    if text.startswith("<@U") and ">" in text:
        head, rest = text.split(">", 1)
        if head[2:].isalnum():
            return head + ">" + escape(rest)
    return escape(text)


def slack_date(when: datetime, fallback_zone: str, *, with_time: bool = True) -> str:
    """A date Slack shows in each reader's own time zone; the fallback uses the project's."""
    local = when.astimezone(ZoneInfo(fallback_zone))
    fmt = "{date_short_pretty} at {time}" if with_time else "{date_long_pretty}"
    fallback = local.strftime("%a %d %b %Y %H:%M %Z") if with_time else f"{local:%A %d %B %Y}"
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def notification_text(text: str) -> str:
    """A message's notification text from its mrkdwn headline: each `slack_date` token
    shown as its fallback, a leading emoji code and the bold marks left out."""
    text = re.sub(r"<!date\^\d+\^[^|]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"^:[a-z_]+: ", "", text)
    return text.replace("*", "")


def mention(user_id: str) -> str:
    """A user mention Slack renders as the person's name."""
    return f"<@{user_id}>"


def role_name(role: Role) -> str:
    """A role in the singular ('participant', 'oversight group'); `role_in_sentence` puts
    it in a sentence ('as participants', 'a coordinator', 'in the oversight group')."""
    return _ROLE_NAMES[role]


# roles that are a group people are in, not a thing each person is
_GROUP_ROLES = {Role.PROJECT_TEAM, Role.STEERING, Role.OVERSIGHT}
_ROLE_PLURALS = {Role.PRACTITIONER: "practitioners (facilitators)"}


def role_in_sentence(role: Role, people: int, *, joining: bool = False) -> str:
    """A role in a sentence about `people` people: "as participants", "a coordinator",
    "to the oversight group" (joining) or "in the oversight group"."""
    name = role_name(role)
    if role in _GROUP_ROLES:
        return f"{'to' if joining else 'in'} the {name}"
    if people > 1:
        name = _ROLE_PLURALS.get(role, f"{name}s")
        return f"as {name}" if joining else name
    return f"as {name}" if joining else f"a {name}"


def mentions(user_ids: Iterable[str]) -> str:
    """Several mentions, or 'nobody yet'."""
    return ", ".join(mention(u) for u in user_ids) or "nobody yet"


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def section(text: str, **extra: Any) -> dict[str, Any]:
    """A mrkdwn section, cut to Slack's 3000-character limit."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)},
        **extra,
    }


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    """A plain_text object, cut to `limit` (75 for buttons, 24 for modal titles)."""
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    """A button; value carries ids only."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(label, 75),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(elements: list[dict[str, Any]], *, block_id: str | None = None) -> dict[str, Any]:
    """A row of buttons (or other elements); `block_id` names the row when it is read back."""
    block: dict[str, Any] = {"type": "actions"}
    if block_id is not None:
        block["block_id"] = block_id
    block["elements"] = elements
    return block


def header(text: str) -> dict[str, Any]:
    """A header block (plain text, at most 150 characters)."""
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def context(text: str) -> dict[str, Any]:
    """A small grey line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}
