"""Check-ins end to end: consent, the question, support, contact, a coordinator's views,
my data and forget me, driven the way Slack drives them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from cobot.sandbox.client import SlackClient
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import checkins as blocks
from cobot.storage.db import transaction
from cobot.storage.models import CheckinAnswer, CheckinPerson, Delivery, Member, Project

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
NOTE = "a private note only I should see 7f3a"
PEOPLE = ["UP2", "UP3", "UCARE", "UF1"]


@pytest.fixture
def project_id(stack: LocalStack) -> int:
    for user in PEOPLE:
        stack.emulator.add_user(user, name=user.lower())
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        project = Project(
            team_id=TEAM,
            channel_id=CHANNEL,
            name="Recovery framework",
            timezone="UTC",
            lead_times={},
            created_by="UCOORD",
            created_at=now,
            updated_at=now,
        )
        members = [("UCOORD", "coordinator"), ("UF1", "practitioner")]
        members += [(u, "participant") for u in ("UPART", "UP2", "UP3")]
        project.members = [
            Member(user_id=u, role=r, added_by="UCOORD", added_at=now) for u, r in members
        ]
        db.add(project)
        db.flush()
        return project.id


def command(slack: SlackClient, user: str, words: str) -> dict[str, Any]:
    result = slack.slash_command(user_id=user, text=words, channel_id=CHANNEL)
    assert result.status == 200, result.text
    try:
        return dict(result.json())
    except ValueError:  # a text-only ack comes back as plain text
        return {"text": result.text, "blocks": []}


def switch_on(stack: LocalStack, slack: SlackClient, emulator: SlackEmulator) -> None:
    command(slack, "UCOORD", "checkin setup")
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    assert modal["callback_id"] == blocks.SETUP_MODAL
    values = {
        "enabled": {"input": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
        "roles": {
            "input": {
                "type": "checkboxes",
                "selected_options": [{"value": "participant"}, {"value": "practitioner"}],
            }
        },
        "rhythm": {"input": {"type": "static_select", "selected_option": {"value": "weekly"}}},
        "support": {"input": {"type": "plain_text_input", "value": "Talk to Sam on 0123 456."}},
        "retention": {"input": {"type": "plain_text_input", "value": "90"}},
    }
    result = slack.view_submission(user_id="UCOORD", view=modal, values=values)
    assert result.status == 200 and "errors" not in result.text, result.text
    emulator.wait_for("chat.postMessage", where=lambda c: "Check-ins are on" in str(c.args))
    reply = command(slack, "UCOORD", "checkin contacts <@UCARE|care>")
    assert "<@UCARE>" in reply["text"]


def dm_with(emulator: SlackEmulator, user: str, action_id: str) -> dict[str, Any]:
    emulator.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("channel") == user and action_id in json.dumps(c.args),
        timeout=15,
    )
    return next(m for m in emulator.messages(user) if action_id in json.dumps(m.get("blocks")))


def current(emulator: SlackEmulator, user: str, ts: str) -> dict[str, Any]:
    return next(m for m in emulator.messages(user) if m["ts"] == ts)


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


def wait_replaced(emulator: SlackEmulator, user: str, ts: str, words: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        message = current(emulator, user, ts)
        if words in json.dumps(message):
            return message
        assert time.monotonic() < deadline, json.dumps(message)[:500]
        time.sleep(0.02)


def check_in(stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, user: str, mood: int):
    """The person's check-in sent now; they agree and answer `mood`; returns the message."""
    assert stack.runtime is not None
    stack.runtime.checkins.send_now(project_id=_project(stack), user_id=user)
    consent = dm_with(emulator, user, blocks.CONSENT_YES)
    assert "What is collected" in json.dumps(consent["blocks"])
    press(slack, emulator, user, consent, blocks.CONSENT_YES)
    question = wait_replaced(emulator, user, consent["ts"], "How are you feeling today?")
    press(slack, emulator, user, question, f"{blocks.MOOD_PREFIX}{mood}")
    return wait_replaced(emulator, user, consent["ts"], "You answered")


