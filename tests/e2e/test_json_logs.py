"""COBOT_LOG_FORMAT=json at DEBUG: one JSON object per line, and no personal text in any of
them, while a check-in note and debrief answers travel through the emulator (and an error
quoting one is logged)."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.sandbox.people import Driver
from cobot.sandbox.people import chosen
from cobot.sandbox.people import state
from cobot.sandbox.people import typed
from cobot.sandbox.stack import LocalStack
from cobot.slack.blocks import checkins as checkin_blocks
from cobot.slack.blocks.debriefs import OPEN_DEBRIEF
from cobot.slack.blocks.debriefs import VALUE
from cobot.storage.db import transaction
from tests.e2e.test_checkins import check_in
from tests.e2e.test_checkins import switch_on
from tests.seeds import add_project
from tests.seeds import add_session

CHANNEL = "C0PROJ"
NOTE = "my sister's illness is back, zq81"
WENT_WELL = "Dana spoke about her diagnosis, zq82"
FEELING = "anxious after the ward visit, zq83"
PLANTED = (NOTE, WENT_WELL, FEELING, "zq8")


def test_json_logs_at_debug_hold_no_personal_text(
    json_logs: io.StringIO, driver: Driver, stack: LocalStack
) -> None:
    assert stack.runtime is not None
    for user in ("UF1", "UF2", "UCARE"):
        stack.emulator.add_user(user, name=user.lower())
    members = [("UCOORD", "coordinator"), ("UF1", "practitioner"), ("UF2", "practitioner")]
    members.append(("UPART", "participant"))
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        project = add_project(db, channel_id=CHANNEL, members=members, now=now)
        add_session(
            db,
            project,
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(seconds=1),
            people=[("UF1", "facilitator"), ("UF2", "facilitator"), ("UPART", "participant")],
            now=now,
        )

    # a check-in note, typed into its modal
    switch_on(driver)
    answered = check_in(stack, driver, "UPART", 2)
    modal = driver.open_modal("UPART", answered, checkin_blocks.NOTE)
    assert "errors" not in driver.submit_modal("UPART", modal, state("input", note=typed(NOTE)))
    driver.dm_with("UPART", "note is saved")

    # a debrief, once the session has ended
    prompt = driver.dm_with("UF1", OPEN_DEBRIEF)
    modal = driver.open_modal("UF1", prompt, OPEN_DEBRIEF)
    answers = {
        "went_well": {VALUE: typed(WENT_WELL)},
        "feeling": {VALUE: chosen("2", "radio_buttons")},
        "feeling_words": {VALUE: typed(FEELING)},
    }
    assert "errors" not in driver.submit_modal("UF1", modal, answers)
    driver.dm_with("UF1", "is saved")
    # reopened, the modal carries the answers back to Slack (a body the Web API client logs
    # at DEBUG, were it allowed to)
    reopened = driver.open_modal("UF1", prompt, OPEN_DEBRIEF)
    assert WENT_WELL in json.dumps(reopened["blocks"])

    # an error whose message quotes personal text is logged by its type and stack only
    try:
        raise ValueError(f"could not store {NOTE!r}")
    except ValueError:
        logging.getLogger("cobot.test").exception("storing an answer failed")

    lines = json_logs.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(records) > 10
    assert {"time", "level", "logger", "message"} <= set(records[0])
    failed = [r for r in records if r["message"] == "storing an answer failed"]
    assert failed and failed[0]["exc_type"] == "ValueError" and failed[0]["stack"]
    assert any(r["logger"].startswith("cobot.services") for r in records)
    assert any(r["level"] == "DEBUG" for r in records)
    everything = json_logs.getvalue()
    for planted in PLANTED:
        assert planted not in everything, planted
