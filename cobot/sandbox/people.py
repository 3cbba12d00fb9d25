"""Simulated people: they read their Slack DMs in the emulator, press buttons, fill modals.

Everything they do goes through the real Bolt app as signed requests, like a person in
Slack. `Driver` is the one way to act as someone (run a command, press a button, submit a
modal, read a DM): the demo's `SimPerson` uses it, and so do the end-to-end tests. Modals a
`SimPerson` meets are filled from what the modal itself offers (initial values, first options)
plus the answers a scenario gives for particular blocks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypedDict
from typing import Unpack

from cobot.sandbox import blockkit
from cobot.sandbox.client import HttpResult
from cobot.sandbox.client import SlackClient
from cobot.sandbox.transcript import blocks_to_text
from cobot.sandbox.webapi import SlackEmulator

Answers = dict[str, Any]  # block_id -> text, or a full Slack state value dict
Message = dict[str, Any]  # a message (or a view) as Slack stores it
ElementValue = dict[str, Any]  # one element's value in view.state.values
StateValues = dict[str, dict[str, ElementValue]]  # view.state.values: block -> action -> value


class ButtonPress(TypedDict, total=False):
    """Where a `Driver` presses a button: `value` for a button the message does not hold,
    `channel_id` the message's channel (default: the person's DM), `in_view` a modal's or
    the Home tab's button."""

    value: str | None
    channel_id: str | None
    in_view: bool


class DriveError(AssertionError):
    """cobot did not answer an action as Slack needs (a non-200, no modal, no DM in time)."""


# -- element values as Slack sends them in view.state.values ------------------------------


def typed(text: str | None) -> ElementValue:
    """A plain-text input holding `text`."""
    return {"type": "plain_text_input", "value": text}


def ticked(*values: str) -> ElementValue:
    """Checkboxes with the options `values` ticked."""
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def chosen(value: str, kind: str = "static_select") -> ElementValue:
    """A single choice (a static select, or `kind` radio_buttons) set to `value`."""
    return {"type": kind, "selected_option": {"value": value}}


def picked_user(user: str | None) -> ElementValue:
    """A user select set to `user` (None: left empty)."""
    return {"type": "users_select", "selected_user": user}


def picked_users(users: Sequence[str]) -> ElementValue:
    """A multi-user select holding `users`."""
    return {"type": "multi_users_select", "selected_users": list(users)}


def dated(day: str) -> ElementValue:
    """A date picker set to `day` (YYYY-MM-DD)."""
    return {"type": "datepicker", "selected_date": day}


def timed(at: str) -> ElementValue:
    """A time picker set to `at` (HH:MM)."""
    return {"type": "timepicker", "selected_time": at}


def numbered(number: int | str) -> ElementValue:
    """A number input holding `number` (Slack sends what was typed, as a string)."""
    return {"type": "number_input", "value": str(number)}


def uploaded(*files: dict[str, Any]) -> ElementValue:
    """A file input holding `files`, Slack's file objects (`SlackEmulator.upload` makes
    them as a person's upload in the form would)."""
    return {"type": "file_input", "files": [dict(f) for f in files]}


def state(action_id: str, **blocks: ElementValue) -> StateValues:
    """view.state.values for inputs whose elements all share `action_id`."""
    return {block: {action_id: value} for block, value in blocks.items()}


def ack_body(result: HttpResult) -> dict[str, Any]:
    """An ack as Slack shows it: the JSON cobot answered, or its plain text as the message."""
    if not result.body.strip():
        return {}
    headers = {k.lower(): v for k, v in result.headers.items()}
    if headers.get("content-type", "").startswith("application/json"):
        body = result.json()
        return dict(body) if isinstance(body, dict) else {}
    return {"text": result.text}


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


def find_button(message: Message, action_id: str) -> dict[str, Any] | None:
    """The button `action_id` of a message or view (in actions blocks or as an accessory)."""
    for block in message.get("blocks") or []:
        for element in [block.get("accessory") or {}, *(block.get("elements") or [])]:
            if element.get("action_id") == action_id and element.get("type") == "button":
                return dict(element) | {"block_id": block.get("block_id")}
    return None


