"""Voices in the room end to end: members say which perspectives they bring (from the command
and from App Home), the mix shows counts of 3 or more only, a session with nobody who declared
lived experience is warned about when it is scheduled, and the choices are encrypted."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import state
from cobot.sandbox.people import ticked
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import perspectives as blocks
from cobot.storage.db import transaction
from cobot.storage.models import MemberPerspectives
from tests.e2e.test_home import open_home
from tests.e2e.test_home import wait_home
from tests.seeds import add_project

CHANNEL = "C0VOICES"
FACILITATORS = ["UF1", "UF2", "UF3"]
PARTICIPANTS = ["UP1", "UP2", "UP3", "UP4"]
MEMBERS = [("UCOORD", "coordinator")]
MEMBERS += [(u, "practitioner") for u in FACILITATORS]
MEMBERS += [(u, "participant") for u in PARTICIPANTS]


def seed(stack: LocalStack) -> int:
    for user, _role in MEMBERS[1:]:
        stack.emulator.add_user(user, name=user.lower())
    stack.emulator.add_channel(CHANNEL, name="voices", members=[u for u, _ in MEMBERS])
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return add_project(db, channel_id=CHANNEL, members=MEMBERS, now=datetime.now(UTC)).id


def declare(driver: Driver, user: str, *chosen: str) -> dict[str, Any]:
    modal = driver.command_modal(user, "perspectives", channel_id=CHANNEL)
    assert modal["callback_id"] == blocks.MODAL
    return driver.submit_modal(user, modal, state(blocks.VALUE, chosen=ticked(*chosen)))


def session_form(day: date, facilitators: list[str], participants: list[str]) -> Any:
    return {
        "title": {"value": {"type": "plain_text_input", "value": "Our values"}},
        "date": {"value": {"type": "datepicker", "selected_date": day.isoformat()}},
        "time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
        "duration": {"value": {"type": "plain_text_input", "value": "2h"}},
        "venue": {"value": {"type": "plain_text_input", "value": ""}},
        "facilitators": {"value": {"type": "multi_users_select", "selected_users": facilitators}},
        "participants": {"value": {"type": "multi_users_select", "selected_users": participants}},
        "objectives": {"value": {"type": "plain_text_input", "value": ""}},
    }


def schedule(driver: Driver, day: date, facilitators: list[str], participants: list[str]) -> str:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal("UCOORD", view, session_form(day, facilitators, participants))
    assert body["response_action"] == "update"
    return json.dumps(body["view"], ensure_ascii=False)


def lines_of(modal: dict[str, Any]) -> str:
    return json.dumps(modal, ensure_ascii=False)


def test_perspectives_are_counted_only_from_three_and_warn_a_session_without_lived_experience(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    project_id = seed(stack)
    assert stack.runtime is not None
    today = datetime.now(UTC).date()

    # before anyone has said anything, scheduling says nothing about perspectives
    saved = schedule(driver, today + timedelta(days=20), ["UF1", "UF2"], ["UP1"])
    assert "lived experience" not in saved

    # one participant says they bring lived experience; a facilitator is a clinician (from Home)
    assert declare(driver, "UP1", "lived_experience", "carer") == {}
    driver.dm_with("UP1", "you bring lived experience")
    home = open_home(slack, emulator, "UF1", "My perspectives")
    modal = driver.open_modal("UF1", home, blocks.OPEN, value=str(project_id))
    driver.submit_modal("UF1", modal, state(blocks.VALUE, chosen=ticked("clinician", "forged")))
    with transaction(stack.runtime.factory) as db:
        rows = {r.user_id: r.chosen for r in db.scalars(select(MemberPerspectives))}
        assert json.loads(rows["UF1"]) == ["clinician"]  # the forged value was dropped
        raw = db.execute(sql("SELECT chosen FROM member_perspectives")).scalars().all()
        assert all("lived" not in str(r) and "clinician" not in str(r) for r in raw)

    # a session whose people include nobody with lived experience is warned about...
    warned = schedule(driver, today + timedelta(days=30), ["UF1", "UF2"], ["UP2", "UP3"])
    assert "Nobody in this session has said they bring lived experience" in warned
    assert "clinician" not in warned.split("Nobody in this session")[1].split(".")[0]
    assert "UP1" not in warned  # never who has
    # ...and one with no clinician too; one with both is not
    warned = schedule(driver, today + timedelta(days=40), ["UF2", "UF3"], ["UP1"])
    assert "Nobody in this session has said they bring clinician" in warned
    fine = schedule(driver, today + timedelta(days=50), ["UF1", "UF2"], ["UP1", "UP2"])
    assert "Nobody in this session" not in fine

    # counts below 3 are hidden: one person with lived experience is "fewer than 3"
    mix = lines_of(driver.command_modal("UP4", "perspectives", channel_id=CHANNEL))
    assert "Lived experience of mental health problems: fewer than 3" in mix
    assert "Commissioner: none declared" in mix
    assert "UP1" not in mix and "<@" not in mix
    # three people with lived experience among 8 members (5 others): shown as 3
    declare(driver, "UP2", "lived_experience")
    declare(driver, "UP3", "lived_experience", "voluntary")
    mix = lines_of(driver.command_modal("UP4", "perspectives", channel_id=CHANNEL))
    assert "Lived experience of mental health problems: 3" in mix
    assert "Voluntary sector: fewer than 3" in mix
    # nearly everyone: a number would say almost every member declared it, so it is not one
    for user in ("UP4", "UF2", "UF3"):
        declare(driver, user, "lived_experience")
    mix = lines_of(driver.command_modal("UP4", "perspectives", channel_id=CHANNEL))
    assert "Lived experience of mental health problems: 3 or more" in mix
    # the member's own form shows their own choice, and they can take it back
    mine = driver.command_modal("UP3", "perspectives", channel_id=CHANNEL)
    checked = [b for b in mine["blocks"] if b.get("block_id") == blocks.CHOSEN][0]
    assert {o["value"] for o in checked["element"]["initial_options"]} == {
        "lived_experience",
        "voluntary",
    }
    driver.submit_modal("UP3", mine, state(blocks.VALUE, chosen=ticked()))
    with transaction(stack.runtime.factory) as db:
        assert (
            db.scalar(select(MemberPerspectives).where(MemberPerspectives.user_id == "UP3")) is None
        )

    # the coordinator's Home shows the mix and what nobody declared
    home = open_home(slack, emulator, "UCOORD", "Voices in the room")
    text = json.dumps(home, ensure_ascii=False)
    assert "Nobody has said: other practitioner, commissioner, voluntary sector." in text
    # UP3 took theirs back: 5 of 8 now, 3 on the other side, so a number again
    assert "Lived experience of mental health problems: 5" in text
    assert "UP1" not in text.split("Voices in the room")[1]
    # the project's overview shows the same mix to anyone in the channel
    overview = json.dumps(driver.command("UP2", "project", channel_id=CHANNEL), ensure_ascii=False)
    assert "Lived experience of mental health problems: 5" in overview
    assert "Clinician: fewer than 3" in overview
    # a non-member cannot open anyone's form
    stack.emulator.add_user("UOUT", name="outsider")
    said = driver.command("UOUT", "perspectives", channel_id=CHANNEL)
    assert "not a member" in said["text"]
    wait_home(emulator, "UCOORD", lambda t: "Voices in the room" in t)
