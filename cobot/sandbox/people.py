"""Simulated people: they read their Slack DMs in the emulator, press buttons, fill modals.

Everything they do goes through the real Bolt app as signed requests, like a person in
Slack; modals are filled from what the modal itself offers (initial values, first options)
plus the answers a scenario gives for particular blocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cobot.sandbox.client import HttpResult, SlackClient
from cobot.sandbox.webapi import SlackEmulator

Answers = dict[str, Any]  # block_id -> text, or a full Slack state value dict


@dataclass(frozen=True)
class Button:
    """A button in a message someone received."""

    channel: str
    message: dict[str, Any]
    action_id: str
    value: str
    label: str
    block_id: str

    @property
    def text(self) -> str:
        """The message's notification text (what it is about)."""
        return str(self.message.get("text", ""))


def buttons_in(channel: str, message: dict[str, Any]) -> Iterator[Button]:
    """Every button of a message, in order."""
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button":
                yield Button(
                    channel=channel,
                    message=message,
                    action_id=str(element.get("action_id", "")),
                    value=str(element.get("value", "")),
                    label=str(element.get("text", {}).get("text", "")),
                    block_id=str(block.get("block_id", "")),
                )


def settle(emulator: SlackEmulator, *, quiet: float = 0.08, limit: float = 5.0) -> None:
    """Wait until cobot has stopped calling Slack for a moment (its listeners run async)."""
    deadline = time.monotonic() + limit
    seen = len(emulator.calls)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now_seen = len(emulator.calls)
        if now_seen != seen:
            seen, quiet_since = now_seen, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return


def fill(view: dict[str, Any], answers: Answers) -> dict[str, dict[str, dict[str, Any]]]:
    """State values for every input of a modal: the scenario's answers, else what is offered."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        block_id = str(block.get("block_id"))
        element = block.get("element") or {}
        action_id = str(element.get("action_id", "value"))
        kind = element.get("type")
        given = answers.get(block_id)
        if isinstance(given, dict):
            value = {"type": kind, **given}
        elif kind == "plain_text_input":
            text = given if given is not None else element.get("initial_value")
            if text is None and not block.get("optional"):
                text = "Fine."
            value = {"type": kind, "value": text}
        elif kind in ("static_select", "radio_buttons"):
            options = element.get("options") or [
                o for g in element.get("option_groups") or [] for o in g.get("options", [])
            ]
            chosen = element.get("initial_option")
            if given is not None:
                chosen = next((o for o in options if o.get("value") == str(given)), chosen)
            if chosen is None and options and not block.get("optional"):
                chosen = options[len(options) // 2]
            value = {"type": kind, "selected_option": chosen}
        elif kind == "checkboxes":
            picked = element.get("initial_options") or []
            if given is not None:
                wanted = set(given) if isinstance(given, list | tuple | set) else {given}
                picked = [o for o in element.get("options", []) if o.get("value") in wanted]
            value = {"type": kind, "selected_options": picked}
        elif kind == "multi_users_select":
            value = {"type": kind, "selected_users": given or element.get("initial_users") or []}
        elif kind == "users_select":
            value = {"type": kind, "selected_user": given or element.get("initial_user")}
        elif kind == "conversations_select" or kind == "channels_select":
            value = {
                "type": kind,
                "selected_conversation": given or element.get("initial_conversation"),
            }
        elif kind == "datepicker":
            value = {"type": kind, "selected_date": given or element.get("initial_date")}
        elif kind == "timepicker":
            value = {"type": kind, "selected_time": given or element.get("initial_time")}
        elif kind == "number_input":
            value = {"type": kind, "value": str(given or element.get("initial_value") or "3")}
        else:
            value = {"type": kind, "value": given}
        values[block_id] = {action_id: value}
    return values


@dataclass
class SimPerson:
    """One simulated person in the workspace."""

    user_id: str
    name: str
    role: str
    tz: str
    slack: SlackClient
    emulator: SlackEmulator
    handled: set[tuple[str, str, str]] = field(default_factory=set)
    said: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def new_buttons(self) -> list[Button]:
        """Buttons in my DMs I have not pressed (or decided to ignore) yet."""
        found = []
        channel = self.emulator.im_channel(self.user_id)
        for message in self.emulator.messages(self.user_id):
            for button in buttons_in(channel, message):
                key = (str(message.get("ts")), button.action_id, button.value)
                if key not in self.handled:
                    found.append(button)
        return found

    def ignore(self, button: Button) -> None:
        """Decide not to press a button (it stays unpressed)."""
        self.handled.add((str(button.message.get("ts")), button.action_id, button.value))

    def press(self, button: Button, answers: Answers | None = None) -> dict[str, Any] | None:
        """Press a button; if a modal opens, fill it with `answers` and submit it.

        Returns the modal that was submitted, if any.
        """
        self.ignore(button)
        opened_before = len(self.emulator.calls_to("views.open"))
        result = self.slack.block_actions(
            user_id=self.user_id,
            actions=[
                {
                    "type": "button",
                    "action_id": button.action_id,
                    "block_id": button.block_id,
                    "value": button.value,
                    "text": {"type": "plain_text", "text": button.label},
                }
            ],
            message=button.message,
            channel_id=button.channel,
        )
        self._check(result, f"pressing {button.label!r}")
        if answers is None:
            return None  # no form expected; what the press changes shows up in Slack soon
        return self._maybe_submit(opened_before, answers, f"after {button.label!r}")

    def command(
        self,
        text: str,
        *,
        channel_id: str,
        answers: Answers | None = None,
        channel_name: str = "project",
    ) -> str:
        """Type a /cobot command; returns what cobot answered (and fills a modal if one opens)."""
        opened_before = len(self.emulator.calls_to("views.open"))
        result = self.slack.slash_command(
            user_id=self.user_id, text=text, channel_id=channel_id, channel_name=channel_name
        )
        self._check(result, f"/cobot {text}")
        reply = _ack_text(result)
        self.said.append(f"/cobot {text}\n{reply}".strip())
        if answers is not None:
            self._maybe_submit(opened_before, answers, f"/cobot {text}")
        return reply

    def _maybe_submit(
        self, opened_before: int, answers: Answers, what: str
    ) -> dict[str, Any] | None:
        """Fill and submit the form the last action opened (waiting briefly for it)."""
        deadline = time.monotonic() + 3
        opened = self.emulator.calls_to("views.open")
        while len(opened) <= opened_before and time.monotonic() < deadline:
            time.sleep(0.005)
            opened = self.emulator.calls_to("views.open")
        if len(opened) <= opened_before:
            self.problems.append(f"{self.name}: no form opened {what}")
            return None
        view = dict(opened[-1].response.get("view") or opened[-1].args.get("view") or {})
        result = self.slack.view_submission(
            user_id=self.user_id, view=view, values=fill(view, answers)
        )
        self._check(result, f"submitting the form {what}")
        body = _json(result)
        if body.get("response_action") == "errors":
            self.problems.append(f"{self.name}: form {what} refused: {body['errors']}")
        return view

    def _check(self, result: HttpResult, what: str) -> None:
        if result.status != 200:
            self.problems.append(f"{self.name}: {what} answered HTTP {result.status}")


def _json(result: HttpResult) -> dict[str, Any]:
    try:
        body = result.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _ack_text(result: HttpResult) -> str:
    from cobot.sandbox.transcript import blocks_to_text

    body = _json(result)
    if not body:
        return result.text
    return blocks_to_text(body.get("blocks"), str(body.get("text", "")))


Chooser = Callable[[SimPerson, Button], Answers | None | bool]