@dataclass(frozen=True)
class Driver:
    """Acts in Slack as any person would, over signed HTTP, and reads what they are shown.

    Every action checks cobot answered 200 and raises `DriveError` otherwise; what cobot
    answered is returned as Slack shows it.
    """

    slack: SlackClient
    emulator: SlackEmulator

    # -- acting -----------------------------------------------------------------------

    def run_command(
        self, user: str, text: str, *, channel_id: str, channel_name: str = "project"
    ) -> HttpResult:
        """Type `/cobot text` in a channel; cobot's raw answer (not checked)."""
        return self.slack.slash_command(
            user_id=user, text=text, channel_id=channel_id, channel_name=channel_name
        )

    def command(self, user: str, text: str, *, channel_id: str) -> dict[str, Any]:
        """Type `/cobot text`; the ack as the person sees it (`text`, maybe `blocks`)."""
        return ack_body(self._ok(self.run_command(user, text, channel_id=channel_id)))

    def press_button(
        self, user: str, message: Message | None, action_id: str, **where: Unpack[ButtonPress]
    ) -> HttpResult:
        """Press `action_id` on a message (or, `in_view`, a modal or Home view); raw answer.

        The button is looked up in the message; `value` is for a button the test makes up
        (a stale or forged one) or one on a message it does not hold.
        """
        button = find_button(message, action_id) if message else None
        action: dict[str, Any] = {"type": "button", "action_id": action_id}
        if button is not None:
            action["block_id"] = button.get("block_id")
            action["text"] = button.get("text") or {"type": "plain_text", "text": ""}
            action["value"] = button.get("value", "")
        value = where.get("value")
        if value is not None:
            action["value"] = value
        if "value" not in action:
            raise DriveError(f"no button {action_id!r} to press and no value given")
        if where.get("in_view", False):
            return self.slack.block_actions(user_id=user, actions=[action], view=message)
        return self.slack.block_actions(
            user_id=user,
            actions=[action],
            message=message or {"ts": "1.000", "blocks": []},
            channel_id=where.get("channel_id") or self.emulator.im_channel(user),
        )

    def press(
        self, user: str, message: Message | None, action_id: str, **where: Unpack[ButtonPress]
    ) -> None:
        """Press a button and check cobot acknowledged it."""
        self._ok(self.press_button(user, message, action_id, **where))

    def select(
        self,
        user: str,
        message: Message,
        block_id: str,
        value: str,
        *,
        channel_id: str | None = None,
    ) -> None:
        """Choose `value` in the select accessory of block `block_id` of a message."""
        block = next(
            (b for b in message.get("blocks") or [] if b.get("block_id") == block_id), None
        )
        element = (block or {}).get("accessory") or {}
        if element.get("type") != "static_select":
            raise DriveError(f"no select in block {block_id!r}")
        option = next((o for o in element.get("options") or [] if o.get("value") == value), None)
        if option is None:
            raise DriveError(f"the select in {block_id!r} has no option {value!r}")
        action = {
            "type": "static_select",
            "action_id": element.get("action_id"),
            "block_id": block_id,
            "selected_option": option,
        }
        self._ok(
            self.slack.block_actions(
                user_id=user,
                actions=[action],
                message=message,
                channel_id=channel_id or self.emulator.im_channel(user),
            )
        )

    def open_modal(
        self, user: str, message: Message | None, action_id: str, *, value: str | None = None
    ) -> Message:
        """Press a button that opens a modal; the modal, once Slack has opened it."""
        before = self.opened()
        self.press(user, message, action_id, value=value)
        return self.next_view(before)

    def command_modal(self, user: str, text: str, *, channel_id: str) -> Message:
        """Type a `/cobot` command that opens a modal; the modal."""
        before = self.opened()
        self.command(user, text, channel_id=channel_id)
        return self.next_view(before)

    def submit_modal(self, user: str, view: Message, values: StateValues) -> dict[str, Any]:
        """Submit a modal with `values`; cobot's answer (`{}`, or a response_action).

        Slack builds a submission's state from the modal's own inputs, so every value must
        name an input block of `view`, under its element's action id and of its type (a
        test that fills a text box the modal no longer has fails here, not in cobot)."""
        unlike = mismatched(view, values)
        if unlike:
            raise DriveError(f"not how Slack would submit {view.get('callback_id')}: {unlike}")
        return ack_body(
            self._ok(self.slack.view_submission(user_id=user, view=view, values=values))
        )

    # -- reading ----------------------------------------------------------------------

    def opened(self) -> int:
        """How many views.open calls cobot has made so far."""
        return len(self.emulator.calls_to("views.open"))

    def next_view(self, opened_before: int, *, timeout: float = 10) -> Message:
        """The modal cobot opened after `opened_before` views.open calls."""
        self.emulator.wait_for("views.open", count=opened_before + 1, timeout=timeout)
        return self.emulator.open_views[-1]

    def dms(self, user: str, words: str) -> list[Message]:
        """The messages in `user`'s DM holding `words` (anywhere in them), oldest first."""
        return [m for m in self.emulator.messages(user) if words in json.dumps(m)]

    def dm_with(self, user: str, words: str, *, timeout: float = 20) -> Message:
        """The first message to `user` (or a channel) holding `words`, once cobot sent one."""
        self.emulator.wait_for(
            "chat.postMessage",
            where=lambda c: c.args.get("channel") == user and words in json.dumps(c.args),
            timeout=timeout,
        )
        return self.dms(user, words)[0]

    def message(self, user: str, ts: str) -> Message:
        """The message `ts` in `user`'s DM as it is now (after any updates)."""
        return next(m for m in self.emulator.messages(user) if m["ts"] == ts)

    def wait_replaced(self, user: str, ts: str, words: str, *, timeout: float = 10) -> Message:
        """The message `ts` once cobot has updated it to hold `words`."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.message(user, ts)
            if words in json.dumps(message):
                return message
            if time.monotonic() >= deadline:
                raise DriveError(f"message {ts} never said {words!r}: {json.dumps(message)[:500]}")
            time.sleep(0.02)

    def _ok(self, result: HttpResult) -> HttpResult:
        if result.status != 200:
            raise DriveError(f"cobot answered HTTP {result.status}: {result.text[:500]}")
        return result


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


def mismatched(view: Message, values: StateValues) -> list[str]:
    """The values Slack could not have sent for `view`: an unknown block, another action
    id, or another element type than the modal's input holds."""
    inputs = {
        str(b.get("block_id")): b.get("element") or {}
        for b in view.get("blocks") or []
        if b.get("type") == "input"
    }
    found = []
    for block_id, by_action in values.items():
        element = inputs.get(block_id)
        if element is None:
            found.append(f"no input block {block_id!r}")
            continue
        for action_id, value in by_action.items():
            if action_id != element.get("action_id"):
                found.append(
                    f"{block_id}: action id {action_id!r}, not {element.get('action_id')!r}"
                )
            kind = value.get("type") if isinstance(value, dict) else None
            if kind is not None and kind != element.get("type"):
                found.append(f"{block_id}: a {kind}, not a {element.get('type')}")
            elif kind == "file_input":
                found.extend(f"{block_id}: {p}" for p in _file_problems(element, value))
    return found


