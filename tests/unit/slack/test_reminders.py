"""The Block Kit of session reminders, their modals and confirmations."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from cobot.services import reminders as r
from cobot.services.reminders import Done
from cobot.services.reminders import ReminderNote
from cobot.services.reminders import SessionFacts
from cobot.services.reminders import Shared
from cobot.services.reminders import ShareForm
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.reminders import ACCESSIBILITY_DONE
from cobot.slack.blocks.reminders import PLAN_DONE
from cobot.slack.blocks.reminders import POST_NOTES
from cobot.slack.blocks.reminders import SHARE_AGENDA
from cobot.slack.blocks.reminders import agenda_modal
from cobot.slack.blocks.reminders import done_text
from cobot.slack.blocks.reminders import notes_modal
from cobot.slack.blocks.reminders import reminder_message
from cobot.slack.blocks.reminders import shared_text
from cobot.slack.blocks.reminders import without_buttons

START = datetime(2026, 3, 16, 10, tzinfo=UTC)


def facts(**overrides: object) -> SessionFacts:
    values: dict[str, object] = {
        "id": 42,
        "title": "Values <workshop>",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "venue": "Town hall",
        "objectives": "Agree our values.",
        "timezone": "Europe/London",
        "project_name": "Framework",
        "aims": "Co-produce a framework.",
    }
    values.update(overrides)
    return SessionFacts(**values)  # type: ignore[arg-type]


def note(kind: str, **overrides: object) -> ReminderNote:
    values: dict[str, object] = {
        "kind": kind,
        "target": "U1",
        "session": facts(),
        "deadline": START - timedelta(days=3),
        "facilitators": ("UF1", "UF2"),
        "participants": 2,
    }
    values.update(overrides)
    return ReminderNote(**values)  # type: ignore[arg-type]


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@pytest.mark.parametrize("kind", r.KINDS)
def test_every_reminder_is_valid_block_kit_with_the_aims_on_top(kind: str) -> None:
    extra: dict[str, object] = {}
    if kind in (r.AGENDA_SHARED, r.NOTES_SHARED):
        extra = {"text": "1. Welcome", "by": "UF1"}
    if kind == r.ONBOARDING:
        extra = {"onboarding": (("UP1", ("one-to-one briefing call",)),)}
    message = reminder_message(note(kind, **extra))
    assert message.text and "<!date" not in message.text and "*" not in message.text
    assert 0 < len(message.blocks) <= 50
    for block in message.blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    assert "Co-produce a framework." in message.blocks[0]["text"]["text"]
    shown = json.dumps(message.blocks)
    assert "<!date^1773655200^" in shown  # the start, in each reader's own zone
    assert "Values &lt;workshop&gt;" in shown  # people's text cannot become markup


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        (r.PLAN_NEXT, PLAN_DONE),
        (r.AGENDA_DUE, SHARE_AGENDA),
        (r.AGENDA_OVERDUE, SHARE_AGENDA),
        (r.ACCESSIBILITY, ACCESSIBILITY_DONE),
        (r.NOTES_DUE, POST_NOTES),
        (r.NOTES_OVERDUE, POST_NOTES),
    ],
)
def test_each_to_do_offers_its_button_carrying_only_the_session_id(kind: str, action: str) -> None:
    message = reminder_message(note(kind))
    assert buttons(message.blocks) == [(action, "42")]
    assert "Agree our values." in json.dumps(message.blocks)  # the session's objectives


@pytest.mark.parametrize("kind", [r.REMINDER_DAY, r.REMINDER_HOUR, r.AGENDA_SHARED, r.ONBOARDING])
def test_information_has_no_button(kind: str) -> None:
    assert buttons(reminder_message(note(kind, text="x", by="UF1")).blocks) == []


def test_the_coordinators_overdue_note_names_the_facilitators_without_a_button() -> None:
    message = reminder_message(note(r.AGENDA_OVERDUE, for_coordinator=True))
    assert buttons(message.blocks) == []
    assert "<@UF1>, <@UF2>" in json.dumps(message.blocks)


def test_accessibility_lists_the_case_studys_checklist() -> None:
    shown = json.dumps(reminder_message(note(r.ACCESSIBILITY)).blocks)
    for item in ("jargon", "slides with participants before", "Describe the slides"):
        assert item in shown
    assert "microphone" in shown and "state their name" in shown


def test_long_texts_are_cut_to_slacks_limits() -> None:
    message = reminder_message(
        note(r.AGENDA_SHARED, text="a" * 2900, by="UF1", session=facts(aims="b" * 5000))
    )
    for block in message.blocks:
        assert len(block["text"]["text"]) <= 3000


def test_day_reminder_carries_a_shared_agenda() -> None:
    shown = json.dumps(reminder_message(note(r.REMINDER_DAY, text="1. Welcome")).blocks)
    assert "Agenda and materials" in shown and "1. Welcome" in shown


def form(**overrides: object) -> ShareForm:
    values: dict[str, object] = {
        "session_id": 42,
        "title": "Values",
        "starts_at": START,
        "timezone": "Europe/London",
        "text": "",
        "shared_at": None,
        "shared_by": None,
        "recipients": 5,
    }
    values.update(overrides)
    return ShareForm(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("build", [agenda_modal, notes_modal])
def test_modals_are_valid_and_carry_only_the_session_id(
    build: Callable[[ShareForm], dict[str, Any]],
) -> None:
    first = build(form())
    View(**first).validate_json()
    assert first["private_metadata"] == "42"
    assert "initial_value" not in first["blocks"][1]["element"]
    assert "5 participants" in first["blocks"][0]["text"]["text"]
    again = build(form(text="old", shared_at=START, shared_by="UF1"))
    View(**again).validate_json()
    assert again["blocks"][1]["element"]["initial_value"] == "old"
    assert "already" in again["blocks"][0]["text"]["text"]
    assert again["submit"]["text"] == "Update"


def test_confirmations_say_who_gets_what() -> None:
    first = shared_text(Shared(42, "Values", True, 3, 3), what="agenda")
    assert "on its way to the 3 participants" in first
    again = shared_text(Shared(42, "Values", False, 0, 3), what="agenda")
    assert "not messaged again" in again and "on its way" not in again
    late = shared_text(Shared(42, "Values", False, 1, 4), what="agenda")
    assert "1 participant who did not have it yet" in late


def test_done_replaces_the_button_with_who_did_it() -> None:
    message = reminder_message(note(r.ACCESSIBILITY))
    line = done_text("Accessibility checklist", Done(42, "Values", START, False), "UF1")
    blocks = without_buttons(message.blocks, line)
    assert buttons(blocks) == []
    assert blocks[-1]["elements"][0]["text"] == line and "<@UF1>" in line
    assert "already done" in done_text("Planning", Done(42, "Values", START, True), "UF2")


def test_escape_keeps_text_from_becoming_mentions_or_links() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_a_reminder_sent_after_its_deadline_says_so() -> None:
    from dataclasses import replace as _replace

    from cobot.slack.blocks.reminders import headline

    note = _late_note_for_test()
    assert "are due to participants by" in headline(note)
    late = headline(_replace(note, late=True))
    assert "were due to participants by" in late and "as soon as you can" in late


def _late_note_for_test() -> ReminderNote:  # a minimal agenda_due note
    start = datetime(2027, 1, 12, 10, tzinfo=UTC)
    facts = r.SessionFacts(
        id=1,
        title="Workshop 1",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue="",
        objectives="",
        timezone="Europe/London",
        project_name="P",
        aims="",
    )
    return r.ReminderNote(
        kind=r.AGENDA_DUE, target="UF1", session=facts, deadline=start - timedelta(days=3)
    )


def test_shared_notes_are_plural_and_an_agenda_singular() -> None:
    """The demo read "The notes for Workshop 1 is on its way": notes are plural."""
    first = Shared(session_id=1, title="Workshop 1", first_time=True, messaged=8, recipients=8)
    assert shared_text(first, what="notes") == (
        ":white_check_mark: The notes for *Workshop 1* are on their way to the 8 participants."
    )
    assert shared_text(first, what="agenda") == (
        ":white_check_mark: The agenda for *Workshop 1* is on its way to the 8 participants."
    )
    again = Shared(session_id=1, title="Workshop 1", first_time=False, messaged=1, recipients=8)
    assert shared_text(again, what="notes") == (
        ":white_check_mark: The notes for *Workshop 1* are updated. Participants who already "
        "had them were not messaged again. They are on their way to 1 participant who did "
        "not have them yet."
    )