def _project(stack: LocalStack) -> int:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        found = db.scalar(select(Project.id).where(Project.channel_id == CHANNEL))
        assert found is not None
        return found


def test_a_person_agrees_answers_low_gets_support_and_asks_for_contact(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(stack, slack, emulator)
    answered = check_in(stack, slack, emulator, "UPART", 1)
    shown = json.dumps(answered["blocks"])
    assert "1 Struggling" in shown and "Talk to Sam on 0123 456." in shown

    # a note, in a modal, stored encrypted
    press(slack, emulator, "UPART", answered, blocks.NOTE)
    emulator.wait_for("views.open", count=2)  # the set-up form was the first
    [modal] = emulator.open_views
    values = {"note": {"input": {"type": "plain_text_input", "value": NOTE}}}
    assert slack.view_submission(user_id="UPART", view=modal, values=values).status == 200
    emulator.wait_for("chat.postMessage", where=lambda c: "note is saved" in str(c.args))
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        [answer] = db.scalars(select(CheckinAnswer)).all()
        assert answer.note == NOTE
        raw = db.execute(text("SELECT note FROM checkin_answers")).scalar_one()
        assert NOTE not in raw

    # contact: share the mood and a message, not the note
    press(slack, emulator, "UPART", answered, blocks.CONTACT)
    emulator.wait_for("views.open", count=3)  # set-up, note, then this one
    [modal] = emulator.open_views
    assert modal["callback_id"] == blocks.CONTACT_MODAL
    values = {
        "share": {"input": {"type": "checkboxes", "selected_options": [{"value": "mood"}]}},
        "message": {"input": {"type": "plain_text_input", "value": "Mornings are good"}},
    }
    assert slack.view_submission(user_id="UPART", view=modal, values=values).status == 200
    emulator.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == "UCARE", timeout=15
    )
    [to_contact] = emulator.messages("UCARE")
    contact_text = json.dumps(to_contact)
    assert "<@UPART>" in contact_text and "1 Struggling" in contact_text
    assert "Mornings are good" in contact_text and NOTE not in contact_text
    # nobody else was told anything
    assert emulator.messages("UCOORD") == [] or all(
        "Struggling" not in json.dumps(m) for m in emulator.messages("UCOORD")
    )


