"""Check-ins end to end: consent, the question, support, contact, a coordinator's views,
my data and forget me, driven the way Slack drives them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy import text

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import Message
from cobot.sandbox.people import chosen
from cobot.sandbox.people import numbered
from cobot.sandbox.people import state
from cobot.sandbox.people import ticked
from cobot.sandbox.people import timed
from cobot.sandbox.people import typed
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import checkins as blocks
from cobot.storage.db import transaction
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinPerson
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from tests.e2e.sweeps import drive
from tests.seeds import add_project

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
NOTE = "a private note only I should see 7f3a"
PEOPLE = ["UP2", "UP3", "UCARE", "UF1"]


@pytest.fixture
def project_id(stack: LocalStack) -> int:
    for user in PEOPLE:
        stack.emulator.add_user(user, name=user.lower())
    assert stack.runtime is not None
    members = [("UCOORD", "coordinator"), ("UF1", "practitioner")]
    members += [(u, "participant") for u in ("UPART", "UP2", "UP3")]
    with transaction(stack.runtime.factory) as db:
        project = add_project(db, channel_id=CHANNEL, members=members, now=datetime.now(UTC))
        return project.id


def switch_on(driver: Driver, roles: tuple[str, ...] = ("participant", "practitioner")) -> None:
    """The coordinator switches check-ins on for `roles`, with UCARE as the named contact."""
    modal = driver.command_modal("UCOORD", "checkin setup", channel_id=CHANNEL)
    assert modal["callback_id"] == blocks.SETUP_MODAL
    days = next(b["element"] for b in modal["blocks"] if b.get("block_id") == "retention")
    assert days["type"] == "number_input" and days["is_decimal_allowed"] is False
    assert (days["initial_value"], days["min_value"]) == ("90", "1")
    values = state(
        "input",
        enabled=ticked("yes"),
        roles=ticked(*roles),
        rhythm=chosen("weekly"),
        support=typed("Talk to Sam on 0123 456."),
        retention=numbered(90),
    )
    assert "errors" not in driver.submit_modal("UCOORD", modal, values)
    driver.emulator.wait_for("chat.postMessage", where=lambda c: "Check-ins are on" in str(c.args))
    reply = driver.command("UCOORD", "checkin contacts <@UCARE|care>", channel_id=CHANNEL)
    assert "<@UCARE>" in reply["text"]


def check_in(
    stack: LocalStack, driver: Driver, user: str, mood: int, *, sweep: bool = False
) -> Message:
    """The person's check-in sent now (`sweep`: by the sweep, the clock being simulated);
    they agree and answer `mood`; returns the message."""
    assert stack.runtime is not None
    stack.runtime.checkins.send_now(project_id=project_in_channel(stack), user_id=user)
    if sweep:
        drive(stack)
    consent = driver.dm_with(user, blocks.CONSENT_YES)
    assert "What is collected" in json.dumps(consent["blocks"])
    driver.press(user, consent, blocks.CONSENT_YES)
    question = driver.wait_replaced(user, consent["ts"], "How are you feeling today?")
    driver.press(user, question, f"{blocks.MOOD_PREFIX}{mood}")
    return driver.wait_replaced(user, consent["ts"], "You answered")


def project_in_channel(stack: LocalStack) -> int:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        found = db.scalar(select(Project.id).where(Project.channel_id == CHANNEL))
        assert found is not None
        return found


def test_a_person_agrees_answers_low_gets_support_and_asks_for_contact(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(driver)
    answered = check_in(stack, driver, "UPART", 1)
    shown = json.dumps(answered["blocks"])
    assert "1 Struggling" in shown and "Talk to Sam on 0123 456." in shown

    # a note, in a modal, stored encrypted
    modal = driver.open_modal("UPART", answered, blocks.NOTE)
    assert "errors" not in driver.submit_modal("UPART", modal, state("input", note=typed(NOTE)))
    emulator.wait_for("chat.postMessage", where=lambda c: "note is saved" in str(c.args))
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        [answer] = db.scalars(select(CheckinAnswer)).all()
        assert answer.note == NOTE
        raw = db.execute(text("SELECT note FROM checkin_answers")).scalar_one()
        assert NOTE not in raw

    # contact: share the mood and a message, not the note
    modal = driver.open_modal("UPART", answered, blocks.CONTACT)
    assert modal["callback_id"] == blocks.CONTACT_MODAL
    values = state("input", share=ticked("mood"), message=typed("Mornings are good"))
    assert "errors" not in driver.submit_modal("UPART", modal, values)
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
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(driver)
    answered = check_in(stack, driver, "UPART", 1)
    modal = driver.open_modal("UPART", answered, blocks.NOTE)
    driver.submit_modal("UPART", modal, state("input", note=typed(NOTE)))
    modal = driver.open_modal("UPART", answered, blocks.CONTACT)
    driver.submit_modal("UPART", modal, {})
    check_in(stack, driver, "UP2", 2)

    seen: list[str] = []
    for words in ("checkin summary", "checkin summary 52", "checkin history", "checkin", "help"):
        seen.append(json.dumps(driver.command("UCOORD", words, channel_id=CHANNEL)))
    summary = seen[0]
    assert "appear once it ends" in summary  # the month is open: no figures at all
    assert "Name a month" in seen[1]  # no free window lengths
    assert "<@UPART>" not in summary  # the coordinator is not a named wellbeing contact
    assert "<@UPART>" in json.dumps(driver.command("UCARE", "checkin summary", channel_id=CHANNEL))
    driver.command("UCOORD", "checkin setup", channel_id=CHANNEL)
    emulator.wait_for("views.open", count=4)
    seen.append(json.dumps(emulator.open_views))
    driver.command("UCOORD", "my data", channel_id=CHANNEL)
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
    check_in(stack, driver, "UP3", 5)
    check_in(stack, driver, "UF1", 5)
    again = json.dumps(driver.command("UCOORD", "checkin summary", channel_id=CHANNEL))
    assert again == summary

    # a participant cannot see the summary
    refused = driver.command("UPART", "checkin summary", channel_id=CHANNEL)
    assert "Only coordinators" in refused["text"]


def test_my_data_arrives_as_a_file_and_forget_me_erases_everything(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(driver)
    check_in(stack, driver, "UPART", 3)
    history = driver.command("UPART", "checkin history", channel_id=CHANNEL)
    assert "3 OK" in history["text"] and "trend" in history["text"]

    driver.command("UPART", "my data", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal")
    readable, upload = emulator.files
    assert upload.channels == (emulator.im_channel("UPART"),)
    data = json.loads(upload.content)
    [answer] = next(s["rows"] for s in data["sections"] if s["table"] == "checkin_answers")
    assert answer["mood"] == "3"
    assert "mood (1-5): 3" in readable.content.decode()

    reply = driver.command("UPART", "forget me", channel_id=CHANNEL)
    assert blocks.FORGET in json.dumps(reply["blocks"])
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    driver.press("UPART", message, blocks.FORGET, value="1", channel_id=CHANNEL)
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
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    switch_on(driver)
    answered = check_in(stack, driver, "UPART", 4)
    driver.press("UPART", answered, blocks.STOP)
    driver.wait_replaced("UPART", answered["ts"], "Check-ins are stopped")
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

    modal = driver.command_modal("UPART", "checkin settings", channel_id=CHANNEL)
    picker = next(b["element"] for b in modal["blocks"] if b.get("block_id") == "time")
    assert picker["type"] == "timepicker"
    values = state("input", taking_part=ticked("yes"), time=timed("03:00"), days=ticked("0"))
    refused = driver.submit_modal("UPART", modal, values)
    assert refused["response_action"] == "errors"
    assert "night" in refused["errors"]["time"]
    values["time"] = {"input": {"type": "timepicker", "selected_time": None}}  # left empty
    refused = driver.submit_modal("UPART", modal, values)
    assert refused["errors"] == {"time": "Pick a time of day."}
    values["time"] = {"input": timed("09:30")}
    assert "errors" not in driver.submit_modal("UPART", modal, values)
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
