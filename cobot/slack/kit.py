"""The Slack interaction kit: form inputs paired with their readers, stale ids, and the
`action()` / `view()` registrations that ack, catch refusals and field errors, and reply."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError

from cobot.services.access import AccessError
from cobot.slack.payloads import action_value, parse_id, state_values, team_id, user_id

log = logging.getLogger(__name__)

STALE = "That button or form is out of date, so nothing was changed."
# every input built here carries this action id: its block id alone names the field
INPUT = "value"


# ---------------------------------------------------------------- refusals and field errors


class Stale(AccessError):
    """A forged or outdated id in a button value or a modal's private_metadata."""

    def __init__(self, message: str = STALE) -> None:
        super().__init__(message)


class FormError(ValueError):
    """Typed values could not be read; `problems` are messages for the person, by block id."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def stale_id(raw: Any, message: str = STALE) -> int:
    """An id from a button value or private_metadata; anything else raises Stale."""
    found = parse_id(raw)
    if found is None:
        raise Stale(message)
    return found


def field_errors(
    exc: AccessError | FormError, fallback: str, rename: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What a modal shows under its inputs: a form error's problems, a service's per-field
    `errors` (InvalidFields, InvalidSettings, FormRejected), or the refusal under `fallback`."""
    if isinstance(exc, FormError):
        found: dict[str, str] = exc.problems
    else:
        errors = getattr(exc, "errors", None)
        found = errors if isinstance(errors, dict) else {fallback: exc.message}
    names = rename or {}
    return {names.get(k, k): v for k, v in found.items()}


# ---------------------------------------------------------------- mentions


def mention(user: str) -> str:
    """A user mention Slack renders as the person's name."""
    return f"<@{user}>"


# ---------------------------------------------------------------- inputs and their readers


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    """A plain-text input; `Form.text(block_id)` reads it."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": INPUT}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    if max_length is not None:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = _plain(placeholder)
    return _input(block_id, label, element, optional=optional, hint=hint)


def select(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    initial: str | None = None,
    optional: bool = False,
) -> dict[str, Any]:
    """A static select over (value, label) options; `Form.selected(block_id)` reads it."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": INPUT,
        "options": [_option(v, t) for v, t in options],
    }
    chosen = [_option(v, t) for v, t in options if v == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return _input(block_id, label, element, optional=optional)


def checkboxes(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    checked: frozenset[str] = frozenset(),
    optional: bool = True,
) -> dict[str, Any]:
    """Checkboxes over (value, label) options; `Form.checked(block_id)` reads them."""
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": INPUT,
        "options": [_option(v, t) for v, t in options],
    }
    initial = [_option(v, t) for v, t in options if v in checked]
    if initial:
        element["initial_options"] = initial
    return _input(block_id, label, element, optional=optional)


def datepicker(
    block_id: str, label: str, *, initial: date | None = None, optional: bool = False
) -> dict[str, Any]:
    """A date picker; `Form.date(block_id)` reads it."""
    element: dict[str, Any] = {"type": "datepicker", "action_id": INPUT}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return _input(block_id, label, element, optional=optional)


def timepicker(
    block_id: str, label: str, *, initial: time | None = None, optional: bool = False
) -> dict[str, Any]:
    """A time picker; `Form.time(block_id)` reads it."""
    element: dict[str, Any] = {"type": "timepicker", "action_id": INPUT}
    if initial is not None:
        element["initial_time"] = initial.strftime("%H:%M")
    return _input(block_id, label, element, optional=optional)


def modal(
    callback_id: str,
    title: str,
    blocks: list[dict[str, Any]],
    *,
    submit: str | None = "Save",
    metadata: str = "",
    close: str = "Cancel",
) -> dict[str, Any]:
    """A modal whose submission `view(app, callback_id, ...)` receives."""
    built: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, 24),
        "close": _plain(close, 24),
        "private_metadata": metadata,
        "blocks": blocks,
    }
    if submit is not None:
        built["submit"] = _plain(submit, 24)
    return built


@dataclass(frozen=True)
class Form:
    """A submitted modal's values, read by block id under one action id."""

    values: dict[str, Any]
    action_id: str = INPUT

    def element(self, block_id: str) -> dict[str, Any]:
        """The raw state of the input in `block_id` ({} when absent or forged)."""
        found = (self.values.get(block_id) or {}).get(self.action_id)
        return found if isinstance(found, dict) else {}

    def text(self, block_id: str) -> str:
        """A text input's value; "" when empty or not a string."""
        value = self.element(block_id).get("value")
        return value if isinstance(value, str) else ""

    def selected(self, block_id: str) -> str:
        """A select's chosen value; "" when none."""
        option = self.element(block_id).get("selected_option")
        raw = option.get("value") if isinstance(option, dict) else None
        return raw if isinstance(raw, str) else ""

    def checked(self, block_id: str) -> list[str]:
        """The values of the checked boxes, in order."""
        options = self.element(block_id).get("selected_options") or []
        return [str(o.get("value")) for o in options if isinstance(o, dict)]

    def date(self, block_id: str) -> date | None:
        """A date picker's day; None when empty or not a date."""
        raw = self.element(block_id).get("selected_date")
        if not raw:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            return None

    def time(self, block_id: str) -> time | None:
        """A time picker's time; None when empty or not a time."""
        raw = self.element(block_id).get("selected_time")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            return time.fromisoformat(raw)
        except ValueError:
            return None

    def user(self, block_id: str) -> str | None:
        """A user select's person; None when none."""
        value = self.element(block_id).get("selected_user")
        return value if isinstance(value, str) and value else None

    def users(self, block_id: str) -> tuple[str, ...]:
        """A multi-user select's people."""
        found = self.element(block_id).get("selected_users") or []
        return tuple(str(u) for u in found if isinstance(u, str))


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": _plain(text, 75), "value": value}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


