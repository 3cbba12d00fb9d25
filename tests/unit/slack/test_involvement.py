"""Involvement blocks: the register splits big groups across checkbox inputs (Slack allows 10
options in one), keeps who was marked absent unticked, and reads back what was ticked."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.domain.sessions import SessionFacts
from cobot.services.involvement import RegisterForm
from cobot.slack.blocks.involvement import EXTRA
from cobot.slack.blocks.involvement import PRESENT
from cobot.slack.blocks.involvement import register_modal
from cobot.slack.listeners.involvement import read_register

START = datetime(2027, 3, 4, 10, 0, tzinfo=UTC)


def test_a_register_of_23_people_is_three_checkbox_inputs_and_reads_back() -> None:
    people = [f"UP{i:02d}" for i in range(23)]
    form = RegisterForm(
        session=SessionFacts(1, "Big group", START, START + timedelta(hours=2), "UTC", "P"),
        expected=tuple((u, "participant") for u in people),
        present=frozenset(people) - {"UP05"},
        extra=("UX1",),
        saved_by=None,
        editable_until=START + timedelta(days=7),
    )
    modal = register_modal(form)
    inputs = [b for b in modal["blocks"] if b.get("block_id", "").startswith(PRESENT)]
    assert [len(b["element"]["options"]) for b in inputs] == [10, 10, 3]
    ticked = [o["value"] for b in inputs for o in b["element"].get("initial_options", [])]
    assert len(ticked) == 22 and "UP05" not in ticked
    assert all(o["text"]["type"] == "mrkdwn" for b in inputs for o in b["element"]["options"])
    assert len(modal["blocks"]) <= 100
    extra = next(b for b in modal["blocks"] if b.get("block_id") == EXTRA)
    assert extra["element"]["initial_users"] == ["UX1"]

    values = {
        f"{PRESENT}1": {"value": {"selected_options": [{"value": "UP00"}, {"value": "UP01"}]}},
        f"{PRESENT}3": {"value": {"selected_options": [{"value": "UP22"}]}},
        EXTRA: {"value": {"selected_users": ["UX1"]}},
    }
    assert read_register(values) == (["UP00", "UP01", "UP22"], ("UX1",))
