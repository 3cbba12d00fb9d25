"""Export and erasure across every feature, the way Slack drives them, on SQLite and PostgreSQL:
a person who used everything runs `/cobot my data`, then `/cobot forget me`; afterwards no row
holds any of their text, encrypted or not, and nothing more is owed to them."""

from __future__ import annotations

import json
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Text
from sqlalchemy import select
from sqlalchemy import type_coerce

from cobot.domain.deliveries import DeliveryStatus
from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import chosen
from cobot.sandbox.people import dated
from cobot.sandbox.people import state
from cobot.sandbox.people import ticked
from cobot.sandbox.people import typed
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import ApiCall
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import checkins as blocks
from cobot.slack.blocks import endings as ending_blocks
from cobot.slack.blocks.debriefs import FEEDBACK_HEARD
from cobot.slack.blocks.debriefs import OPEN_DEBRIEF
from cobot.slack.blocks.involvement import CLAIM_QUERY
from cobot.slack.blocks.involvement import EXPENSE_APPROVE
from cobot.slack.blocks.involvement import OPEN_REGISTER
from cobot.storage import crypto
from cobot.storage.db import transaction
from cobot.storage.models import Base
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from tests.e2e import test_debriefs as dx
from tests.e2e import test_endings as ex
from tests.e2e.test_checkins import CHANNEL
from tests.e2e.test_checkins import TEAM
from tests.e2e.test_checkins import check_in
from tests.e2e.test_checkins import switch_on
from tests.seeds import add_project
from tests.seeds import add_session

ME = "UPART"
OTHER = "UF1"
# what each person typed, feature by feature (letters only, so feelings words accept them)
MINE = {
    "note": "qzmine checkin note",
    "contact": "qzmine contact message",
    "went_well": "qzmine went well",
    "change": "qzmine debrief change",
    "voices": "qzmine voices",
    "feeling_words": "qzmine drained",
    "dev": "qzmine feedback for a colleague",
    "action": "qzmine action for the next session",
    "keep": "qzmine keep this",
    "fb_change": "qzmine change that",
    "feel": "qzminefeel",
    "boat": "a sturdy qzmineboat",
    "evaluation": "qzmine evaluation went well",
    "how": "qzmine follow up how",
    "next": "qzmine follow up next",
    "time_note": "qzmine time log note",
    "expense": "qzmine expense for a taxi",
    "query": "qzmine claim query",
}
THEIRS = {
    "went_well": "qztheirs went well",
    "dev_for_me": "qztheirs feedback for you",
    "action_for_me": "qztheirs action you own",
    "action": "qztheirs own action",
    "feel": "qztheirsfeel",
    "evaluation": "qztheirs evaluation",
}


@pytest.fixture
def project_id(stack: LocalStack) -> int:
    for user in ("UP2", "UP3", "UCARE", OTHER):
        stack.emulator.add_user(user, name=user.lower())
    stack.emulator.add_channel(CHANNEL, name="recovery", members=["UCOORD", ME, OTHER])
    assert stack.runtime is not None
    members = [("UCOORD", "coordinator"), (ME, "practitioner"), (OTHER, "practitioner")]
    members += [(u, "participant") for u in ("UP2", "UP3")]
    with transaction(stack.runtime.factory) as db:
        project = add_project(
            db,
            channel_id=CHANNEL,
            members=members,
            now=datetime.now(UTC),
            lead_times={"debrief_within": 3600, "feedback_within": 3600},
        )
        return project.id


def _session(
    stack: LocalStack,
    project_id: int,
    title: str,
    *,
    starts: timedelta,
    ends: timedelta,
    people: dict[str, str],
) -> int:
    """A session planned as sessions plan one (past starts are refused there, so the row is
    made here, as tests/e2e/test_debriefs.py does)."""
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        row = add_session(
            db,
            db.get_one(Project, project_id),
            title=title,
            starts_at=now + starts,
            ends_at=now + ends,
            people=people.items(),
            now=now,
        )
        return row.id


