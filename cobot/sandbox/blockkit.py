"""The emulator's check of Block Kit input elements, as Slack's element reference defines them.

Slack refuses a view or message whose pickers, selects or inputs break its rules (an
`initial_time` not "HH:mm", an `initial_option` that is not one of the options, more than
100 options in a select, more than 10 checkboxes...) with `invalid_arguments` (views) or
`invalid_blocks` (messages); `problems()` lists what Slack would refuse, so the emulator
refuses it too. Rules from docs.slack.dev/reference/block-kit/block-elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from cobot.services.projects import valid_timezone

MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_LABEL = 2000  # an input block's label and hint
MAX_PLACEHOLDER = 150
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100  # a select's options, option groups, and each group's options
MAX_FEW_OPTIONS = 10  # checkboxes and radio buttons
MAX_TEXT_LENGTH = 3000  # plain_text_input max_length / min_length
MAX_FILES = 10  # file_input max_files: 1 to 10, 10 when unset
FILE_INPUT_FIELDS = frozenset({"type", "action_id", "filetypes", "max_files"})
_HH_MM = re.compile(r"\A([01]\d|2[0-3]):[0-5]\d\Z")
_YYYY_MM_DD = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_NUMBER = re.compile(r"\A-?\d+(\.\d+)?\Z")

SINGLE_SELECTS = {
    "static_select": "initial_option",
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "external_select": "initial_option",
}
MULTI_SELECTS = {
    "multi_static_select": "initial_options",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
    "multi_external_select": "initial_options",
}
ELEMENTS = {
    "button", "checkboxes", "datepicker", "datetimepicker", "timepicker", "email_text_input",
    "url_text_input", "number_input", "plain_text_input", "radio_buttons", "overflow",
    "image", "rich_text_input", "file_input", *SINGLE_SELECTS, *MULTI_SELECTS,
}  # fmt: skip


def problems(blocks: Any) -> list[str]:
    """What Slack would refuse in these blocks' elements (empty when all is well)."""
    if not isinstance(blocks, list):
        return []
    found: list[str] = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        where = f"blocks[{index}]"
        if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
            found.append(f"{where}: block_id longer than {MAX_BLOCK_ID}")
        if block.get("type") == "input":
            for key in ("label", "hint"):
                if len(_text(block.get(key))) > MAX_LABEL:
                    found.append(f"{where}.{key}: longer than {MAX_LABEL}")
            if not isinstance(block.get("element"), dict):
                found.append(f"{where}: an input block needs an element")
        for path, element in _elements(block, where):
            found.extend(f"{path}: {p}" for p in element_problems(element))
            if element.get("type") == "file_input" and not path.endswith(".element"):
                found.append(f"{path}: a file_input belongs in an input block")
    return found


def element_problems(element: dict[str, Any]) -> list[str]:  # noqa: C901
    """What Slack would refuse in one element."""
    kind = element.get("type")
    if kind not in ELEMENTS:
        return [f"unknown element type {kind!r}"]
    found: list[str] = []
    if len(str(element.get("action_id", ""))) > MAX_ACTION_ID:
        found.append(f"action_id longer than {MAX_ACTION_ID}")
    if "placeholder" in element and len(_text(element["placeholder"])) > MAX_PLACEHOLDER:
        found.append(f"placeholder longer than {MAX_PLACEHOLDER}")
    if kind == "timepicker":
        initial = element.get("initial_time")
        if initial is not None and not (isinstance(initial, str) and _HH_MM.match(initial)):
            found.append(f'initial_time {initial!r} is not "HH:mm"')
        zone = element.get("timezone")
        if zone is not None and not _known_zone(zone):
            found.append(f"timezone {zone!r} is not an IANA time zone")
    elif kind == "datepicker":
        initial = element.get("initial_date")
        if initial is not None and not _is_date(initial):
            found.append(f'initial_date {initial!r} is not "YYYY-MM-DD"')
    elif kind == "datetimepicker":
        initial = element.get("initial_date_time")
        if initial is not None and (not isinstance(initial, int) or isinstance(initial, bool)):
            found.append(f"initial_date_time {initial!r} is not a UNIX timestamp in seconds")
    elif kind == "number_input":
        found.extend(_number_problems(element))
    elif kind == "plain_text_input":
        found.extend(_text_input_problems(element))
    elif kind == "file_input":
        found.extend(_file_input_problems(element))
    elif kind in ("checkboxes", "radio_buttons"):
        found.extend(_choice_problems(element, limit=MAX_FEW_OPTIONS, many=kind == "checkboxes"))
    elif kind in ("static_select", "multi_static_select"):
        found.extend(
            _choice_problems(element, limit=MAX_SELECT_OPTIONS, many=kind.startswith("multi_"))
        )
    if kind in MULTI_SELECTS:
        most = element.get("max_selected_items")
        if most is not None and (not isinstance(most, int) or most < 1):
            found.append("max_selected_items must be at least 1")
        initial = element.get(MULTI_SELECTS[kind])
        if initial is not None and not isinstance(initial, list):
            found.append(f"{MULTI_SELECTS[kind]} must be a list")
    return found


