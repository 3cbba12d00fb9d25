"""Debrief Block Kit: within Slack's limits, and never showing what must stay private."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.domain.debriefs import DEFAULT_QUESTIONS
from cobot.domain.debriefs import spread
from cobot.services.debriefs import ActionView
from cobot.services.debriefs import Collated
from cobot.services.debriefs import DebriefForm
from cobot.services.debriefs import FeedbackDigestNote
from cobot.services.debriefs import PromptNote
from cobot.services.debriefs import SessionFacts
from cobot.services.debriefs import SummaryNote
from cobot.slack.blocks.debriefs import OPEN_DEBRIEF
from cobot.slack.blocks.debriefs import SKIP_DEBRIEF
from cobot.slack.blocks.debriefs import debrief_message
from cobot.slack.blocks.debriefs import debrief_modal
from cobot.slack.listeners.debriefs import read_debrief

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
FACTS = SessionFacts(1, "Our <values>", START, START + timedelta(hours=2), "Europe/London", "P")


def test_the_prompt_offers_the_debrief_and_a_skip() -> None:
    message = debrief_message(PromptNote(FACTS, START + timedelta(days=1), nudge=False))
    shown = json.dumps(message.blocks)
    assert OPEN_DEBRIEF in shown and SKIP_DEBRIEF in shown and "&lt;values&gt;" in shown
    assert "<!date^" not in message.text


def test_a_long_summary_stays_within_slack_limits() -> None:
    many = tuple("x" * 1900 for _ in range(80))
    collated = Collated(
        FACTS,
        debriefed=("UF1",),
        skipped=(),
        missing=(),
        went_well=many,
        change=many,
        voices=many,
        actions=(ActionView(1, "UTEAM", "Book <room>", "s"),),
    )
    message = debrief_message(SummaryNote(collated, DEFAULT_QUESTIONS))
    assert len(message.blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks if b["type"] == "section")


def test_the_digest_has_no_spread_below_three() -> None:
    note = FeedbackDigestNote(FACTS, 2, 5, spread([1, 5]), (("tea", None),), ())
    shown = json.dumps(debrief_message(note).blocks, ensure_ascii=False)
    assert "too few to show the spread" in shown and "█" not in shown


def test_the_modal_round_trips_through_the_state_slack_sends() -> None:
    form = DebriefForm(
        session=FACTS,
        questions=DEFAULT_QUESTIONS,
        went_well="ok",
        dev=(("UF2", "pace"),),
        feeling=4,
        actions=(("UTEAM", "room"),),
        editing=True,
    )
    modal = debrief_modal(form)
    assert len(modal["blocks"]) <= 100 and len(modal["title"]["text"]) <= 24
    values = {}
    for block in modal["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        state = {"type": element["type"]}
        if "initial_value" in element:
            state["value"] = element["initial_value"]
        if "initial_user" in element:
            state["selected_user"] = element["initial_user"]
        if "initial_option" in element:
            state["selected_option"] = element["initial_option"]
        values[block["block_id"]] = {element["action_id"]: state}
    data = read_debrief(values)
    assert data.went_well == "ok" and data.feeling == 4
    assert data.dev[0] == ("UF2", "pace") and data.actions[0] == ("UTEAM", "room")