def _dm(emulator: SlackEmulator, user: str, *words: str) -> dict[str, Any]:
    """The message cobot sent `user` holding all of `words`, as sent: a first attempt may meet
    Slack's per-channel rate limit, and its buttons work the same whether it is stored now or
    when the ledger retries."""

    def wanted(call: ApiCall) -> bool:
        body = json.dumps(call.args, ensure_ascii=False)
        return call.args.get("channel") == user and all(w in body for w in words)

    [call, *_] = emulator.wait_for("chat.postMessage", where=wanted, timeout=30)
    return {"ts": "1.000001", "text": call.args.get("text", ""), "blocks": call.args["blocks"]}


def use_every_feature(stack: LocalStack, driver: Driver, project_id: int) -> None:
    """Everything through Slack: a check-in with a note and a contact request, a debrief with
    developmental feedback and actions (and a colleague's for me), session feedback, feelings,
    boat and evaluation; only the follow-up, weeks after the end, is the service call its
    modal makes."""
    switch_on(driver)
    answered = check_in(stack, driver, ME, 2)
    modal = driver.open_modal(ME, answered, blocks.NOTE)
    assert "errors" not in driver.submit_modal(ME, modal, state("input", note=typed(MINE["note"])))
    driver.emulator.wait_for("chat.postMessage", where=lambda c: "note is saved" in str(c.args))
    modal = driver.open_modal(ME, answered, blocks.CONTACT)
    values = state("input", share=ticked("note"), message=typed(MINE["contact"]))
    assert "errors" not in driver.submit_modal(ME, modal, values)
    driver.emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "UCARE")

    # two sessions that end now: I facilitate one and take part in the other
    ended = {"starts": -timedelta(hours=2), "ends": timedelta(seconds=1)}
    _session(
        stack,
        project_id,
        "Our values",
        **ended,
        people={ME: "facilitator", OTHER: "facilitator", "UP2": "participant"},
    )
    _session(
        stack, project_id, "Co-writing", **ended, people={OTHER: "facilitator", ME: "participant"}
    )
    # a future session: its reminders are owed to me until I am forgotten
    _session(
        stack,
        project_id,
        "Next steps",
        starts=timedelta(days=3),
        ends=timedelta(days=3, hours=2),
        people={ME: "participant"},
    )
    prompt = _dm(driver.emulator, ME, OPEN_DEBRIEF, "Our values")
    modal = driver.open_modal(ME, prompt, OPEN_DEBRIEF)
    mine = {
        "went_well": dx.text(MINE["went_well"]),
        "change": dx.text(MINE["change"]),
        "voices": dx.text(MINE["voices"]),
        "dev_to_1": dx.person(OTHER),
        "dev_text_1": dx.text(MINE["dev"]),
        "feeling": dx.choice(2),
        "feeling_words": dx.text(MINE["feeling_words"]),
        "action_text_1": dx.text(MINE["action"]),
        "action_owner_1": dx.person(OTHER),
    }
    assert "errors" not in driver.submit_modal(ME, modal, mine)
    prompt = _dm(driver.emulator, OTHER, OPEN_DEBRIEF, "Our values")
    modal = driver.open_modal(OTHER, prompt, OPEN_DEBRIEF)
    theirs = {
        "went_well": dx.text(THEIRS["went_well"]),
        "dev_to_1": dx.person(ME),
        "dev_text_1": dx.text(THEIRS["dev_for_me"]),
        "action_text_1": dx.text(THEIRS["action_for_me"]),
        "action_owner_1": dx.person(ME),
        "action_text_2": dx.text(THEIRS["action"]),
        "action_owner_2": dx.person(OTHER),
    }
    assert "errors" not in driver.submit_modal(OTHER, modal, theirs)
    _dm(driver.emulator, ME, THEIRS["dev_for_me"])  # the summary is out: feedback for me arrives

    # the other facilitator takes the Co-writing register (I came), so feedback asks go now
    register = _dm(driver.emulator, OTHER, OPEN_REGISTER, "Co-writing")
    modal = driver.open_modal(OTHER, register, OPEN_REGISTER)
    assert "errors" not in driver.submit_modal(OTHER, modal, {"present_1": {"value": ticked(ME)}})
    use_payments(driver)

    ask = _dm(driver.emulator, ME, FEEDBACK_HEARD, "Co-writing")
    modal = driver.open_modal(ME, ask, f"{FEEDBACK_HEARD}4")
    feedback = {
        "heard": dx.choice(4),
        "keep": dx.text(MINE["keep"]),
        "change": dx.text(MINE["fb_change"]),
        "named": dx.NAMED,
    }
    assert "errors" not in driver.submit_modal(ME, modal, feedback)

    ex.start_ending(driver)
    for user, feel, boat, evaluation in (
        (ME, MINE["feel"], MINE["boat"], MINE["evaluation"]),
        (OTHER, THEIRS["feel"], "a raft", THEIRS["evaluation"]),
    ):
        invite = _dm(driver.emulator, user, ending_blocks.OPEN_FEELINGS)
        modal = driver.open_modal(user, invite, ending_blocks.OPEN_FEELINGS)
        words = ex.values(words=typed(f"hopeful {feel}"), boat=typed(boat))
        assert "errors" not in driver.submit_modal(user, modal, words)
        invite = _dm(driver.emulator, user, ending_blocks.OPEN_EVALUATION)
        modal = driver.open_modal(user, invite, ending_blocks.OPEN_EVALUATION)
        driver.submit_modal(user, modal, ex.values(went_well=typed(evaluation)))
        for what in ("answer", "evaluation"):  # the confirmations, sent after the ack

            def confirms(c: ApiCall, u: str = user, w: str = what) -> bool:
                return c.args.get("channel") == u and f"Your {w} for" in str(c.args)

            driver.emulator.wait_for("chat.postMessage", where=confirms)
    assert stack.runtime is not None
    stack.runtime.endings.submit_follow_up(
        team_id=TEAM, user_id=ME, project_id=project_id, how=MINE["how"], what_next=MINE["next"]
    )