def test_a_coordinators_every_checkin_view_shows_no_individual_answer(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(stack, slack, emulator)
    answered = check_in(stack, slack, emulator, "UPART", 1)
    press(slack, emulator, "UPART", answered, blocks.NOTE)
    emulator.wait_for("views.open", count=2)
    [modal] = emulator.open_views
    values = {"note": {"input": {"type": "plain_text_input", "value": NOTE}}}
    slack.view_submission(user_id="UPART", view=modal, values=values)
    press(slack, emulator, "UPART", answered, blocks.CONTACT)
    emulator.wait_for("views.open", count=3)
    [modal] = emulator.open_views
    slack.view_submission(user_id="UPART", view=modal, values={})
    check_in(stack, slack, emulator, "UP2", 2)

    seen: list[str] = []
    for words in ("checkin summary", "checkin summary 52", "checkin history", "checkin", "help"):
        seen.append(json.dumps(command(slack, "UCOORD", words)))
    summary = seen[0]
    assert "appear once it ends" in summary  # the month is open: no figures at all
    assert "Name a month" in seen[1]  # no free window lengths
    assert "<@UPART>" not in summary  # the coordinator is not a named wellbeing contact
    assert "<@UPART>" in json.dumps(command(slack, "UCARE", "checkin summary"))
    command(slack, "UCOORD", "checkin setup")
    emulator.wait_for("views.open", count=4)
    seen.append(json.dumps(emulator.open_views))
    command(slack, "UCOORD", "my data")
    emulator.wait_for("files.completeUploadExternal")
    seen.extend(f.content.decode() for f in emulator.files)
    seen.extend(json.dumps(m) for m in emulator.messages("UCOORD"))
    seen.extend(json.dumps(m) for m in emulator.ephemerals("UCOORD"))
    for shown in seen:
        assert NOTE not in shown
        for word in ("Struggling", "2 Low", "1 Struggling"):
            assert word not in shown, shown[:300]

    # two more answer: the open month's summary does not move (closed months are in
    # tests/e2e/test_disclosure.py, on a simulated clock)
    check_in(stack, slack, emulator, "UP3", 5)
    check_in(stack, slack, emulator, "UF1", 5)
    assert json.dumps(command(slack, "UCOORD", "checkin summary")) == summary

    # a participant cannot see the summary
    refused = command(slack, "UPART", "checkin summary")
    assert "Only coordinators" in refused["text"]


def test_my_data_arrives_as_a_file_and_forget_me_erases_everything(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(stack, slack, emulator)
    check_in(stack, slack, emulator, "UPART", 3)
    history = command(slack, "UPART", "checkin history")
    assert "3 OK" in history["text"] and "trend" in history["text"]

    command(slack, "UPART", "my data")
    emulator.wait_for("files.completeUploadExternal")
    readable, upload = emulator.files
    assert upload.channels == (emulator.im_channel("UPART"),)
    data = json.loads(upload.content)
    [answer] = next(s["rows"] for s in data["sections"] if s["table"] == "checkin_answers")
    assert answer["mood"] == "3"
    assert "mood (1-5): 3" in readable.content.decode()

    reply = command(slack, "UPART", "forget me")
    assert blocks.FORGET in json.dumps(reply["blocks"])
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    result = slack.block_actions(
        user_id="UPART",
        actions=[{"action_id": blocks.FORGET, "value": "1", "type": "button"}],
        message=message,
        channel_id=CHANNEL,
    )
    assert result.status == 200
    emulator.wait_for("response_url", where=lambda c: "Erased" in str(c.args))
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        for table in ("checkin_people", "checkin_answers", "checkin_contact_requests"):
            count = db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            people = db.scalars(select(CheckinPerson.user_id)).all()
            assert "UPART" not in people
            if table != "checkin_people":
                assert count == 0, table
        assert (
            db.scalars(
                select(Delivery).where(Delivery.kind == "checkin", Delivery.target == "UPART")
            ).all()
            == []
        )


def test_stop_is_one_click_and_settings_refuse_a_night_time(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(stack, slack, emulator)
    answered = check_in(stack, slack, emulator, "UPART", 4)
    press(slack, emulator, "UPART", answered, blocks.STOP)
    wait_replaced(emulator, "UPART", answered["ts"], "Check-ins are stopped")
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        person = db.scalar(select(CheckinPerson).where(CheckinPerson.user_id == "UPART"))
        assert person is not None and person.status == "stopped"
        assert (
            db.scalars(
                select(Delivery).where(
                    Delivery.kind == "checkin",
                    Delivery.target == "UPART",
                    Delivery.status == "scheduled",
                )
            ).all()
            == []
        )

    command(slack, "UPART", "checkin settings")
    emulator.wait_for("views.open", count=2)
    [modal] = emulator.open_views
    values = {
        "taking_part": {"input": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
        "time": {"input": {"type": "plain_text_input", "value": "03:00"}},
        "days": {"input": {"type": "checkboxes", "selected_options": [{"value": "0"}]}},
    }
    refused = slack.view_submission(user_id="UPART", view=modal, values=values)
    assert refused.json()["response_action"] == "errors"
    assert "night" in refused.json()["errors"]["time"]
    values["time"] = {"input": {"type": "plain_text_input", "value": "09:30"}}
    saved = slack.view_submission(user_id="UPART", view=modal, values=values)
    assert "errors" not in saved.text
    emulator.wait_for(
        "chat.postMessage", where=lambda c: "Saved: check-ins at 09:30" in str(c.args)
    )
    with transaction(stack.runtime.factory) as db:
        [row] = db.scalars(
            select(Delivery).where(
                Delivery.kind == "checkin",
                Delivery.target == "UPART",
                Delivery.status == "scheduled",
            )
        ).all()
        # 09:30 on a Monday in the person's own Slack zone (UPART is in New York)
        local = row.due_at.astimezone(ZoneInfo("America/New_York"))
        assert local.weekday() == 0 and (local.hour, local.minute) == (9, 30)