def _file_input_problems(element: dict[str, Any]) -> list[str]:
    """file_input: only type, action_id, filetypes (extensions) and max_files (1 to 10)."""
    found = [f"file_input has no field {k!r}" for k in sorted(set(element) - FILE_INPUT_FIELDS)]
    types = element.get("filetypes")
    if types is not None and (
        not isinstance(types, list)
        or not all(isinstance(t, str) and t and t.isalnum() for t in types)
    ):
        found.append("filetypes must be a list of file extensions")
    most = element.get("max_files")
    if most is not None and (
        not isinstance(most, int) or isinstance(most, bool) or not 1 <= most <= MAX_FILES
    ):
        found.append(f"max_files must be a whole number from 1 to {MAX_FILES}")
    return found


def _elements(block: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(block.get("element"), dict):
        yield f"{where}.element", block["element"]
    if isinstance(block.get("accessory"), dict) and block["accessory"].get("type") != "image":
        yield f"{where}.accessory", block["accessory"]
    if block.get("type") == "actions":
        for n, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict):
                yield f"{where}.elements[{n}]", element


def _choice_problems(element: dict[str, Any], *, limit: int, many: bool) -> list[str]:
    found: list[str] = []
    options = element.get("options")
    groups = element.get("option_groups")
    offered: list[Any] = []
    if groups is not None:
        if options is not None:
            found.append("options and option_groups cannot both be given")
        if not isinstance(groups, list) or not 1 <= len(groups) <= MAX_SELECT_OPTIONS:
            found.append(f"option_groups must hold 1 to {MAX_SELECT_OPTIONS} groups")
            groups = []
        for n, group in enumerate(groups):
            inner = group.get("options") if isinstance(group, dict) else None
            if not isinstance(inner, list) or not 1 <= len(inner) <= MAX_SELECT_OPTIONS:
                found.append(f"option_groups[{n}] must hold 1 to {MAX_SELECT_OPTIONS} options")
                continue
            if len(_text(group.get("label"))) > MAX_OPTION_TEXT:
                found.append(f"option_groups[{n}].label longer than {MAX_OPTION_TEXT}")
            offered.extend(inner)
    elif not isinstance(options, list) or not 1 <= len(options) <= limit:
        found.append(f"options must hold 1 to {limit} options")
    else:
        offered = options
    for n, option in enumerate(offered):
        found.extend(f"option {n}: {p}" for p in _option_problems(option))
    values = [o.get("value") for o in offered if isinstance(o, dict)]
    if len(set(map(str, values))) != len(values):
        found.append("option values must be unique")
    chosen: list[Any] = []
    if many:
        initial = element.get("initial_options")
        if initial is not None:
            chosen = initial if isinstance(initial, list) else [initial]
    elif element.get("initial_option") is not None:
        chosen = [element["initial_option"]]
    for option in chosen:
        # Slack wants the very option: same value, same text
        if option not in offered:
            found.append(f"initial option {option!r} is not one of the options")
    return found


def _option_problems(option: Any) -> list[str]:
    if not isinstance(option, dict):
        return ["not an option object"]
    found: list[str] = []
    text = _text(option.get("text"))
    if not text:
        found.append("an option needs text")
    if len(text) > MAX_OPTION_TEXT:
        found.append(f"text longer than {MAX_OPTION_TEXT}")
    value = option.get("value")
    if not isinstance(value, str) or not value or len(value) > MAX_OPTION_VALUE:
        found.append(f"value must be a string of 1 to {MAX_OPTION_VALUE} characters")
    if "description" in option and len(_text(option["description"])) > MAX_OPTION_TEXT:
        found.append(f"description longer than {MAX_OPTION_TEXT}")
    return found


def _number_problems(element: dict[str, Any]) -> list[str]:
    found: list[str] = []
    decimals = element.get("is_decimal_allowed")
    if not isinstance(decimals, bool):
        found.append("number_input needs is_decimal_allowed (true or false)")
    numbers: dict[str, float] = {}
    for key in ("initial_value", "min_value", "max_value"):
        raw = element.get(key)
        if raw is None:
            continue
        if not isinstance(raw, str) or not _NUMBER.match(raw):
            found.append(f"{key} {raw!r} is not a number as a string")
        elif decimals is False and "." in raw:
            found.append(f"{key} {raw!r} is not a whole number")
        else:
            numbers[key] = float(raw)
    low, high = numbers.get("min_value"), numbers.get("max_value")
    if low is not None and high is not None and low > high:
        found.append("min_value is greater than max_value")
    initial = numbers.get("initial_value")
    if initial is not None and (
        (low is not None and initial < low) or (high is not None and initial > high)
    ):
        found.append("initial_value is outside min_value to max_value")
    return found


def _text_input_problems(element: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("max_length", "min_length"):
        raw = element.get(key)
        if raw is not None and (not isinstance(raw, int) or not 0 <= raw <= MAX_TEXT_LENGTH):
            found.append(f"{key} must be 0 to {MAX_TEXT_LENGTH}")
    initial = element.get("initial_value")
    if initial is not None and not isinstance(initial, str):
        found.append("initial_value must be a string")
    return found


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def _is_date(raw: Any) -> bool:
    if not isinstance(raw, str) or not _YYYY_MM_DD.match(raw):
        return False
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


def _known_zone(name: Any) -> bool:
    return isinstance(name, str) and valid_timezone(name)
