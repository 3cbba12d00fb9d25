"""Debriefs end to end: prompts, the modal, the summary, private feedback, participant feedback."""

from __future__ import annotations

import json
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import ElementValue
from cobot.sandbox.people import chosen
from cobot.sandbox.people import picked_user
from cobot.sandbox.people import ticked
from cobot.sandbox.people import typed
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks.debriefs import ACTION_DONE
from cobot.slack.blocks.debriefs import FEEDBACK_HEARD
from cobot.slack.blocks.debriefs import OPEN_DEBRIEF
from cobot.slack.blocks.debriefs import SKIP_DEBRIEF
from cobot.slack.blocks.debriefs import VALUE
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import DebriefAction
from cobot.storage.models import DebriefSettings
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from tests.seeds import add_project
from tests.seeds import add_session

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
PRIVATE = "C0PRACT"
FACILITATORS = ["UF1", "UF2"]
PARTICIPANTS = ["UP1", "UP2", "UP3"]


def add_people(emulator: SlackEmulator) -> None:
    for user in [*FACILITATORS, *PARTICIPANTS, "UTEAM"]:
        emulator.add_user(user, name=user.lower())
    emulator.add_channel(PRIVATE, name="practitioners", members=["UCOORD", "UTEAM", *FACILITATORS])
    emulator.add_channel(CHANNEL, name="recovery", members=["UCOORD", *FACILITATORS])


def seed_project(stack: LocalStack, lead_times: dict[str, int]) -> int:
    assert stack.runtime is not None
    people = [("UCOORD", "coordinator"), ("UTEAM", "project_team")]
    people += [(u, "practitioner") for u in FACILITATORS]
    people += [(u, "participant") for u in PARTICIPANTS]
    with transaction(stack.runtime.factory) as db:
        project = add_project(
            db,
            channel_id=CHANNEL,
            members=people,
            now=datetime.now(UTC),
            aims="Co-produce a recovery framework.",
            lead_times=lead_times,
        )
        return project.id


def seed_session(
    stack: LocalStack,
    project_id: int,
    *,
    ends_in: float,
    title: str = "Our values",
    participants: list[str] = PARTICIPANTS,
) -> int:
    """A session that started in the past and ends in `ends_in` seconds, planned as
    sessions plan one (sessions' own rules refuse past starts, so the row is made here)."""
    assert stack.runtime is not None
    now = datetime.now(UTC)
    people = [(u, "facilitator") for u in FACILITATORS] + [(u, "participant") for u in participants]
    with transaction(stack.runtime.factory) as db:
        row = add_session(
            db,
            db.get_one(Project, project_id),
            title=title,
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(seconds=ends_in),
            people=people,
            now=now,
        )
        return row.id


def text(value: str) -> dict[str, ElementValue]:
    return {VALUE: typed(value)}


def person(user: str | None) -> dict[str, ElementValue]:
    return {VALUE: picked_user(user)}


def choice(value: int) -> dict[str, ElementValue]:
    return {VALUE: chosen(str(value), "radio_buttons")}


def posted(emulator: SlackEmulator) -> list[tuple[str, str]]:
    """Every message cobot posted: (channel, everything it said)."""
    return [
        (str(c.args.get("channel")), json.dumps(c.args))
        for c in emulator.calls_to("chat.postMessage")
    ]


def statuses(stack: LocalStack, kind: str, target: str | None = None) -> list[str]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        query = select(Delivery.status).where(Delivery.kind == kind)
        if target is not None:
            query = query.where(Delivery.target == target)
        return list(db.scalars(query))


def wait_for_status(stack: LocalStack, kind: str, target: str, wanted: set[str]) -> list[str]:
    deadline = time.monotonic() + 20
    while True:
        found = statuses(stack, kind, target)
        if found and set(found) <= wanted:
            return found
        assert time.monotonic() < deadline, f"{kind} to {target}: {found}"
        time.sleep(0.05)


