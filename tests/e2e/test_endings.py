"""Endings end to end: 15 people in 4 groups finish, the cloud, the evaluation, export, close."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy import update

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import StateValues
from cobot.sandbox.people import state
from cobot.sandbox.people import typed
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import endings as blocks
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import EndingFeeling
from cobot.storage.models import EndingFollowUp
from cobot.storage.models import Project
from tests.seeds import add_project

# 15 people in 4 groups: oversight has 2, so it is never shown on its own
TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
TEAM_PEOPLE = [("UCOORD", "coordinator"), ("UT1", "project_team"), ("UT2", "project_team")]
OVERSIGHT = [("UO1", "oversight"), ("UO2", "steering")]
PRACTITIONERS = [(f"UF{i}", "practitioner") for i in range(1, 5)]
PARTICIPANTS = [(f"UP{i}", "participant") for i in range(1, 7)]
EVERYONE = TEAM_PEOPLE + OVERSIGHT + PRACTITIONERS + PARTICIPANTS
WORDS = {
    "project_team": "grateful, tired",
    "oversight": "proud, relieved",
    "practitioner": "greatful, inspired",
    "participant": "Grateful valued humble",
}
ROLE_WORDS = {
    "coordinator": WORDS["project_team"],
    "project_team": WORDS["project_team"],
    "oversight": WORDS["oversight"],
    "steering": WORDS["oversight"],
    "practitioner": WORDS["practitioner"],
    "participant": WORDS["participant"],
}


def seed(stack: LocalStack) -> int:
    emulator = stack.emulator
    for user, _role in EVERYONE:
        if user != "UCOORD":
            emulator.add_user(user, name=user.lower())
    emulator.add_user("UOUT", name="outsider")
    emulator.add_channel(CHANNEL, name="recovery", members=[u for u, _ in EVERYONE])
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        project = add_project(
            db,
            channel_id=CHANNEL,
            members=EVERYONE,
            now=datetime.now(UTC),
            aims="Co-produce a recovery framework.",
        )
        return project.id


def values(**fields: Any) -> StateValues:
    return state(blocks.VALUE, **fields)


def start_ending(driver: Driver, **extra: Any) -> dict[str, Any]:
    modal = driver.command_modal("UCOORD", "ending start", channel_id=CHANNEL)
    weeks = next(b["element"] for b in modal["blocks"] if b.get("block_id") == blocks.FOLLOW_UP)
    assert weeks["type"] == "static_select" and len(weeks["options"]) == 26
    assert weeks["initial_option"]["value"] == "4"
    today = datetime.now(UTC).date()
    fields = {
        blocks.DEADLINE: {
            "type": "datepicker",
            "selected_date": (today + timedelta(days=1)).isoformat(),
        },
        blocks.FOLLOW_UP: {"type": "static_select", "selected_option": {"value": "4"}},
        **extra,
    }
    return driver.submit_modal("UCOORD", modal, values(**fields))


def answer_feelings(driver: Driver, user: str, words: str, boat: str) -> Any:
    invite = driver.dm_with(user, blocks.OPEN_FEELINGS)
    modal = driver.open_modal(user, invite, blocks.OPEN_FEELINGS)
    assert modal["callback_id"] == blocks.FEELINGS_MODAL
    return driver.submit_modal(user, modal, values(words=typed(words), boat=typed(boat)))


def test_a_project_of_fifteen_finishes_with_one_cloud_safe_counts_export_and_close(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    project_id = seed(stack)
    assert stack.runtime is not None
    assert "Only coordinators" in driver.command("UP1", "ending start", channel_id=CHANNEL)["text"]
    today = datetime.now(UTC).date()
    refused = start_ending(
        driver,
        celebration_day={
            "type": "datepicker",
            "selected_date": (today + timedelta(days=10)).isoformat(),
        },
    )
    assert set(refused["errors"]) == {blocks.CELEBRATION_DAY}  # a date without a time
    start_ending(
        driver,
        celebration_day={
            "type": "datepicker",
            "selected_date": (today + timedelta(days=10)).isoformat(),
        },
        celebration_time={"type": "timepicker", "selected_time": "15:00"},
        reflective_day={
            "type": "datepicker",
            "selected_date": (today + timedelta(days=3)).isoformat(),
        },
        reflective_time={"type": "timepicker", "selected_time": "10:00"},
    )
    driver.dm_with(CHANNEL, "is coming to an end")

    # more than three words are refused inline, and nothing is stored
    refused = answer_feelings(driver, "UP1", "grateful proud tired happy", "")
    assert "4 words" in refused["errors"]["words"]
    # forged and outsider buttons change nothing
    before = len(emulator.calls_to("views.open"))
    driver.press("UOUT", None, blocks.OPEN_FEELINGS, value=str(project_id))
    driver.press("UP1", None, blocks.OPEN_FEELINGS, value="not-an-id")
    driver.press("UP1", None, blocks.OPEN_FEELINGS, value="999999")
    assert len(emulator.calls_to("views.open")) == before

    for user, role in EVERYONE:
        group_boat = {"participant": "A raft that became a ship", "practitioner": "A dinghy"}
        answer_feelings(driver, user, ROLE_WORDS[role], group_boat.get(role, "A warship"))
    with transaction(stack.runtime.factory) as db:
        rows = db.scalars(select(EndingFeeling)).all()
        assert len(rows) == 15
        raw = db.execute(sql("SELECT typed FROM ending_feelings")).scalars().first()
        assert raw is not None and "grateful" not in str(raw)  # encrypted at rest

    # the evaluation: four participants answer (written in this order)
    for user in ("UP3", "UP1", "UP4", "UP2"):
        invite = driver.dm_with(user, blocks.OPEN_EVALUATION)
        modal = driver.open_modal(user, invite, blocks.OPEN_EVALUATION)
        driver.submit_modal(user, modal, values(went_well=typed(f"Being heard ({user})")))
        # while the collection is open: how many answered, never a text (two views diffed
        # around one answer would tie that text to whoever answered in between)
        said = json.dumps(driver.command("UCOORD", "evaluation", channel_id=CHANNEL))
        assert "answered so far" in said and "Being heard" not in said
    # nor the export: no evaluation, feelings words or boats before the close
    driver.command("UCOORD", "export", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal")
    early = {
        f.filename: f.content.decode()
        for f in emulator.files
        if f.filename.endswith((".csv", ".md"))
    }
    assert "15 answered so far" in early["project-report.md"]
    for text in ("Being heard", "A raft", "A dinghy", "A warship", "grateful", "proud"):
        assert all(text not in content for content in early.values()), text
    assert list(csv.DictReader(io.StringIO(early["evaluation.csv"]))) == []
    assert list(csv.DictReader(io.StringIO(early["feelings.csv"]))) == []
    assert "feelings-word-cloud.png" not in {f.filename for f in emulator.files}

    # close: the image goes up once, a valid PNG; counts match the answers
    assert "Only coordinators" in driver.command("UP1", "ending close", channel_id=CHANNEL)["text"]
    assert (
        "15 people answered" in driver.command("UCOORD", "ending close", channel_id=CHANNEL)["text"]
    )
    emulator.wait_for("files.completeUploadExternal")
    results = driver.dm_with(CHANNEL, "Most common words")
    text = json.dumps(results)
    assert "grateful (13)" in text  # 3 team + 4 "greatful" practitioners + 6 participants
    assert "inspired (4)" in text and "proud (2)" in text
    assert "Practitioners* (4)" in text and "Participants* (6)" in text
    assert "Other groups together* (5)" in text  # oversight (2) joined by the project team
    assert "Oversight" not in text and "Project team" not in text
    assert "A raft that became a ship" in text and "<@" not in text
    assert "already closed" in driver.command("UCOORD", "ending close", channel_id=CHANNEL)["text"]
    stack.runtime.runner.sweep()
    emulator.wait_for("files.completeUploadExternal", count=2)
    [image] = [f for f in emulator.files if f.channels == (CHANNEL,)]
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(image.content)).format == "PNG"
    assert len(emulator.calls_to("files.completeUploadExternal")) == 2  # the export, the image

    # after the close: the texts, all at once, sorted (not in the order they came in)
    said = json.dumps(driver.command("UCOORD", "evaluation", channel_id=CHANNEL))
    order = [said.index(f"Being heard ({u})") for u in ("UP1", "UP2", "UP3", "UP4")]
    assert order == sorted(order) and "<@UP1>" not in said

    feelings = driver.command("UP4", "feelings", channel_id=CHANNEL)
    assert image.id in json.dumps(feelings) and "grateful (13)" in json.dumps(feelings)
    # answers can no longer change
    before = len(emulator.calls_to("views.open"))
    driver.press("UP1", None, blocks.OPEN_FEELINGS, value=str(project_id))
    emulator.wait_for("response_url", where=lambda c: "collection has closed" in json.dumps(c.args))
    assert len(emulator.calls_to("views.open")) == before

    # export: the report and CSVs arrive in the coordinator's DM
    assert "Only coordinators" in driver.command("UP1", "export", channel_id=CHANNEL)["text"]
    driver.command("UCOORD", "export", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal", count=3)
    exported = {f.filename: f.content for f in emulator.files if f.id != image.id}
    report = exported["project-report.md"].decode()
    assert "# Recovery framework: project report" in report
    assert "Celebration: Recovery framework" in report and "Final debrief" in report
    assert "grateful (13)" in report and "![Word cloud" in report
    assert "Being heard (UP2)" in report
    ledger = list(csv.DictReader(io.StringIO(exported["deliveries.csv"].decode())))
    assert {"ending_invite", "ending_cloud", "ending_follow_up"} <= {r["kind"] for r in ledger}
    assert set(ledger[0]) == {
        "id",
        "kind",
        "target",
        "status",
        "due_at_utc",
        "finished_at_utc",
        "attempts",
    }
    evaluation = list(csv.DictReader(io.StringIO(exported["evaluation.csv"].decode())))
    answers = [r["answer"] for r in evaluation]
    assert answers == [f"Being heard (UP{i})" for i in range(1, 5)]  # sorted by text
    assert "feelings-word-cloud.png" in exported

    # celebration and final debrief were planned like any session, reminders included
    with transaction(stack.runtime.factory) as db:
        kinds = {
            s.kind: s.id
            for s in db.scalars(select(CoSession).where(CoSession.project_id == project_id))
        }
        assert set(kinds) == {"celebration", "reflective"}
        reminders = set(
            db.scalars(select(Delivery.kind).where(Delivery.subject_id == kinds["celebration"]))
        )
        assert "reminder_day" in reminders

    # closing the project: confirmation, then every prompt but the follow-ups stops
    confirm = driver.command("UCOORD", "project close", channel_id=CHANNEL)
    assert blocks.CLOSE_PROJECT in json.dumps(confirm)
    driver.press("UP1", None, blocks.CLOSE_PROJECT, value=str(project_id))
    emulator.wait_for("response_url", where=lambda c: "Only coordinators" in json.dumps(c.args))
    with transaction(stack.runtime.factory) as db:
        assert db.get(Project, project_id).status == "active"  # type: ignore[union-attr]
    driver.press("UCOORD", None, blocks.CLOSE_PROJECT, value=str(project_id))
    emulator.wait_for("response_url", where=lambda c: "is closed" in json.dumps(c.args))
    with transaction(stack.runtime.factory) as db:
        project = db.get(Project, project_id)
        assert project is not None and project.status == "closed" and project.closed_at
        pending = set(
            db.scalars(
                select(Delivery.kind).where(
                    Delivery.project_id == project_id, Delivery.status == "scheduled"
                )
            )
        )
    assert pending == {"ending_follow_up"}


def test_the_follow_up_survives_a_restart_and_is_sent_when_due(database_url: str) -> None:
    with LocalStack(database_url=database_url) as first:
        first.emulator.add_user("UCOORD", name="cora")
        assert first.client is not None
        project_id = seed(first)
        start_ending(Driver(first.client, first.emulator))
        assert first.runtime is not None
        with transaction(first.runtime.factory) as db:
            rows = db.scalars(select(Delivery).where(Delivery.kind == "ending_follow_up")).all()
            assert len(rows) == 15 and {r.status for r in rows} == {"scheduled"}
            assert all(r.due_at > datetime.now(UTC) + timedelta(weeks=4) for r in rows)
            # the weeks pass while cobot is down
            db.execute(
                update(Delivery)
                .where(Delivery.kind == "ending_follow_up")
                .values(due_at=datetime.now(UTC) - timedelta(seconds=5))
            )
    # the people exist in Slack before the new process starts sending
    emulator = SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    for user, _role in EVERYONE:
        emulator.add_user(user, name=user.lower())
    with LocalStack(database_url=database_url, emulator=emulator) as second:
        assert second.client is not None and second.runtime is not None
        fresh = Driver(second.client, second.emulator)
        message = fresh.dm_with("UP2", blocks.OPEN_FOLLOW_UP)
        modal = fresh.open_modal("UP2", message, blocks.OPEN_FOLLOW_UP)
        fresh.submit_modal("UP2", modal, values(what_next=typed("A new peer role")))
        with transaction(second.runtime.factory) as db:
            reply = db.scalars(select(EndingFollowUp)).one()
            assert reply.project_id == project_id and reply.what_next == "A new peer role"
