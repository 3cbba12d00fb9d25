"""Reminders end to end: DMs whose buttons and modals work the way Slack sends them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import reminders
from cobot.slack.blocks.reminders import (
    ACCESSIBILITY_DONE,
    POST_NOTES,
    SHARE_AGENDA,
    TEXT_BLOCK,
    TEXT_INPUT,
)
from cobot.storage.db import transaction
from cobot.storage.models import CoSession, Delivery, Member, Project, SessionPerson

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
    with transaction(stack.runtime.factory) as db:
        project = Project(
            team_id=TEAM,
            channel_id=CHANNEL,
            name="Recovery framework",
            aims="Co-produce a recovery framework with people with lived experience.",
            timezone="UTC",
            lead_times=lead_times or {},
            created_by="UCOORD",
            created_at=now,
            updated_at=now,
        )
        members = [("UCOORD", "coordinator"), ("UTEAM", "project_team")]
        members += [(u, "practitioner") for u in FACILITATORS]
        members += [(u, "participant") for u in PARTICIPANTS]
        project.members = [
            Member(
                user_id=u,
                role=r,
                added_by="UCOORD",
                added_at=now,
                briefing_done_at=now,
                training_done_at=now,
                access_needs_done_at=now,
            )
            for u, r in members
        ]
        db.add(project)
        db.flush()
        starts_at = now + starts_in
        row = CoSession(
            project_id=project.id,
            title="Our values",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            venue="Town hall",
            objectives="Agree the values of the framework.",
            status="scheduled",
            revision=1,
            created_by="UCOORD",
            created_at=now,
            updated_at=now,
        )
        row.people = [SessionPerson(user_id=u, role="facilitator") for u in FACILITATORS] + [
            SessionPerson(user_id=u, role="participant") for u in PARTICIPANTS
        ]
        db.add(row)
        db.flush()
        reminders.plan_session(db, project=project, cosession=row, now=now)
        return row.id


def with_button(emulator: SlackEmulator, user: str, action_id: str) -> dict[str, Any]:
    """Wait for the DM to `user` carrying the button `action_id`, and return that message."""

    def carries(call: Any) -> bool:
        return call.args.get("channel") == user and action_id in json.dumps(call.args)

    emulator.wait_for("chat.postMessage", where=carries, timeout=15)
    return next(m for m in emulator.messages(user) if action_id in json.dumps(m.get("blocks")))


def press(
    slack: SlackClient, emulator: SlackEmulator, user: str, message: dict[str, Any], action: str
) -> None:
    button = next(
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action
    )
    result = slack.block_actions(
        user_id=user,
        actions=[{"action_id": action, "value": button["value"], "type": "button"}],
        message=message,
        channel_id=emulator.im_channel(user),
    )
    assert result.status == 200, result.text


def submit(slack: SlackClient, user: str, view: dict[str, Any], text: str) -> Any:
    values = {TEXT_BLOCK: {TEXT_INPUT: {"type": "plain_text_input", "value": text}}}
    result = slack.view_submission(user_id=user, view=view, values=values)
    assert result.status == 200, result.text
    return result


def dms(emulator: SlackEmulator, user: str, words: str) -> list[dict[str, Any]]:
    return [m for m in emulator.messages(user) if words in json.dumps(m)]


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
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    # two days ahead: the agenda deadline (3 days before) has passed, so it is asked for now
    session_id = seed(stack, starts_in=timedelta(days=2))
    reminder = with_button(emulator, "UF1", SHARE_AGENDA)
    shown = json.dumps(reminder["blocks"])
    assert "Co-produce a recovery framework" in shown and "Agree the values" in shown
    assert "<!date^" in shown

    # a participant pressing it (say, forwarded to them) is refused and nothing opens
    press(slack, emulator, "UPART", reminder, SHARE_AGENDA)
    emulator.wait_for("response_url", where=lambda c: "Only the facilitators" in str(c.args))
    assert "Only the facilitators" in emulator.ephemerals("UPART")[-1]["text"]
    assert emulator.open_views == []

    press(slack, emulator, "UF1", reminder, SHARE_AGENDA)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    assert modal["private_metadata"] == str(session_id)
    result = submit(slack, "UF1", modal, "1. Welcome\n2. Our values: https://example.org/slides")
    assert "errors" not in result.text
    assert emulator.open_views == []
    wait_until_sent(stack, "agenda_shared", 2)
    for participant in PARTICIPANTS:
        [agenda] = dms(emulator, participant, "shared the agenda")
        assert "Our values: https://example.org/slides" in json.dumps(agenda)
        assert "Co-produce a recovery framework" in json.dumps(agenda["blocks"][0])
    row = stored(stack, session_id)
    assert (row.agenda_shared_by, row.agenda_shared_at is not None) == ("UF1", True)

    # the other facilitator shares again: the agenda is updated, nobody is messaged twice
    other = with_button(emulator, "UF2", SHARE_AGENDA)
    press(slack, emulator, "UF2", other, SHARE_AGENDA)
    emulator.wait_for("views.open", count=2)
    [modal] = emulator.open_views
    assert "already shared" in json.dumps(modal["blocks"])
    submit(slack, "UF2", modal, "1. Welcome\n2. Our values, revised")
    emulator.wait_for("chat.postMessage", where=lambda c: "not messaged again" in str(c.args))
    assert stored(stack, session_id).agenda_text == "1. Welcome\n2. Our values, revised"
    wait_until_sent(stack, "agenda_shared", 2)
    for participant in PARTICIPANTS:
        assert len(dms(emulator, participant, "shared the agenda")) == 1


def test_an_empty_agenda_is_refused_in_the_modal(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    session_id = seed(stack, starts_in=timedelta(days=2))
    reminder = with_button(emulator, "UF1", SHARE_AGENDA)
    press(slack, emulator, "UF1", reminder, SHARE_AGENDA)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    result = submit(slack, "UF1", modal, "   ")
    assert result.json()["response_action"] == "errors"
    assert TEXT_BLOCK in result.json()["errors"]
    assert len(emulator.open_views) == 1  # still open, for the facilitator to fix
    assert stored(stack, session_id).agenda_shared_at is None


def test_the_project_team_posts_the_notes_and_each_participant_gets_them_once(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    # a session that ended an hour ago, with notes due straight after it
    session_id = seed(stack, starts_in=-timedelta(hours=3), lead_times={"notes_after": 0})
    reminder = with_button(emulator, "UTEAM", POST_NOTES)
    for count, outsider in enumerate(("UPART", "UF1"), start=1):
        press(slack, emulator, outsider, reminder, POST_NOTES)
        emulator.wait_for(
            "response_url", count=count, where=lambda c: "project team" in str(c.args)
        )
        assert "Only the project team" in emulator.ephemerals(outsider)[-1]["text"]
    assert emulator.open_views == []

    press(slack, emulator, "UTEAM", reminder, POST_NOTES)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    submit(slack, "UTEAM", modal, "We agreed five values.")
    wait_until_sent(stack, "notes_shared", 2)
    for participant in PARTICIPANTS:
        [notes] = dms(emulator, participant, "The notes from")
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
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, people: None
) -> None:
    # a day and a few seconds ahead: the day-before reminders fire within seconds
    session_id = seed(stack, starts_in=timedelta(days=1, seconds=3))
    reminder = with_button(emulator, "UF2", ACCESSIBILITY_DONE)
    assert "microphone" in json.dumps(reminder["blocks"])
    day_before = first_dm_with(emulator, "UPART", "A reminder")
    assert "Co-produce a recovery framework" in json.dumps(day_before["blocks"][0])

    press(slack, emulator, "UPART", reminder, ACCESSIBILITY_DONE)
    emulator.wait_for("response_url", where=lambda c: "Only the facilitators" in str(c.args))
    assert stored(stack, session_id).accessibility_done_at is None

    press(slack, emulator, "UF2", reminder, ACCESSIBILITY_DONE)
    emulator.wait_for("response_url", where=lambda c: "done by" in json.dumps(c.args))
    assert stored(stack, session_id).accessibility_done_at is not None
    [updated] = [m for m in emulator.messages("UF2") if m["ts"] == reminder["ts"]]
    assert ACCESSIBILITY_DONE not in json.dumps(updated["blocks"])
    assert "done by <@UF2>" in json.dumps(updated["blocks"])


def first_dm_with(emulator: SlackEmulator, user: str, words: str) -> dict[str, Any]:
    """Wait for a DM to `user` containing `words`."""
    emulator.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("channel") == user and words in json.dumps(c.args),
        timeout=15,
    )
    return dms(emulator, user, words)[0]


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