def test_two_facilitators_debrief_and_the_summary_is_posted_once_to_the_private_channel(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    add_people(emulator)
    project_id = seed_project(stack, {"debrief_within": 3600, "feedback_within": 3600})
    # with user escaping on, Slack sends a channel chosen from the # list like this
    reply = driver.command(
        "UCOORD", f"debrief channel <#{PRIVATE}|practitioners>", channel_id=CHANNEL
    )
    assert f"<#{PRIVATE}>" in reply["text"]
    refused = driver.command(
        "UF1", f"debrief channel <#{PRIVATE}|practitioners>", channel_id=CHANNEL
    )
    assert "Only coordinators" in refused["text"]
    session_id = seed_session(stack, project_id, ends_in=2)

    prompt = driver.dm_with("UF1", OPEN_DEBRIEF)
    assert "Debrief for" in json.dumps(prompt) and "Our values" in json.dumps(prompt)
    driver.dm_with("UTEAM", OPEN_DEBRIEF)  # the project team is asked too

    # a participant pressing a facilitator's button, or a forged session id, opens nothing
    driver.press("UP1", prompt, OPEN_DEBRIEF)
    emulator.wait_for("response_url", where=lambda c: "Only the facilitators" in str(c.args))
    driver.press("UF1", None, OPEN_DEBRIEF, value="999999")
    emulator.wait_for("response_url", where=lambda c: "no longer exists" in str(c.args))
    driver.press("UF1", None, OPEN_DEBRIEF, value="1; drop table")
    emulator.wait_for("response_url", where=lambda c: "out of date" in str(c.args))
    assert emulator.open_views == []

    modal = driver.open_modal("UF1", prompt, OPEN_DEBRIEF)
    assert modal["private_metadata"] == str(session_id)
    first = {
        "went_well": text("Warm welcome"),
        "change": text("Shorter icebreaker"),
        "voices": text("The clinicians were quiet"),
        "dev_to_1": person("UF2"),
        "dev_text_1": text("Great summarising; slow down at the start"),
        "feeling": choice(2),
        "feeling_words": text("Tired but proud"),
        "action_text_1": text("Book a bigger room"),
        "action_owner_1": person("UTEAM"),
    }
    assert "errors" not in driver.submit_modal("UF1", modal, first)
    # as sent (the register DM'd at the end may meet the per-channel limit first)
    emulator.wait_for("chat.postMessage", where=lambda c: "is saved" in str(c.args))

    # the coordinator sees who has debriefed, never what they wrote
    view = driver.command("UCOORD", "debriefs", channel_id=CHANNEL)
    shown = json.dumps(view)
    assert "<@UF1>" in shown and "Not yet: <@UF2>" in shown
    for secret in ("Warm welcome", "Tired but proud", "slow down", "icebreaker"):
        assert secret not in shown
    assert "Only coordinators" in driver.command("UF1", "debriefs", channel_id=CHANNEL)["text"]

    # editing before the summary: the modal reopens with the earlier answers
    modal = driver.open_modal("UF1", prompt, OPEN_DEBRIEF)
    assert "Warm welcome" in json.dumps(modal["blocks"]) and "Update" in json.dumps(modal)
    driver.submit_modal("UF1", modal, {**first, "went_well": text("Warm welcome and clear aims")})
    # as sent (the register DM'd at the end may meet the per-channel limit first)
    emulator.wait_for("chat.postMessage", where=lambda c: "is updated" in str(c.args))

    other = driver.dm_with("UF2", OPEN_DEBRIEF)
    modal = driver.open_modal("UF2", other, OPEN_DEBRIEF)
    driver.submit_modal(
        "UF2", modal, {"went_well": text("Good energy"), "change": text("More breaks")}
    )

    summary = driver.dm_with(PRIVATE, "Debrief summary")
    said = json.dumps(summary)
    for words in (
        "Warm welcome and clear aims",
        "Good energy",
        "Shorter icebreaker",
        "More breaks",
        "The clinicians were quiet",
        "Book a bigger room (<@UTEAM>)",
    ):
        assert words in said
    assert "Tired" not in said and "slow down" not in said

    # developmental feedback reaches its addressee, and only them
    driver.dm_with("UF2", "slow down at the start")
    wait_for_status(stack, "debrief_dev_feedback", "UF2", {"sent"})
    assert [ch for ch, body in posted(emulator) if "slow down" in body] == ["UF2"]
    # feelings reach no one at all
    assert not [ch for ch, body in posted(emulator) if "Tired but proud" in body]
    # posted once: one summary delivery, one message in the channel
    assert wait_for_status(stack, "debrief_summary", PRIVATE, {"sent"}) == ["sent"]
    assert statuses(stack, "debrief_summary") == ["sent"]
    assert len([m for m in emulator.messages(PRIVATE) if "Debrief summary" in json.dumps(m)]) == 1

    # too late to edit now, and the reason is given
    driver.press("UF1", prompt, OPEN_DEBRIEF)
    emulator.wait_for("response_url", where=lambda c: "already been posted" in str(c.args))
    assert "summary posted" in json.dumps(driver.command("UCOORD", "debriefs", channel_id=CHANNEL))

    # the action is tracked: its owner can tick it, others see it without a button
    listing = driver.command("UF1", "actions", channel_id=CHANNEL)
    assert "Book a bigger room" in json.dumps(listing) and ACTION_DONE not in json.dumps(listing)
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        action_id = db.scalars(select(DebriefAction.id)).one()
    driver.press("UF1", None, ACTION_DONE, value=str(action_id))
    emulator.wait_for("response_url", where=lambda c: "Only <@UTEAM>" in str(c.args))
    owner_view = driver.command("UTEAM", "actions", channel_id=CHANNEL)
    assert ACTION_DONE in json.dumps(owner_view)
    driver.press("UTEAM", None, ACTION_DONE, value=str(action_id))
    emulator.wait_for("response_url", where=lambda c: "done by <@UTEAM>" in str(c.args))
    assert "No open actions" in json.dumps(driver.command("UTEAM", "actions", channel_id=CHANNEL))


def test_validation_skip_nudges_and_the_deadline(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    add_people(emulator)
    # a 9-second debrief window: nudges at +3 s and about +7 s, the deadline at +9 s
    project_id = seed_project(stack, {"debrief_within": 9, "feedback_within": 3600})
    seed_session(stack, project_id, ends_in=1)
    prompt = driver.dm_with("UF1", OPEN_DEBRIEF)
    driver.press("UF1", prompt, SKIP_DEBRIEF)
    emulator.wait_for("response_url", where=lambda c: "no more nudges" in str(c.args))

    # skipping still leaves the debrief open to write; the modal checks what is typed
    modal = driver.open_modal("UF1", prompt, OPEN_DEBRIEF)
    answer = driver.submit_modal("UF1", modal, {})
    assert answer["response_action"] == "errors" and "went_well" in answer["errors"]
    answer = driver.submit_modal("UF1", modal, {"dev_text_1": text("Nice pacing")})
    assert set(answer["errors"]) == {"dev_to_1"}
    answer = driver.submit_modal("UF1", modal, {"dev_to_1": person("UF1"), "went_well": text("ok")})
    assert "co-facilitators" in answer["errors"]["dev_to_1"]
    answer = driver.submit_modal("UF1", modal, {"went_well": text("x" * 2001)})
    assert "2000" in answer["errors"]["went_well"]
    assert len(emulator.open_views) == 1  # still open, for the person to fix

    # the deadline passes without UF2: the summary still goes, by DM without a channel
    driver.dm_with("UF2", "gentle nudge")
    driver.dm_with("UCOORD", "Debrief summary")
    summary = driver.dm_with("UF1", "Debrief summary")
    assert "skipped: <@UF1>" in json.dumps(summary) and "No one wrote" in json.dumps(summary)
    # the nudges stopped for the person who skipped: none was ever sent to them
    assert statuses(stack, "debrief_nudge", "UF1") and "sent" not in statuses(
        stack, "debrief_nudge", "UF1"
    )
    assert not [m for m in emulator.messages("UF1") if "gentle nudge" in json.dumps(m)]


def ask_for(emulator: SlackEmulator, user: str, title: str) -> dict[str, Any]:
    """The feedback ask about session `title` in `user`'s DMs (waiting for it)."""

    def is_ask(body: str) -> bool:
        return title in body and FEEDBACK_HEARD in body

    emulator.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("channel") == user and is_ask(json.dumps(c.args)),
        timeout=20,
    )
    return next(m for m in emulator.messages(user) if is_ask(json.dumps(m)))


NAMED = {VALUE: ticked("named")}


def test_participant_feedback_shows_a_spread_only_from_three_answers(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    add_people(emulator)
    project_id = seed_project(stack, {"debrief_within": 3600, "feedback_within": 12})
    seed_session(stack, project_id, ends_in=1, title="Small group", participants=["UP1", "UP2"])
    seed_session(stack, project_id, ends_in=1, title="Whole group")

    # UP1 and UP2 are in both sessions: each ask is found by its session's title
    for user, score in (("UP1", 4), ("UP2", 2)):
        ask = ask_for(emulator, user, "Small group")
        modal = driver.open_modal(user, ask, f"{FEEDBACK_HEARD}{score}")
        assert '"initial_option"' in json.dumps(modal["blocks"])  # the pressed score is chosen
        driver.submit_modal(
            user, modal, {"heard": choice(score), "keep": text(f"keep from {user}")}
        )
    for user, score, named in (("UP1", 5, True), ("UP2", 5, False), ("UP3", 3, False)):
        ask = ask_for(emulator, user, "Whole group")
        modal = driver.open_modal(user, ask, f"{FEEDBACK_HEARD}{score}")
        values: dict[str, Any] = {"heard": choice(score), "change": text(f"change from {user}")}
        if named:
            values["named"] = NAMED
        assert "errors" not in driver.submit_modal(user, modal, values)

    small = driver.dm_with("UF1", "Participant feedback on *Small group*")
    said = json.dumps(small)
    assert "2 of 2 participants answered" in said
    assert "too few to show the spread" in said and "\\u2588" not in said and "█" not in said
    assert "keep from UP1" in said and "<@UP1>" not in said  # anonymous by default

    large = driver.dm_with("UF2", "Participant feedback on *Whole group*")
    said = json.dumps(large, ensure_ascii=False)
    assert "3 people answered" in said and "too few" not in said
    assert "5 · Completely: ██ 2" in said and "3 · Somewhat: █ 1" in said
    assert "change from UP1 (from <@UP1>)" in said  # they chose to add their name
    assert "change from UP2" in said and "<@UP2>" not in said


def test_deliveries_live_in_the_ledger_and_survive_a_restart(database_url: str) -> None:
    with LocalStack(database_url=database_url) as first:
        first.emulator.add_user("UCOORD", name="cora")
        add_people(first.emulator)
        # feedback asks wait a quarter of the window (2 s) for the attendance register
        project_id = seed_project(first, {"debrief_within": 3600, "feedback_within": 8})
        session_id = seed_session(first, project_id, ends_in=4)
        kinds = {
            (k, t)
            for k, t in _ledger(first, session_id)
            if k in ("debrief_prompt", "feedback_ask", "debrief_summary", "feedback_digest")
        }
        assert ("debrief_prompt", "UF1") in kinds and ("feedback_ask", "UP3") in kinds
        assert ("debrief_summary", "UCOORD") in kinds and ("feedback_digest", "UF2") in kinds
    # the first process is gone before anything was due; a fresh one sends from the ledger
    with LocalStack(database_url=database_url) as second:
        add_people(second.emulator)
        second.emulator.add_user("UCOORD", name="cora")
        assert second.client is not None
        fresh = Driver(second.client, second.emulator)
        fresh.dm_with("UF1", OPEN_DEBRIEF)
        fresh.dm_with("UP3", f"{FEEDBACK_HEARD}1")


def _ledger(stack: LocalStack, session_id: int) -> list[tuple[str, str]]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return [
            (row.kind, row.target)
            for row in db.scalars(
                select(Delivery).where(
                    Delivery.subject_type == "session", Delivery.subject_id == session_id
                )
            )
        ]


def test_coordinators_reword_questions_choose_the_channel_and_add_reflective_practice(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    add_people(emulator)
    project_id = seed_project(stack, {})
    assert (
        "Only coordinators"
        in driver.command("UF1", "debrief questions", channel_id=CHANNEL)["text"]
    )
    slack.slash_command(user_id="UCOORD", text="debrief questions", channel_id=CHANNEL)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    values = {
        key: text(f"Q {key}?")
        for key in ("went_well", "change", "voices", "development", "feeling", "actions")
    }
    answer = driver.submit_modal("UCOORD", modal, {**values, "voices": text("  ")})
    assert set(answer["errors"]) == {"voices"}
    driver.submit_modal("UCOORD", modal, values)
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        settings = db.get(DebriefSettings, project_id)
        assert settings is not None and settings.questions["voices"] == "Q voices?"

    assert (
        "couldn't read a channel"
        in driver.command("UCOORD", "debrief channel general", channel_id=CHANNEL)["text"]
    )
    assert "by DM" in driver.command("UCOORD", "debrief channel", channel_id=CHANNEL)["text"]

    day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    reply = driver.command(
        "UCOORD",
        f'reflective add "Reflect together" {day} 10:00 90m with <@UF1> <@UF2>',
        channel_id=CHANNEL,
    )
    assert "Reflect together" in reply["text"]
    with transaction(stack.runtime.factory) as db:
        row = db.scalars(select(CoSession).where(CoSession.title == "Reflect together")).one()
        assert row.kind == "reflective"
        kinds = set(db.scalars(select(Delivery.kind).where(Delivery.subject_id == row.id)))
    assert "reflective_reminder" in kinds and "debrief_prompt" not in kinds
