"""Form inputs paired with their readers: every builder here sets the element's action id
and the block id names the field, so `Form` reads back exactly what was built."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import time
from typing import Any
from typing import TypeVar

from cobot.slack.blocks.common import plain

# the action id every input carries unless a feature keeps its own
INPUT = "value"
Picked = TypeVar("Picked", date, time)


def text_element(
    initial: str = "", *, multiline: bool = False, max_length: int | None = None
) -> dict[str, Any]:
    """A plain-text input element (its action id is set by `input_block`)."""
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length is not None:
        element["max_length"] = max_length
    return element


def text_input(
    block_id: str,
    label: str,
    initial: str = "",
    *,
    multiline: bool = False,
    optional: bool = False,
    max_length: int | None = None,
    hint: str | None = None,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """A plain-text input; `Form.text(block_id)` reads it."""
    element = text_element(initial=initial, multiline=multiline, max_length=max_length)
    return input_block(block_id, label, element, optional=optional, hint=hint, action_id=action_id)


def select(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    initial: str | None = None,
    optional: bool = False,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """A static select over (value, label) options; `Form.selected(block_id)` reads it."""
    element = select_element(options, initial)
    return input_block(block_id, label, element, optional=optional, action_id=action_id)


def select_element(options: list[tuple[str, str]], initial: str | None = None) -> dict[str, Any]:
    """A static select element over (value, label) options, `initial` chosen."""
    element: dict[str, Any] = {
        "type": "static_select",
        "options": [_option(v, t) for v, t in options],
    }
    chosen = [_option(v, t) for v, t in options if v == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def grouped_select(
    block_id: str,
    label: str,
    groups: list[tuple[str, list[tuple[str, str]]]],
    *,
    initial: str | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    """A static select over (group label, [(value, label)]) groups, for lists longer than
    one select's 100 options (each group holds up to 100); `Form.selected` reads it."""
    element: dict[str, Any] = {
        "type": "static_select",
        "option_groups": [
            {"label": plain(name, 75), "options": [_option(v, t) for v, t in options]}
            for name, options in groups
        ],
    }
    chosen = [_option(v, t) for _n, options in groups for v, t in options if v == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return input_block(block_id, label, element, hint=hint)


def number_input(
    block_id: str,
    label: str,
    *,
    initial: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    hint: str | None = None,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """A whole-number input (Slack checks it is a number in range before submitting);
    `Form.text(block_id)` reads it as typed, so the service's own check still runs."""
    element: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": False}
    if initial is not None:
        element["initial_value"] = str(initial)
    if minimum is not None:
        element["min_value"] = str(minimum)
    if maximum is not None:
        element["max_value"] = str(maximum)
    return input_block(block_id, label, element, hint=hint, action_id=action_id)


def checkboxes(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    checked: frozenset[str] = frozenset(),
    optional: bool = True,
    mrkdwn: bool = False,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """Checkboxes over (value, label) options (labels in mrkdwn, e.g. mentions, when
    `mrkdwn`); `Form.checked(block_id)` reads them."""
    make = _mrkdwn_option if mrkdwn else _option
    element: dict[str, Any] = {
        "type": "checkboxes",
        "options": [make(v, t) for v, t in options],
    }
    initial = [make(v, t) for v, t in options if v in checked]
    if initial:
        element["initial_options"] = initial
    return input_block(block_id, label, element, optional=optional, action_id=action_id)


def datepicker(
    block_id: str,
    label: str,
    *,
    initial: date | None = None,
    optional: bool = False,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """A date picker; `Form.date(block_id)` reads it."""
    element: dict[str, Any] = {"type": "datepicker"}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return input_block(block_id, label, element, optional=optional, action_id=action_id)


def timepicker(
    block_id: str,
    label: str,
    *,
    initial: time | None = None,
    optional: bool = False,
    hint: str | None = None,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """A time picker; `Form.time(block_id)` reads it."""
    element: dict[str, Any] = {"type": "timepicker"}
    if initial is not None:
        element["initial_time"] = initial.strftime("%H:%M")
    return input_block(block_id, label, element, optional=optional, hint=hint, action_id=action_id)


def user_select(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    optional: bool = False,
    placeholder: str | None = None,
) -> dict[str, Any]:
    """One person from the workspace; `Form.user(block_id)` reads it."""
    element: dict[str, Any] = {"type": "users_select"}
    if placeholder is not None:
        element["placeholder"] = plain(placeholder)
    if initial:
        element["initial_user"] = initial
    return input_block(block_id, label, element, optional=optional)


def users_select(
    block_id: str,
    label: str,
    *,
    initial: Sequence[str] = (),
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    """Several people from the workspace; `Form.users(block_id)` reads them."""
    element: dict[str, Any] = {"type": "multi_users_select"}
    if initial:
        element["initial_users"] = list(initial)
    return input_block(block_id, label, element, optional=optional, hint=hint)


def modal(
    callback_id: str | None,
    title: str,
    blocks: list[dict[str, Any]],
    *,
    metadata: str | None = None,
    submit: str | None = "Save",
    close: str = "Cancel",
) -> dict[str, Any]:
    """A modal whose submission `kit.view(app, callback_id, ...)` receives; without `submit`
    (and usually without metadata), one that only shows something and closes."""
    view: dict[str, Any] = {"type": "modal"}
    if callback_id is not None:
        view["callback_id"] = callback_id
    view["title"] = plain(title, 24)
    if submit is not None:
        view["submit"] = plain(submit, 24)
    view["close"] = plain(close, 24)
    if metadata is not None:
        view["private_metadata"] = metadata
    view["blocks"] = blocks
    return view


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

    def texts(self, *block_ids: str) -> dict[str, str]:
        """Several text inputs' values, by block id, in the order asked."""
        return {block_id: self.text(block_id) for block_id in block_ids}

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
        return parse_date(self.element(block_id).get("selected_date"))

    def time(self, block_id: str) -> time | None:
        """A time picker's time; None when empty or not a time."""
        return _iso(self.element(block_id).get("selected_time"), time.fromisoformat)

    def time_text(self, block_id: str) -> str:
        """A time picker's time as "HH:MM" (what a service that parses times takes); ""
        when empty or not a time."""
        picked = self.time(block_id)
        return picked.strftime("%H:%M") if picked is not None else ""

    def user(self, block_id: str) -> str | None:
        """A user select's person; None when none."""
        value = self.element(block_id).get("selected_user")
        return value if isinstance(value, str) and value else None

    def users(self, block_id: str) -> tuple[str, ...]:
        """A multi-user select's people."""
        found = self.element(block_id).get("selected_users") or []
        return tuple(str(u) for u in found if isinstance(u, str))


def parse_date(raw: object) -> date | None:
    """A date picker's value ("YYYY-MM-DD"); None when empty or not a date."""
    return _iso(raw, date.fromisoformat)


def _iso(raw: object, parse: Callable[[str], Picked]) -> Picked | None:
    """A picker's ISO value parsed; None when empty, not a string or not valid."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return parse(raw)
    except ValueError:
        return None


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def _mrkdwn_option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "mrkdwn", "text": text[:75]}, "value": value}


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    action_id: str = INPUT,
) -> dict[str, Any]:
    """An input block: the block id names the field, the element carries `action_id`, so
    `Form(values, action_id)` reads it back by block id alone."""
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": action_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block
