"""The emulator refuses pickers, selects and inputs Slack would refuse, and a simulated
person fills them the way Slack's view_submission carries them."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from cobot.sandbox import SlackEmulator
from cobot.sandbox import blockkit
from cobot.sandbox.people import fill
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import forms
from tests.unit.slack.test_escaping import BUILDERS
from tests.unit.slack.test_escaping import Builder


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def _input(element: dict[str, Any], block_id: str = "b") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Field"},
        "element": {"action_id": "value", **element},
    }


REFUSED = {
    "a time not HH:mm": {"type": "timepicker", "initial_time": "9:30"},
    "a time past 23:59": {"type": "timepicker", "initial_time": "24:00"},
    "a picker zone that is none": {"type": "timepicker", "timezone": "Mars/Olympus"},
    "a date not YYYY-MM-DD": {"type": "datepicker", "initial_date": "01/02/2027"},
    "a date that does not exist": {"type": "datepicker", "initial_date": "2027-02-30"},
    "a date-time as text": {"type": "datetimepicker", "initial_date_time": "2027-02-01"},
    "101 options": {"type": "static_select", "options": [_option(str(n)) for n in range(101)]},
    "no options": {"type": "static_select", "options": []},
    "an initial option not offered": {
        "type": "static_select",
        "options": [_option("a")],
        "initial_option": _option("b"),
    },
    "options and groups at once": {
        "type": "static_select",
        "options": [_option("a")],
        "option_groups": [{"label": {"type": "plain_text", "text": "G"}, "options": []}],
    },
    "a group of 101": {
        "type": "static_select",
        "option_groups": [
            {
                "label": {"type": "plain_text", "text": "G"},
                "options": [_option(str(n)) for n in range(101)],
            }
        ],
    },
    "an option text over 75": {
        "type": "static_select",
        "options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "x"}],
    },
    "an option value over 150": {"type": "static_select", "options": [_option("v" * 151)]},
    "two options with one value": {"type": "static_select", "options": [_option("a")] * 2},
    "11 checkboxes": {"type": "checkboxes", "options": [_option(str(n)) for n in range(11)]},
    "11 radio buttons": {
        "type": "radio_buttons",
        "options": [_option(str(n)) for n in range(11)],
    },
    "a number without is_decimal_allowed": {"type": "number_input"},
    "a number as a number": {
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": 3,
    },
    "a fraction where whole numbers go": {
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": "2.5",
    },
    "an initial number out of range": {
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": "0",
        "min_value": "1",
    },
    "a text max_length over 3000": {"type": "plain_text_input", "max_length": 3001},
    "no more than zero people": {"type": "multi_users_select", "max_selected_items": 0},
    "an unknown element": {"type": "time_picker"},
    "a long action id": {"type": "datepicker", "action_id": "a" * 256},
}


@pytest.mark.parametrize("element", REFUSED.values(), ids=list(REFUSED))
def test_slack_refuses_what_its_element_reference_forbids(element: dict[str, Any]) -> None:
    assert blockkit.problems([_input(element)]) != []


def test_and_accepts_what_it_allows() -> None:
    allowed = [
        _input({"type": "timepicker", "initial_time": "09:30", "timezone": "Europe/London"}),
        _input({"type": "datepicker", "initial_date": "2027-02-28"}),
        _input({"type": "datetimepicker", "initial_date_time": 1_800_000_000}),
        _input(
            {
                "type": "static_select",
                "options": [_option(str(n)) for n in range(100)],
                "initial_option": _option("7"),
            }
        ),
        _input(
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": "90",
                "min_value": "1",
                "max_value": "3650",
            }
        ),
        forms.grouped_select(
            "zone", "Zone", [("Europe", [("Europe/London", "London")])], initial="Europe/London"
        ),
    ]
    assert blockkit.problems(allowed) == []


def test_the_emulator_refuses_them_in_views_and_messages(
    client: WebClient, emulator: SlackEmulator
) -> None:
    bad = _input({"type": "timepicker", "initial_time": "10am"})
    modal = {
        "type": "modal",
        "callback_id": "c",
        "title": {"type": "plain_text", "text": "T"},
        "blocks": [bad],
    }
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=emulator.issue_trigger_id("U0ALICE"), view=modal)
    assert refused.value.response["error"] == "invalid_arguments"
    select = {"type": "static_select", "options": [], "action_id": "pick"}
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(
            channel="C0GENERAL", text="t", blocks=[{"type": "actions", "elements": [select]}]
        )
    assert refused.value.response["error"] == "invalid_blocks"
    assert emulator.messages("C0GENERAL") == []


def test_every_builder_makes_elements_slack_accepts() -> None:
    """Every modal, Home and message cobot builds (found as the escaping test finds them)."""
    checked = 0
    for name, fn in BUILDERS:
        for full in (True, False):
            for kwargs in Builder(full=full).calls(fn):
                built = fn(**kwargs)
                if isinstance(built, OutgoingMessage):
                    blocks: Any = built.blocks
                elif isinstance(built, dict):
                    blocks = built.get("blocks")
                else:
                    blocks = built
                assert blockkit.problems(blocks) == [], name
                checked += 1
    assert checked > 150


def test_a_person_fills_pickers_as_slacks_view_submission_carries_them() -> None:
    view = {
        "blocks": [
            forms.timepicker("at", "At"),
            forms.datepicker("on", "On"),
            _input({"type": "datetimepicker", "initial_date_time": 1_800_000_000}, "when"),
            forms.select("pick", "Pick", [("a", "A"), ("b", "B")]),
            forms.grouped_select("zone", "Zone", [("Europe", [("Europe/Dublin", "Dublin")])]),
            _input({"type": "multi_static_select", "options": [_option("x"), _option("y")]}, "m"),
            _input({"type": "users_select"}, "who"),
            _input({"type": "multi_users_select"}, "whom"),
            forms.number_input("n", "N", initial=4),
        ]
    }
    answers = {
        "at": "18:00",
        "on": "2027-02-01",
        "pick": "b",
        "zone": "Europe/Dublin",
        "m": ["y"],
        "who": "U1",
        "whom": ["U1", "U2"],
    }
    values = fill(view, answers)
    got = {block: element["value"] for block, element in values.items()}
    assert got["at"] == {"type": "timepicker", "selected_time": "18:00"}
    assert got["on"] == {"type": "datepicker", "selected_date": "2027-02-01"}
    assert got["when"] == {"type": "datetimepicker", "selected_date_time": 1_800_000_000}
    assert got["pick"]["selected_option"]["value"] == "b"
    assert got["zone"]["selected_option"]["value"] == "Europe/Dublin"
    assert [o["value"] for o in got["m"]["selected_options"]] == ["y"]
    assert got["who"] == {"type": "users_select", "selected_user": "U1"}
    assert got["whom"] == {"type": "multi_users_select", "selected_users": ["U1", "U2"]}
    assert got["n"] == {"type": "number_input", "value": "4"}
    form = forms.Form(values)
    assert form.time_text("at") == "18:00"
    assert form.selected("zone") == "Europe/Dublin"
    assert form.text("n") == "4"
