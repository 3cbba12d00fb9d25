"""Walking what cobot sends for the strings Slack parses as mrkdwn (mentions, links)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cobot.services.ports import OutgoingMessage


def shown_texts(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string Slack parses for mentions and links: a message's text, mrkdwn text
    objects (sections, fields, context), file titles and comments. plain_text objects
    and input values are shown as typed, never parsed, so they are not walked."""
    if isinstance(value, OutgoingMessage):
        yield f"{where}.text", value.text
        for i, f in enumerate(value.files):
            yield f"{where}.files[{i}].title", f.title
        yield from shown_texts(value.blocks, f"{where}.blocks")
    elif isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        if value.get("type") == "plain_text":
            return
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield f"{where}.text", value["text"]
        for key, item in value.items():
            if key in (
                "initial_value",
                "initial_users",
                "placeholder",
                "label",
                "hint",
                "title",
                "submit",
            ):
                continue
            if isinstance(item, (dict, list)):
                yield from shown_texts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from shown_texts(item, f"{where}[{i}]")