def _file_problems(element: dict[str, Any], value: dict[str, Any]) -> list[str]:
    """What Slack's own upload box would not let through: more files than `max_files`
    (10 unset), or entries that are not uploaded files (Slack's `filetypes` check is a
    convenience only, so a file of another type can still arrive)."""
    files = value.get("files")
    if not isinstance(files, list):
        return ["a file_input sends a list of files"]
    most = element.get("max_files") or blockkit.MAX_FILES
    found = [f"{len(files)} files, but max_files is {most}"] if len(files) > most else []
    keys = ("id", "name", "mimetype", "url_private")
    if not all(isinstance(f, dict) and all(f.get(k) for k in keys) for f in files):
        found.append(f"every file needs {', '.join(keys)} (SlackEmulator.upload makes one)")
    return found


def fill(view: dict[str, Any], answers: Answers) -> dict[str, dict[str, dict[str, Any]]]:  # noqa: C901
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
            options = _offered(element)
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
        elif kind == "multi_static_select":
            picked = element.get("initial_options") or []
            if given is not None:
                wanted = set(given) if isinstance(given, list | tuple | set) else {given}
                picked = [o for o in _offered(element) if o.get("value") in wanted]
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
        elif kind == "datetimepicker":
            at = given if given is not None else element.get("initial_date_time")
            value = {"type": kind, "selected_date_time": at}
        elif kind == "multi_conversations_select":
            value = {
                "type": kind,
                "selected_conversations": given or element.get("initial_conversations") or [],
            }
        elif kind == "number_input":
            value = {"type": kind, "value": str(given or element.get("initial_value") or "3")}
        elif kind == "file_input":
            value = {"type": kind, "files": list(given or [])}
        else:
            value = {"type": kind, "value": given}
        values[block_id] = {action_id: value}
    return values


def _offered(element: dict[str, Any]) -> list[dict[str, Any]]:
    """A choice element's options, whether listed or in option groups."""
    return list(element.get("options") or []) or [
        o for g in element.get("option_groups") or [] for o in g.get("options", [])
    ]


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

    @property
    def driver(self) -> Driver:
        """How this person acts in Slack."""
        return Driver(self.slack, self.emulator)

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
        opened_before = self.driver.opened()
        result = self.driver.press_button(
            self.user_id,
            button.message,
            button.action_id,
            value=button.value,
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
        opened_before = self.driver.opened()
        result = self.driver.run_command(
            self.user_id, text, channel_id=channel_id, channel_name=channel_name
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
        body = ack_body(result)
        if body.get("response_action") == "errors":
            self.problems.append(f"{self.name}: form {what} refused: {body['errors']}")
        return view

    def _check(self, result: HttpResult, what: str) -> None:
        if result.status != 200:
            self.problems.append(f"{self.name}: {what} answered HTTP {result.status}")


def _ack_text(result: HttpResult) -> str:
    body = ack_body(result)
    if not body or set(body) == {"text"} and body["text"] == result.text:
        return result.text  # a plain-text ack is shown as it is
    return blocks_to_text(body.get("blocks"), str(body.get("text", "")))
