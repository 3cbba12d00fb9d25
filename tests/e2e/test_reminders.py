"""Reminders end to end: DMs whose buttons and modals work the way Slack sends them."""

from __future__ import annotations

import json
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import StateValues
from cobot.sandbox.people import typed
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import reminders
from cobot.slack.blocks.reminders import ACCESSIBILITY_DONE
from cobot.slack.blocks.reminders import POST_NOTES
from cobot.slack.blocks.reminders import SHARE_AGENDA
from cobot.slack.blocks.reminders import TEXT_BLOCK
from cobot.slack.blocks.reminders import TEXT_INPUT
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from tests.seeds import add_project
from tests.seeds import add_session

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
FACILITATORS = ["UF1", "UF2"]
PARTICIPANTS = ["UPART", "UP2"]


@pytest.fixture
def people(stack: LocalStack) -> None:
    for user in ["UF1", "UF2", "UP2", "UTEAM"]:
        stack.emulator.add_user(user, name=user.lower())


def seed(
    stack: LocalStack, *, starts_in: timedelta, lead_times: dict[str, int] | None = None
) -> int:
    """A project (in UTC, so the real clock meets no DST change) and one planned session."""
    assert stack.runtime is not None
    now = datetime.now(UTC)
    members = [("UCOORD", "coordinator"), ("UTEAM", "project_team")]
    members += [(u, "practitioner") for u in FACILITATORS]
    members += [(u, "participant") for u in PARTICIPANTS]
    with transaction(stack.runtime.factory) as db:
        project = add_project(
            db,
            channel_id=CHANNEL,
            members=members,
            now=now,
            aims="Co-produce a recovery framework with people with lived experience.",
            lead_times=lead_times,
            onboarded=[u for u, _ in members],
        )
        row = add_session(
            db,
            project,
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=2),
            people=[(u, "facilitator") for u in FACILITATORS]
            + [(u, "participant") for u in PARTICIPANTS],
            now=now,
            venue="Town hall",
            objectives="Agree the values of the framework.",
        )
        return row.id


def written(text: str) -> StateValues:
    """The agenda or notes modal with `text` typed in."""
    return {TEXT_BLOCK: {TEXT_INPUT: typed(text)}}


def stored(stack: LocalStack, session_id: int) -> CoSession:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        row = db.get(CoSession, session_id)
        assert row is not None
        return row


def wait_until_sent(stack: LocalStack, kind: str, count: int, timeout: float = 15) -> None:
    """Wait until no delivery of `kind` is pending, then check exactly `count` were sent."""
    assert stack.runtime is not None
    deadline = time.monotonic() + timeout
    while True:
        with transaction(stack.runtime.factory) as db:
            statuses = list(db.scalars(select(Delivery.status).where(Delivery.kind == kind)))
        if statuses and all(status == "sent" for status in statuses):
            break
        assert time.monotonic() < deadline, f"{kind}: {statuses}"
        time.sleep(0.05)
    assert len(statuses) == count


