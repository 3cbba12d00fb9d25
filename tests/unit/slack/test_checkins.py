"""Check-in Block Kit: Slack's limits, plain words, and only what was shared."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from cobot.domain import checkins as rules
from cobot.services.checkins import Answer
from cobot.services.checkins import ContactForm
from cobot.services.checkins import ContactNote
from cobot.services.checkins import ContactRequested
from cobot.services.checkins import NoteForm
from cobot.services.checkins import PersonSettings
from cobot.services.checkins import Prompt
from cobot.services.checkins import SetupForm
from cobot.slack.blocks import checkins as blocks

PROMPT = Prompt(1, "Framework", True, ("UCARE",), 90, "10:00", (0, 1, 2, 3, 4), "Europe/London")


def walk(value: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found.extend(walk(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(walk(item))
    return found


def within_limits(items: list[dict[str, Any]], *, modal: bool = False) -> None:
    assert len(items) <= (100 if modal else 50)
    for obj in walk(items):
        if obj.get("type") == "section":
            assert len(obj["text"]["text"]) <= 3000
        if obj.get("type") == "button":
            assert len(obj["text"]["text"]) <= 75


def test_the_consent_message_explains_in_plain_words_before_asking() -> None:
    message = blocks.checkin_message(PROMPT)
    within_limits(message.blocks)
    shown = json.dumps(message.blocks)
    for words in ("What is collected", "Who sees what", "How to stop", "I agree", "No thanks"):
        assert words.lower() in shown.lower()
    assert "<@UCARE>" in shown and "90 days" in shown


def test_the_question_has_five_moods_in_words_and_one_click_controls() -> None:
    message = blocks.checkin_message(PROMPT.__class__(**{**PROMPT.__dict__, "consent": False}))
    within_limits(message.blocks)
    labels = [o["text"]["text"] for o in walk(message.blocks) if o.get("type") == "button"]
    for mood, word in rules.MOODS.items():
        assert any(f"{mood} {word}" in label for label in labels)
    assert {"Not today", "Stop check-ins"} <= set(labels)


def test_support_only_after_a_low_answer() -> None:
    low = Answer(1, 2, False, True, False, "Call Sam", True, "Framework")
    fine = Answer(1, 4, False, False, False, "", True, "Framework")
    assert "Call Sam" in json.dumps(blocks.answered_message(low).blocks)
    assert "Who you can talk to" not in json.dumps(blocks.answered_message(fine).blocks)


def test_the_contact_message_holds_only_the_shared_parts() -> None:
    when = datetime(2026, 3, 2, 10, tzinfo=UTC)
    bare = blocks.contact_message(ContactNote("F", "UP1", when, "UTC", None, None, None))
    shown = json.dumps(bare.blocks)
    assert "<@UP1>" in shown and "How they feel" not in shown and "note" not in shown.lower()
    full = blocks.contact_message(ContactNote("F", "UP1", when, "UTC", 2, "n<x>", "m"))
    assert "2 Low" in json.dumps(full.blocks) and "n&lt;x&gt;" in json.dumps(full.blocks)


def test_modals_fit_slacks_limits() -> None:
    settings = PersonSettings(1, "F", "active", "10:00", (0,), True, date(2026, 5, 1), "UTC", None)
    setup = SetupForm(1, "F", True, ("participant",), "weekly", "x", 90, ("UCARE",))
    for modal in (
        blocks.note_modal(NoteForm(1, "n")),
        blocks.contact_modal(ContactForm(1, ("UCARE",), 2, True)),
        blocks.pause_modal(1),
        blocks.settings_modal(settings),
        blocks.setup_modal(setup),
    ):
        assert len(modal["title"]["text"]) <= 24
        within_limits(modal["blocks"], modal=True)


def test_what_the_contact_will_see_reads_as_a_sentence() -> None:
    """The demo read "with how you feel today, your message": a list ends in "and"."""
    both = blocks.contact_requested_text(ContactRequested(("UCARE",), True, False, True))
    assert "get in touch, with how you feel today and your message. Nobody" in both
    three = blocks.contact_requested_text(ContactRequested(("UCARE",), True, True, True))
    assert "with how you feel today, your note and your message." in three
    none = blocks.contact_requested_text(ContactRequested(("UCARE",), False, False, False))
    assert "asking them to get in touch, and nothing else. Nobody else is told." in none