# ---------------------------------------------------------------- answering


def dm(client: Any, user: str, text: str) -> None:
    """Tell the person in their DM with cobot (a closed modal or a Home has nowhere else)."""
    try:
        client.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        log.warning("could not answer in a DM: %s", exc.response.get("error"))


def tell(respond: Respond, text: str) -> None:
    """An ephemeral answer to whoever pressed, leaving the message as it was."""
    respond(text=text, response_type="ephemeral", replace_original=False)


# ---------------------------------------------------------------- buttons


@dataclass(frozen=True)
class Press:
    """A button (or other block action) pressed: who, where, and how to answer."""

    body: dict[str, Any]
    client: Any
    respond: Respond

    @property
    def team(self) -> str:
        return team_id(self.body)

    @property
    def user(self) -> str:
        return user_id(self.body)

    @property
    def value(self) -> str:
        return action_value(self.body)

    @property
    def action_id(self) -> str:
        actions = self.body.get("actions") or [{}]
        return str(actions[0].get("action_id") or "")

    @property
    def message(self) -> dict[str, Any]:
        found = self.body.get("message")
        return found if isinstance(found, dict) else {}

    def id(self, message: str = STALE) -> int:
        """The id in the button's value, or Stale."""
        return stale_id(self.value, message)

    def open(self, view: dict[str, Any]) -> None:
        """Open a modal on the press's trigger."""
        self.client.views_open(trigger_id=self.body["trigger_id"], view=view)

    def tell(self, text: str) -> None:
        """Answer just the presser, leaving the message."""
        tell(self.respond, text)

    def replace(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Replace the message the button was in."""
        if blocks is None:
            self.respond(text=text, replace_original=True)
        else:
            self.respond(text=text, blocks=blocks, replace_original=True)

    def dm(self, text: str) -> None:
        """Answer in the presser's DM with cobot."""
        dm(self.client, self.user, text)


ActionHandler = Callable[[Press], None]


def action(app: App, action_id: Any, handler: ActionHandler, *, answer_in_dm: bool = False) -> None:
    """Register a block action: ack at once, then run `handler`; a refusal (AccessError and
    its subclasses) goes to the presser, ephemerally or (`answer_in_dm`) in their DM."""

    def listener(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        press = Press(body=body, client=client, respond=respond)
        try:
            handler(press)
        except AccessError as exc:
            if answer_in_dm:
                press.dm(exc.message)
            else:
                press.tell(exc.message)

    app.action(action_id)(listener)


# ---------------------------------------------------------------- modals


@dataclass(frozen=True)
class Submission:
    """A modal submitted: who, the form's values and its metadata."""

    body: dict[str, Any]
    view: dict[str, Any]
    client: Any

    @property
    def team(self) -> str:
        return team_id(self.body)

    @property
    def user(self) -> str:
        return user_id(self.body)

    @property
    def metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def view_id(self) -> str | None:
        """The open view's id (a form id for idempotent saves); None when absent."""
        return str(self.view.get("id") or "") or None

    @property
    def values(self) -> dict[str, Any]:
        return state_values(self.view)

    def form(self, action_id: str = INPUT) -> Form:
        """The values, read by block id."""
        return Form(self.values, action_id)

    def id(self, message: str = STALE) -> int:
        """The id in private_metadata, or Stale."""
        return stale_id(self.view.get("private_metadata"), message)


@dataclass(frozen=True)
class Answer:
    """What a view handler answers: close (default) or show `view`; then DM `dm` and run
    `then`, both after the ack (Slack waits 3 seconds for it)."""

    view: dict[str, Any] | None = None
    dm: str | None = None
    then: Callable[[], None] | None = field(default=None, compare=False)


ViewHandler = Callable[[Submission], Answer | None]


def view(
    app: App,
    callback_id: str,
    handler: ViewHandler,
    *,
    fallback: str,
    rename: Mapping[str, str] | None = None,
) -> None:
    """Register a modal submission: run `handler`; field errors and refusals go back under
    the inputs (`response_action: errors`, a plain refusal under `fallback`); otherwise ack
    (closing, or updating to the answer's view), then DM and run what comes after."""

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        submitted = Submission(body=body, view=view, client=client)
        try:
            answer = handler(submitted) or Answer()
        except (AccessError, FormError) as exc:
            ack(response_action="errors", errors=field_errors(exc, fallback, rename))
            return
        if answer.view is not None:
            ack(response_action="update", view=answer.view)
        else:
            ack()
        if answer.dm is not None:
            dm(client, submitted.user, answer.dm)
        if answer.then is not None:
            answer.then()

    app.view(callback_id)(listener)
