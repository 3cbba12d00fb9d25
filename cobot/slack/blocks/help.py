"""Block Kit for /cobot help and for unknown commands."""

from __future__ import annotations

from typing import Any

from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import header
from cobot.slack.blocks.common import section
from cobot.slack.commands import Subcommand


def help_blocks(subcommands: list[Subcommand]) -> list[dict[str, Any]]:
    """An overview of every /cobot command, grouped, each group one section."""
    blocks: list[dict[str, Any]] = [
        header("cobot: what you can ask"),
        section(
            "cobot keeps a co-production project on time and looks after the people "
            "in it: sessions, the work between them, debriefs, check-ins and endings. "
            "Type any of these after `/cobot`:"
        ),
    ]
    groups: dict[str, list[Subcommand]] = {}
    for sub in subcommands:
        groups.setdefault(sub.group, []).append(sub)
    for group, subs in groups.items():
        lines = [f"*{group}*"] + [f"`/cobot {escape(s.usage)}` {escape(s.summary)}" for s in subs]
        blocks.append(section("\n".join(lines)))
    return blocks


def help_text(subcommands: list[Subcommand]) -> str:
    """The plain-text fallback of the overview."""
    return "cobot commands: " + ", ".join(f"/cobot {s.name}" for s in subcommands)


def unknown_command_text(typed: str, suggestion: str | None) -> str:
    """What an unknown subcommand gets back: never a trace, always a way on."""
    shown = escape(typed if len(typed) <= 60 else typed[:57] + "...")
    if suggestion:
        return (
            f"I don't know `/cobot {shown}`. Did you mean `/cobot {escape(suggestion)}`? "
            "Type `/cobot help` to see everything I can do."
        )
    return f"I don't know `/cobot {shown}`. Type `/cobot help` to see everything I can do."
