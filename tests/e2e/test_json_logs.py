"""COBOT_LOG_FORMAT=json at DEBUG: one JSON object per line, and no personal text in any of
them, while a check-in note and debrief answers travel through the emulator (and an error
quoting one is logged)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cobot.logs import BODY_LOGGERS, configure_logging
from cobot.sandbox.people import Driver, chosen, state, ticked, typed
from cobot.sandbox.stack import LocalStack
from cobot.slack.blocks import checkins as checkin_blocks
from cobot.slack.blocks.debriefs import OPEN_DEBRIEF, VALUE
from cobot.storage.db import transaction
from tests.seeds import add_project, add_session

CHANNEL = "C0PROJ"
NOTE = "my sister's illness is back, zq81"
WENT_WELL = "Dana spoke about her diagnosis, zq82"
FEELING = "anxious after the ward visit, zq83"
PLANTED = (NOTE, WENT_WELL, FEELING, "zq8")


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What `cobot run` logs with COBOT_LOG_FORMAT=json COBOT_LOG_LEVEL=DEBUG."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "apscheduler", *BODY_LOGGERS)}
    out = io.StringIO()
    handler = configure_logging("DEBUG", fmt="json", stream=out)
    yield out
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)


def test_json_logs_at_debug_hold_no_personal_text(
    logs: io.StringIO, driver: Driver, stack: LocalStack
) -> None:
    assert stack.runtime is not None
    for user in ("UF1", "UF2"):
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
        project_id = project.id

    # a check-in note, typed into its modal
    modal = driver.command_modal("UCOORD", "checkin setup", channel_id=CHANNEL)
    values = state(
        "input",
        enabled=ticked("yes"),
        roles=ticked("participant", "practitioner"),
        rhythm=chosen("weekly"),
        support=typed("Talk to Sam."),
        retention=typed("90"),
    )
    assert "errors" not in driver.submit_modal("UCOORD", modal, values)
    stack.runtime.checkins.send_now(project_id=project_id, user_id="UPART")
    consent = driver.dm_with("UPART", checkin_blocks.CONSENT_YES)
    driver.press("UPART", consent, checkin_blocks.CONSENT_YES)
    question = driver.wait_replaced("UPART", consent["ts"], "How are you feeling today?")
    driver.press("UPART", question, f"{checkin_blocks.MOOD_PREFIX}2")
    answered = driver.wait_replaced("UPART", consent["ts"], "You answered")
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

    lines = logs.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(records) > 10
    assert {"time", "level", "logger", "message"} <= set(records[0])
    failed = [r for r in records if r["message"] == "storing an answer failed"]
    assert failed and failed[0]["exc_type"] == "ValueError" and failed[0]["stack"]
    assert any(r["logger"].startswith("cobot.services") for r in records)
    assert any(r["level"] == "DEBUG" for r in records)
    everything = logs.getvalue()
    for planted in PLANTED:
        assert planted not in everything, planted