def use_payments(driver: Driver) -> None:
    """A time log with a note, a payment choice, an expense approved, a claim queried."""
    v = dx.text
    modal = driver.command_modal(ME, "log time", channel_id=CHANNEL)
    today = datetime.now(UTC).date().isoformat()
    values = {
        "activity": {"value": chosen("briefing_call")},
        "day": {"value": dated(today)},
        "hours": v("1"),
        "note": v(MINE["time_note"]),
    }
    assert "errors" not in driver.submit_modal(ME, modal, values)
    modal = driver.command_modal(ME, "payment", channel_id=CHANNEL)
    assert "errors" not in driver.submit_modal(ME, modal, {"choice": {"value": chosen("paid")}})
    modal = driver.command_modal(ME, "expense", channel_id=CHANNEL)
    values = {
        "kind": {"value": chosen("travel")},
        "amount": v("9.20"),
        "what_for": v(MINE["expense"]),
    }
    assert "errors" not in driver.submit_modal(ME, modal, values)
    review = _dm(driver.emulator, "UCOORD", MINE["expense"])
    driver.press("UCOORD", review, EXPENSE_APPROVE)
    driver.emulator.wait_for("response_url", where=lambda c: "Approved by" in str(c.args))
    assert "1 claim(s)" in driver.command("UCOORD", "claims end", channel_id=CHANNEL)["text"]
    claim = _dm(driver.emulator, ME, CLAIM_QUERY)
    modal = driver.open_modal(ME, claim, CLAIM_QUERY)
    assert "errors" not in driver.submit_modal(ME, modal, {"query": v(MINE["query"])})
    driver.emulator.wait_for("chat.postMessage", where=lambda c: MINE["query"] in str(c.args))


def settle(stack: LocalStack) -> None:
    """Wait until no delivery is mid-send. Stopping the scheduler while a send records its
    failure (a rate-limited DM re-arming its alarm) can hang APScheduler's shutdown: a known
    issue of the scheduling layer, not of what this file tests."""
    assert stack.runtime is not None
    deadline = time.monotonic() + 20
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:
        with transaction(stack.runtime.factory) as db:
            busy = db.scalar(select(Delivery.id).where(Delivery.status == DeliveryStatus.SENDING))
        quiet = 0 if busy is not None else quiet + 1
        time.sleep(0.1)