def test_a_facilitator_shares_the_agenda_from_the_reminder_and_each_participant_gets_it_once(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    # two days ahead: the agenda deadline (3 days before) has passed, so it is asked for now
    session_id = seed(stack, starts_in=timedelta(days=2))
    reminder = driver.dm_with("UF1", SHARE_AGENDA)
    shown = json.dumps(reminder["blocks"])
    assert "Co-produce a recovery framework" in shown and "Agree the values" in shown
    assert "<!date^" in shown

    # a participant pressing it (say, forwarded to them) is refused and nothing opens
    driver.press("UPART", reminder, SHARE_AGENDA)
    emulator.wait_for("response_url", where=lambda c: "Only the facilitators" in str(c.args))
    assert "Only the facilitators" in emulator.ephemerals("UPART")[-1]["text"]
    assert emulator.open_views == []

    driver.press("UF1", reminder, SHARE_AGENDA)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    assert modal["private_metadata"] == str(session_id)
    result = driver.submit_modal(
        "UF1", modal, written("1. Welcome\n2. Our values: https://example.org/slides")
    )
    assert "errors" not in result
    assert emulator.open_views == []
    wait_until_sent(stack, "agenda_shared", 2)
    for participant in PARTICIPANTS:
        [agenda] = driver.dms(participant, "shared the agenda")
        assert "Our values: https://example.org/slides" in json.dumps(agenda)
        assert "Co-produce a recovery framework" in json.dumps(agenda["blocks"][0])
    row = stored(stack, session_id)
    assert (row.agenda_shared_by, row.agenda_shared_at is not None) == ("UF1", True)

    # the other facilitator shares again: the agenda is updated, nobody is messaged twice
    other = driver.dm_with("UF2", SHARE_AGENDA)
    driver.press("UF2", other, SHARE_AGENDA)
    emulator.wait_for("views.open", count=2)
    [modal] = emulator.open_views
    assert "already shared" in json.dumps(modal["blocks"])
    driver.submit_modal("UF2", modal, written("1. Welcome\n2. Our values, revised"))
    emulator.wait_for("chat.postMessage", where=lambda c: "not messaged again" in str(c.args))
    assert stored(stack, session_id).agenda_text == "1. Welcome\n2. Our values, revised"
    wait_until_sent(stack, "agenda_shared", 2)
    for participant in PARTICIPANTS:
        assert len(driver.dms(participant, "shared the agenda")) == 1


def test_an_empty_agenda_is_refused_in_the_modal(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    session_id = seed(stack, starts_in=timedelta(days=2))
    reminder = driver.dm_with("UF1", SHARE_AGENDA)
    driver.press("UF1", reminder, SHARE_AGENDA)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    result = driver.submit_modal("UF1", modal, written("   "))
    assert result["response_action"] == "errors"
    assert TEXT_BLOCK in result["errors"]
    assert len(emulator.open_views) == 1  # still open, for the facilitator to fix
    assert stored(stack, session_id).agenda_shared_at is None


def test_the_project_team_posts_the_notes_and_each_participant_gets_them_once(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    # a session that ended an hour ago, with notes due straight after it
    session_id = seed(stack, starts_in=-timedelta(hours=3), lead_times={"notes_after": 0})
    reminder = driver.dm_with("UTEAM", POST_NOTES)
    for count, outsider in enumerate(("UPART", "UF1"), start=1):
        driver.press(outsider, reminder, POST_NOTES)
        emulator.wait_for(
            "response_url", count=count, where=lambda c: "project team" in str(c.args)
        )
        assert "Only the project team" in emulator.ephemerals(outsider)[-1]["text"]
    assert emulator.open_views == []

    driver.press("UTEAM", reminder, POST_NOTES)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    driver.submit_modal("UTEAM", modal, written("We agreed five values."))
    wait_until_sent(stack, "notes_shared", 2)
    for participant in PARTICIPANTS:
        [notes] = driver.dms(participant, "The notes from")
        assert "We agreed five values." in json.dumps(notes)
    row = stored(stack, session_id)
    assert (row.notes_text, row.notes_posted_by) == ("We agreed five values.", "UTEAM")
    # the second nudge (a day later) will render nothing: the notes are posted
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        nudge = db.scalar(select(Delivery).where(Delivery.kind == "notes_overdue"))
        assert nudge is not None and nudge.status == "scheduled"
        assert reminders.build_note(db, nudge, now=datetime.now(UTC)) is None


def test_accessibility_done_from_the_day_before_reminder(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    # a day and a few seconds ahead: the day-before reminders fire within seconds
    session_id = seed(stack, starts_in=timedelta(days=1, seconds=3))
    reminder = driver.dm_with("UF2", ACCESSIBILITY_DONE)
    assert "microphone" in json.dumps(reminder["blocks"])
    day_before = driver.dm_with("UPART", "A reminder")
    assert "Co-produce a recovery framework" in json.dumps(day_before["blocks"][0])

    driver.press("UPART", reminder, ACCESSIBILITY_DONE)
    emulator.wait_for("response_url", where=lambda c: "Only the facilitators" in str(c.args))
    assert stored(stack, session_id).accessibility_done_at is None

    driver.press("UF2", reminder, ACCESSIBILITY_DONE)
    emulator.wait_for("response_url", where=lambda c: "done by" in json.dumps(c.args))
    assert stored(stack, session_id).accessibility_done_at is not None
    [updated] = [m for m in emulator.messages("UF2") if m["ts"] == reminder["ts"]]
    assert ACCESSIBILITY_DONE not in json.dumps(updated["blocks"])
    assert "done by <@UF2>" in json.dumps(updated["blocks"])


def test_cancelling_a_session_through_sessions_cancels_every_reminder(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    session_id = seed(stack, starts_in=timedelta(days=10))
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        kinds = {
            row.kind
            for row in db.scalars(select(Delivery).where(Delivery.subject_id == session_id)).all()
        }
    assert {"agenda_due", "accessibility", "reminder_day", "reminder_hour", "notes_due"} <= kinds
    stack.runtime.sessions.cancel(team_id=TEAM, user_id="UCOORD", session_id=session_id)
    with transaction(stack.runtime.factory) as db:
        statuses = {
            row.status
            for row in db.scalars(
                select(Delivery).where(
                    Delivery.subject_type == "session", Delivery.subject_id == session_id
                )
            ).all()
        }
    assert statuses == {"cancelled"}
