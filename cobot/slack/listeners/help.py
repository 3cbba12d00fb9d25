"""The /cobot entry point: parse, route to a subcommand, and `/cobot help`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_bolt import App

from cobot.services.access import AccessError
from cobot.slack.blocks.help import help_blocks
from cobot.slack.blocks.help import help_text
from cobot.slack.blocks.help import unknown_command_text
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import ParseError
from cobot.slack.commands import Reply
from cobot.slack.commands import Subcommand
from cobot.slack.commands import split_args

log = logging.getLogger(__name__)


def register(app: App, router: CommandRouter) -> None:
    """Route every /cobot invocation through `router`; add `help` to it."""
    router.add(
        Subcommand(
            name="help",
            usage="help",
            summary="show this overview",
            handler=lambda _req, _ctx: Reply(
                text=help_text(router.listing()), blocks=help_blocks(router.listing())
            ),
        )
    )

    def on_command(ack: Ack, command: dict[str, Any], client: Any, respond: Any) -> None:
        text = str(command.get("text") or "").strip()
        try:
            words = split_args(text)
        except ParseError as exc:
            ack(text=f"I couldn't read that: {exc}. Put titles in straight double quotes.")
            return
        if not words:
            words = ["help"]
        found = router.match(words)
        if found is None:
            ack(text=unknown_command_text(text, router.suggest(words)))
            return
        sub, rest = found
        request = CommandRequest(
            team_id=str(command.get("team_id", "")),
            user_id=str(command.get("user_id", "")),
            channel_id=str(command.get("channel_id", "")),
            name=sub.name,
            args=rest,
            raw_args=text,
            trigger_id=command.get("trigger_id"),
        )
        tools = CommandTools(ack=ack, client=client, trigger_id=request.trigger_id)
        try:
            reply = sub.handler(request, tools)
        except AccessError as exc:
            # every refusal a service words for the person is answered here, once
            reply = Reply(text=exc.message)
        if reply is None:
            return
        if tools.acked:
            respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral")
        else:
            ack(text=reply.text, blocks=reply.blocks or None)

    app.command("/cobot")(on_command)
