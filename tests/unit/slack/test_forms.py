"""The form builders and their readers agree: what a builder makes, `Form` reads back by
block id, as Slack would send it in view.state.values."""

from __future__ import annotations

from datetime import date
from datetime import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobot.services.access import AccessError
from cobot.slack import kit
from cobot.slack.blocks import forms


def submitted(block: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """view.state.values for one input block, keyed as Slack keys them: block id, then the
    element's action id."""
    return {block["block_id"]: {block["element"]["action_id"]: state}}


@given(st.text(max_size=200))
def test_a_text_input_reads_back_what_was_typed(typed: str) -> None:
    block = forms.text_input("aims", "Aims", "draft", multiline=True, max_length=300)
    assert block["element"]["initial_value"] == "draft"
    read = forms.Form(submitted(block, {"type": "plain_text_input", "value": typed}))
    assert read.text("aims") == typed


def test_each_input_kind_reads_back_under_its_own_action_id() -> None:
    day, start = date(2027, 3, 1), time(9, 30)
    cases: list[tuple[dict[str, Any], dict[str, Any], str, object]] = [
        (forms.datepicker("day", "Day", initial=day), {"selected_date": "2027-03-01"}, "date", day),
        (forms.timepicker("at", "At", initial=start), {"selected_time": "09:30"}, "time", start),
        (
            forms.select("rhythm", "Rhythm", [("weekly", "Weekly")], initial="weekly"),
            {"selected_option": {"value": "weekly"}},
            "selected",
            "weekly",
        ),
        (
            forms.checkboxes("days", "Days", [("1", "Mon"), ("2", "Tue")], checked=frozenset("2")),
            {"selected_options": [{"value": "1"}, {"value": "2"}]},
            "checked",
            ["1", "2"],
        ),
        (
            forms.users_select("people", "People", initial=("U1",)),
            {"selected_users": ["U1", "U2"]},
            "users",
            ("U1", "U2"),
        ),
    ]
    for block, state, reader, expected in cases:
        assert getattr(forms.Form(submitted(block, state)), reader)(block["block_id"]) == expected
        # a feature that keeps its own action id reads with it, and not with another
        own = forms.input_block(block["block_id"], "x", block["element"], action_id="input")
        assert getattr(forms.Form(submitted(own, state), "input"), reader)(own["block_id"]) == (
            expected
        )
        assert getattr(forms.Form(submitted(own, state)), reader)(own["block_id"]) in (
            "",
            [],
            (),
            None,
        )


def test_forged_or_missing_values_read_as_empty() -> None:
    form = forms.Form({"day": {"value": {"selected_date": "2027-02-30"}}, "x": {"value": "no"}})
    assert form.date("day") is None
    assert form.text("x") == "" and form.checked("missing") == [] and form.time("x") is None
    assert forms.Form({"r": {"value": {"selected_option": {"value": 3}}}}).selected("r") == ""


@pytest.mark.parametrize("raw", ["", "x", "12a", "¹²", "9" * 13, str(2**31), None, "-1"])
def test_a_stale_or_forged_id_is_one_refusal(raw: object) -> None:
    with pytest.raises(kit.Stale) as raised:
        kit.stale_id(raw)
    assert isinstance(raised.value, AccessError) and raised.value.message == kit.STALE
    with pytest.raises(kit.Stale, match="run the command again"):
        kit.stale_id(raw, "Out of date: run the command again.")
    assert kit.stale_id("42") == 42


def test_field_errors_prefer_the_services_fields_and_rename_them() -> None:
    class Fields(AccessError):
        def __init__(self) -> None:
            super().__init__("Two things.")
            self.errors = {"celebration": "Pick a day.", "name": "Too long."}

    assert kit.field_errors(AccessError("No."), "title") == {"title": "No."}
    assert kit.field_errors(Fields(), "title", {"celebration": "celebration_day"}) == {
        "celebration_day": "Pick a day.",
        "name": "Too long.",
    }
    assert kit.field_errors(kit.FormError({"date": "Pick a date."}), "title") == {
        "date": "Pick a date."
    }


def test_a_mention_reads_back_as_its_user() -> None:
    assert kit.mentioned_user(kit.mention("U123")) == "U123"
    assert kit.mentioned_user("<@W9|sam>") == "W9"
    assert kit.mentioned_user("@sam") is None and kit.mentioned_user("<@U1> x") is None