def every_text(stack: LocalStack) -> str:
    """Every value in every table, encrypted ones decrypted from the raw column."""
    assert stack.runtime is not None
    found: list[str] = []
    with stack.runtime.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [type_coerce(c, Text).label(c.name) for c in table.columns]
            for row in conn.execute(select(*columns)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(column.type, crypto.EncryptedText):
                        found.append(crypto.decrypt(str(value)))
                    found.append(str(value))
    return "\n".join(found)


def test_my_data_holds_every_feature_then_forget_me_leaves_none_of_my_text(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    use_every_feature(stack, driver, project_id)
    stored = every_text(stack)
    assert all(text in stored for text in (*MINE.values(), *THEIRS.values()))

    # my data: a readable file and a JSON file, in my DM, with all of mine
    driver.command(ME, "my data", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal")
    readable, document = emulator.files
    assert document.channels == (emulator.im_channel(ME),)
    data = json.loads(document.content)
    exported = json.dumps(data, ensure_ascii=False)
    markdown = readable.content.decode()
    for text in MINE.values():
        assert text in exported, text
        assert text in markdown, text
    # what colleagues wrote for me, which was mine to see; nothing else of theirs
    for text in (THEIRS["dev_for_me"], THEIRS["action_for_me"]):
        assert text in exported and text in markdown
    for text in (THEIRS["went_well"], THEIRS["action"], THEIRS["feel"], THEIRS["evaluation"]):
        assert text not in exported and text not in markdown
    tables = {s["table"] for s in data["sections"]}
    assert tables >= {
        "checkin_people",
        "checkin_answers",
        "checkin_contact_requests",
        "debriefs",
        "debrief_dev_notes",
        "debrief_actions",
        "participant_feedback",
        "ending_feelings",
        "ending_evaluations",
        "ending_follow_ups",
        "members",
        "session_people",
        "attendance",
        "time_logs",
        "payment_choices",
        "expenses",
        "claims",
        "claim_queries",
    }
    [evaluation] = next(s["rows"] for s in data["sections"] if s["table"] == "ending_evaluations")
    assert evaluation["answers"]["went_well"] == MINE["evaluation"]  # parsed, not a JSON string

    with transaction(stack.runtime.factory) as db:  # type: ignore[union-attr]
        # due later (anything due now may rightly go out before I press the button)
        owed = db.scalars(
            select(Delivery.id).where(
                Delivery.target == ME,
                Delivery.status == DeliveryStatus.SCHEDULED,
                Delivery.due_at > datetime.now(UTC) + timedelta(hours=1),
            )
        ).all()
    assert owed, "the future session's reminders are owed to me"

    # forget me: asks first, says it erases everything now
    reply = driver.command(ME, "forget me", channel_id=CHANNEL)
    assert "all your cobot data" in json.dumps(reply["blocks"])
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    driver.press(ME, message, blocks.FORGET, value="1", channel_id=CHANNEL)
    [call] = emulator.wait_for("response_url", where=lambda c: "Erased everything" in str(c.args))
    said = str(call.args)
    assert "What remains" in said and "cannot be traced to you" in said
    assert "membership" in said and "team's list" in said
    assert "delivery log" in said and "wellbeing contact" not in said
    assert "HMRC" in said and "6 years" in said  # confirmed-or-not claims' amounts stay

    # no row holds any of my text, encrypted or not; the colleague's own text stays
    stored = every_text(stack)
    for text in MINE.values():
        assert text not in stored, text
    assert THEIRS["dev_for_me"] not in stored  # written only for me: gone with me
    for text in (THEIRS["went_well"], THEIRS["action"], THEIRS["feel"], THEIRS["evaluation"]):
        assert text in stored, text
    assert THEIRS["action_for_me"] in stored  # the team's work, said to remain

    with transaction(stack.runtime.factory) as db:  # type: ignore[union-attr]
        statuses = {
            row.id: row.status for row in db.scalars(select(Delivery).where(Delivery.target == ME))
        }
    assert DeliveryStatus.SCHEDULED not in statuses.values(), statuses
    assert all(statuses.get(i) in (None, DeliveryStatus.CANCELLED) for i in owed), statuses

    # a second export holds only what was said to remain: membership, the team's action
    before = len(emulator.files)
    driver.command(ME, "my data", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal", count=2)
    assert len(emulator.files) == before + 2
    again = json.loads(emulator.files[-1].content)
    assert {s["table"] for s in again["sections"]} == {
        "members",
        "session_people",
        "debrief_actions",
        "deliveries",
        "attendance",
        "claims",
    }
    assert THEIRS["action_for_me"] in json.dumps(again, ensure_ascii=False)
    settle(stack)
