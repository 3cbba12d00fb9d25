"""Block Kit rendered as plain text, so a terminal can show what each person saw in Slack."""

from __future__ import annotations

import re
from typing import Any

_MENTION = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]+))?>")


def mrkdwn_to_text(text: str, names: dict[str, str] | None = None) -> str:
    """Slack's mention and date tokens made readable (`<@U1>` -> `@Cora`, dates -> fallback)."""

    def swap(match: re.Match[str]) -> str:
        sigil, ref, label = match.groups()
        if sigil == "!":
            return label or ref
        return f"{sigil}{label or (names or {}).get(ref, ref)}"

    return _MENTION.sub(swap, text)


def blocks_to_text(
    blocks: list[dict[str, Any]] | None, fallback: str = "", names: dict[str, str] | None = None
) -> str:
    """One line or paragraph per block; buttons shown as [Label]."""
    if not blocks:
        return mrkdwn_to_text(fallback, names)
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines.append(f"== {title} ==")
        elif kind == "section":
            if "text" in block:
                lines.append(mrkdwn_to_text(block["text"]["text"], names))
            for field in block.get("fields", []):
                lines.append(mrkdwn_to_text(field["text"], names))
            if "accessory" in block and block["accessory"].get("type") == "button":
                lines.append(f"[{block['accessory']['text']['text']}]")
        elif kind == "context":
            parts = [mrkdwn_to_text(e.get("text", ""), names) for e in block.get("elements", [])]
            lines.append("  " + " ".join(p for p in parts if p))
        elif kind == "actions":
            labels = [
                f"[{e['text']['text']}]"
                for e in block.get("elements", [])
                if e.get("type") == "button"
            ]
            lines.append(" ".join(labels))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "input":
            lines.append(f"{block.get('label', {}).get('text', '')}: ____")
    return "\n".join(lines)
