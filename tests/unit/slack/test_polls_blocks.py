"""A poll's messages at their largest fit Slack's limits whole: MAX_SLOTS slots, the longest
title, 40 people's longest notes (split across sections, never cut)."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.domain.polls import MAX_NOTE
from cobot.domain.polls import MAX_SLOTS
from cobot.domain.polls import MAX_TITLE
from cobot.domain.polls import Answer
from cobot.domain.polls import Counts
from cobot.domain.polls import PollPurpose
from cobot.domain.polls import PollStatus
from cobot.services.polls import Choice
from cobot.services.polls import Invitation
from cobot.services.polls import NoteLine
from cobot.services.polls import Proposal
from cobot.services.polls import SlotLine
from cobot.services.polls import Tally
from cobot.services.polls import TallyRow
from cobot.slack.blocks.polls import choice_blocks
from cobot.slack.blocks.polls import invitation_blocks
from cobot.slack.blocks.polls import notes_modal
from cobot.slack.blocks.polls import tally_blocks

START = datetime(2027, 3, 1, 10, tzinfo=UTC)
TITLE = "T" * MAX_TITLE
TWO = timedelta(hours=2)


def _fits(blocks: list[dict[str, object]], limit: int = 50) -> None:
    assert len(blocks) <= limit
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(str(text.get("text", ""))) <= 3000
            assert "\u2026" not in str(text.get("text", ""))


def test_the_largest_invitation_and_tally_fit_one_message() -> None:
    slots = tuple(
        SlotLine(n, START + timedelta(hours=n), START + timedelta(hours=n) + TWO, answer)
        for n, answer in zip(
            range(MAX_SLOTS), [Answer.PROBABLY_NO, Answer.YES] * MAX_SLOTS, strict=False
        )
    )
    invitation = Invitation(
        poll_id=1, user_id="U1", title=TITLE, purpose=PollPurpose.WORKSHOP, project_name=TITLE,
        by="UC", timezone="America/New_York", duration=TWO, closes_at=START,
        status=PollStatus.OPEN, slots=slots, has_note=True, moving_title=TITLE,
    )  # fmt: skip
    blocks = invitation_blocks(invitation)
    _fits(blocks)
    assert sum(1 for b in blocks if "accessory" in b) == MAX_SLOTS
    rows = tuple(
        TallyRow(n, s.starts_at, s.ends_at, Counts(20, 20, 20, 20), Counts(99, 99, 99, 99))
        for n, s in enumerate(slots)
    )
    tally = Tally(
        poll_id=1, title=TITLE, purpose=PollPurpose.WORKSHOP, project_name=TITLE,
        timezone="Europe/London", status=PollStatus.OPEN, closes_at=START, asked=400,
        answered=300, notes=40, rows=rows, created_by="UC",
    )  # fmt: skip
    _fits(tally_blocks(tally))


def test_the_ranking_with_every_warning_fits() -> None:
    warning = "W" * 1500
    proposals = tuple(
        Proposal(n, START, START + TWO, ("r" * 200,) * 4, (warning, warning, warning))
        for n in range(3)
    )
    choice = Choice(1, TITLE, PollPurpose.WORKSHOP, "Europe/London", PollStatus.CLOSED, 40, 40,
                    proposals)  # fmt: skip
    _fits(choice_blocks(choice))


def test_forty_long_notes_are_split_never_cut() -> None:
    notes = [NoteLine(f"U{n:02d}", f"{n:02d}" + "x" * (MAX_NOTE - 2)) for n in range(40)]
    modal = notes_modal(TITLE, notes)
    _fits(modal["blocks"], limit=100)
    said = json.dumps(modal)
    assert all(f"{n:02d}" + "x" * (MAX_NOTE - 2) in said for n in range(40))
