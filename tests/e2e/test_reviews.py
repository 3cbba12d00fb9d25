"""The participants' review end to end: a round with approvals and changes, names hidden but
shown for the one who chose, the one reminder, the close after a restart (once), oversight
hearing only the outcome, a second round, and the report."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy import update

from cobot.sandbox.people import Driver
from cobot.sandbox.people import dated
from cobot.sandbox.people import state
from cobot.sandbox.people import ticked
from cobot.sandbox.people import typed
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import reviews as service
from cobot.slack.blocks import checkins as checkin_blocks
from cobot.slack.blocks import perspectives as perspective_blocks
from cobot.slack.blocks import reviews as blocks
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from cobot.storage.models import MemberPerspectives
from cobot.storage.models import Project
from cobot.storage.models import ReviewAnswer
from cobot.storage.models import ReviewRound
from tests.e2e.test_home import open_home
from tests.polling import wait_until
from tests.seeds import add_project

CHANNEL = "C0REVIEW"
PARTICIPANTS = ["UP1", "UP2", "UP3", "UP4", "UP5"]
MEMBERS = [("UCOORD", "coordinator"), ("UF1", "practitioner"), ("UO1", "oversight")]
MEMBERS += [("US1", "steering")] + [(u, "participant") for u in PARTICIPANTS]
DRAFT = "https://docs.example.org/framework-draft"


def people(emulator: SlackEmulator) -> None:
    for user, _role in MEMBERS:
        emulator.add_user(user, name=user.lower())


def seed(stack: LocalStack) -> int:
    people(stack.emulator)
    stack.emulator.add_channel(CHANNEL, name="review", members=[u for u, _ in MEMBERS])
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return add_project(db, channel_id=CHANNEL, members=MEMBERS, now=datetime.now(UTC)).id


def start(driver: Driver, url: str, days: int, note: str = "") -> dict[str, Any]:
    modal = driver.command_modal("UCOORD", "review start", channel_id=CHANNEL)
    day = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
    return driver.submit_modal(
        "UCOORD",
        modal,
        state(blocks.VALUE, draft_url=typed(url), deadline=dated(day), note=typed(note)),
    )


def answer(
    driver: Driver, user: str, action: str, text: str, *, named: bool = False
) -> dict[str, Any]:
    invite = driver.dm_with(user, blocks.APPROVE)
    modal = driver.open_modal(user, invite, action)
    assert modal["callback_id"] == blocks.ANSWER_MODAL
    chosen = ticked(blocks.NAMED_YES) if named else ticked()
    return driver.submit_modal(user, modal, state(blocks.VALUE, text=typed(text), named=chosen))


def shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_a_review_round_with_approvals_changes_a_reminder_a_close_after_restart_and_round_two(
    database_url: str,
) -> None:
    with LocalStack(database_url=database_url) as first:
        assert first.client is not None and first.runtime is not None
        driver = Driver(first.client, first.emulator)
        project_id = seed(first)
        assert (
            "Only coordinators" in driver.command("UP1", "review start", channel_id=CHANNEL)["text"]
        )
        # a link that is not one and a day in the past are refused inline, nothing is stored
        refused = start(driver, "not a link", -1)
        assert set(refused["errors"]) == {blocks.DRAFT_URL, blocks.DEADLINE}
        refused = start(driver, "javascript:alert(1)", 5)
        assert set(refused["errors"]) == {blocks.DRAFT_URL}
        with transaction(first.runtime.factory) as db:
            assert db.scalars(select(ReviewRound)).all() == []
        assert start(driver, DRAFT, 10, note="Read *section 3* <!channel>") == {}
        driver.dm_with("UCOORD", "Round 1 of the review")

        # participants only are asked, with the link and the escaped note
        invite = driver.dm_with("UP1", blocks.APPROVE)
        assert f"<{DRAFT}|Open the draft>" in shown(invite)
        assert "&lt;!channel&gt;" in shown(invite) and "<!channel>" not in shown(invite)
        for other in ("UCOORD", "UF1", "UO1", "US1"):
            assert driver.dms(other, blocks.APPROVE) == []
        round_id = int(blocks.find_round(invite))

        # approvals, changes (one named), a "not yet" changed to changes
        driver.press("UP1", invite, blocks.APPROVE)
        driver.press("UP2", driver.dm_with("UP2", blocks.APPROVE), blocks.APPROVE)
        assert "errors" in answer(driver, "UP3", blocks.CHANGES, "   ")  # words are needed
        answer(driver, "UP3", blocks.CHANGES, "Add a glossary <@UCOORD>", named=True)
        answer(driver, "UP4", blocks.NOT_YET, "Too long to read")
        answer(driver, "UP4", blocks.CHANGES, "A shorter summary please")
        # nobody else can answer: not the oversight group, not a forged round
        driver.press("UO1", None, blocks.APPROVE, value=str(round_id))
        driver.press("UP5", None, blocks.APPROVE, value="999999")
        with transaction(first.runtime.factory) as db:
            answers = {a.user_id: a for a in db.scalars(select(ReviewAnswer))}
            assert set(answers) == {"UP1", "UP2", "UP3", "UP4"}
            assert answers["UP4"].choice == "changes" and answers["UP3"].named
            assert not answers["UP4"].named
            raw = db.execute(sql("SELECT text FROM review_answers")).scalars().all()
            assert all("glossary" not in str(r) and "shorter" not in str(r) for r in raw)

        # while open, the coordinator sees how many answered and nothing else
        status = shown(driver.command("UCOORD", "review", channel_id=CHANNEL))
        assert "4 of 5 participants have answered" in status
        assert "glossary" not in status and "approve with changes" not in status.lower()
        oversight = shown(driver.command("UO1", "review", channel_id=CHANNEL))
        assert "have answered" not in oversight and "glossary" not in oversight
        # a second round cannot start while this one is open
        again = shown(driver.command("UCOORD", "review start", channel_id=CHANNEL))
        assert "still open" in again

        # the one reminder: only to the one who has not answered
        with transaction(first.runtime.factory) as db:
            db.execute(
                update(Delivery)
                .where(Delivery.kind == service.REMINDER)
                .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        first.runtime.runner.sweep()
        driver.dm_with("UP5", "A reminder")
        assert first.runtime is not None
        factory = first.runtime.factory

        def reminders() -> dict[str, str]:
            with transaction(factory) as db:
                rows = db.scalars(select(Delivery).where(Delivery.kind == service.REMINDER))
                return {d.target: d.status for d in rows}

        # the send is recorded just after Slack accepted it
        wait_until(lambda: reminders().get("UP5") == "sent", what="the reminder recorded")
        assert reminders() == {
            "UP5": "sent",
            "UP1": "skipped",
            "UP2": "skipped",
            "UP3": "skipped",
            "UP4": "skipped",
        }

        # the deadline passes while cobot is down
        with transaction(first.runtime.factory) as db:
            past = datetime.now(UTC) - timedelta(seconds=5)
            db.execute(update(ReviewRound).values(deadline=past))
            db.execute(
                update(Delivery)
                .where(Delivery.kind.in_([service.RESULTS, service.OUTCOME]))
                .values(due_at=past)
            )
        first.runtime.alarms.pause()
        key = first.encryption_key

    emulator = SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    people(emulator)
    emulator.add_channel(CHANNEL, name="review", members=[u for u, _ in MEMBERS])
    with LocalStack(database_url=database_url, emulator=emulator, encryption_key=key) as second:
        assert second.client is not None and second.runtime is not None
        driver = Driver(second.client, second.emulator)
        results = shown(driver.dm_with("UCOORD", "closed: approved with changes"))
        assert "4 of 5 participants answered: 2 approve, 2 approve with changes, 0 not yet" in (
            results
        )
        # the unnamed words without a name; the named one with theirs, escaped
        assert "A shorter summary please" in results and "UP4" not in results
        assert "<@UP3>: I approve with changes: Add a glossary &lt;@UCOORD&gt;" in results
        assert "Too long to read" not in results  # the changed answer, not the first
        for user in ("UP1", "UP2", "UP5"):
            assert user not in results
        # oversight and steering hear only that it happened and its outcome
        for user in ("UO1", "US1"):
            told = shown(driver.dm_with(user, "participants' review"))
            assert "approved with changes" in told
            assert "shorter" not in told.lower() and "glossary" not in told and "4 of 5" not in told
        # the participants hear the outcome too, and nobody's words
        told = shown(driver.dm_with("UP5", "participants' review"))
        assert "approved with changes" in told and "shorter" not in told.lower()
        # answers can no longer change
        driver.press("UP5", None, blocks.APPROVE, value=str(round_id))
        second.emulator.wait_for("response_url", where=lambda c: "has closed" in json.dumps(c.args))
        # the close happened once, however often the sweep runs
        second.runtime.runner.sweep()
        assert len(driver.dms("UCOORD", "closed: approved with changes")) == 1
        with transaction(second.runtime.factory) as db:
            row = db.get(ReviewRound, round_id)
            assert row is not None and row.outcome == "approved_with_changes"
            assert (row.approved, row.changes, row.not_yet) == (2, 2, 0)
            assert db.scalar(select(ReviewAnswer).where(ReviewAnswer.user_id == "UP5")) is None

        # oversight's /cobot review: the outcome only
        oversight = shown(driver.command("UO1", "review", channel_id=CHANNEL))
        assert "approved with changes" in oversight and "shorter" not in oversight.lower()

        # a second round, numbered
        assert start(driver, DRAFT + "-v2", 7) == {}
        invite = driver.dm_with("UP1", "round 2")
        driver.press("UP1", invite, blocks.APPROVE)
        status = shown(driver.command("UCOORD", "review", channel_id=CHANNEL))
        assert "Round 2 is open" in status and "1 of 5 participants have answered" in status
        # Homes: a participant who has not answered can answer from there; the coordinator
        # sees the count; oversight sees nothing of an open round
        home = open_home(second.client, second.emulator, "UP2", "Your review of")
        assert blocks.APPROVE in shown(home)
        home = open_home(second.client, second.emulator, "UCOORD", "Round 2 is open")
        assert "1 of 5 participants have answered" in shown(home)
        home = open_home(second.client, second.emulator, "UO1", "Your projects")
        assert "Round 2" not in shown(home) and "have answered" not in shown(home)

        # the report holds round 1 as the coordinator saw it
        driver.command("UCOORD", "export", channel_id=CHANNEL)
        second.emulator.wait_for("files.completeUploadExternal")
        report = next(
            f.content.decode() for f in second.emulator.files if f.filename == "project-report.md"
        )
        assert "### Round 1: approved with changes" in report
        assert "- A shorter summary please" in report and "UP4" not in report
        with transaction(second.runtime.factory) as db:
            numbers = db.scalars(
                select(ReviewRound.number).where(ReviewRound.project_id == project_id)
            ).all()
        assert sorted(numbers) == [1, 2]


def test_my_data_holds_my_review_answer_and_perspectives_and_forget_me_erases_them(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator
) -> None:
    seed(stack)
    assert stack.runtime is not None
    assert start(driver, DRAFT, 5) == {}
    answer(driver, "UP3", blocks.CHANGES, "qzmine add a glossary", named=True)
    answer(driver, "UP4", blocks.CHANGES, "qztheirs shorter please")
    modal = driver.command_modal("UP3", "perspectives", channel_id=CHANNEL)
    driver.submit_modal(
        "UP3", modal, state(perspective_blocks.VALUE, chosen=ticked("lived_experience"))
    )

    driver.command("UP3", "my data", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal")
    data = json.loads(emulator.files[-1].content)
    sections = {s["table"]: s["rows"] for s in data["sections"]}
    [mine] = sections["review_answers"]
    assert mine["text"] == "qzmine add a glossary" and mine["choice"] == "changes"
    assert "lived_experience" in json.dumps(sections["member_perspectives"])
    assert "qztheirs" not in json.dumps(data)

    reply = driver.command("UP3", "forget me", channel_id=CHANNEL)
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    driver.press("UP3", message, checkin_blocks.FORGET, value="1", channel_id=CHANNEL)
    emulator.wait_for("response_url", where=lambda c: "Erased everything" in str(c.args))
    with transaction(stack.runtime.factory) as db:
        left = {a.user_id: a.text for a in db.scalars(select(ReviewAnswer))}
        assert left == {"UP4": "qztheirs shorter please"}
        assert db.scalars(select(MemberPerspectives)).all() == []


def forget(driver: Driver, emulator: SlackEmulator, user: str, *, count: int = 1) -> str:
    """`forget me`, confirmed; the `count`th erasure reply, as the person reads it."""
    reply = driver.command(user, "forget me", channel_id=CHANNEL)
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    driver.press(user, message, checkin_blocks.FORGET, value="1", channel_id=CHANNEL)
    done = emulator.wait_for(
        "response_url", count=count, where=lambda c: "What remains, and why" in str(c.args)
    )
    return str(done[-1].args)


def test_forget_me_after_a_round_closed_unlinks_the_answer_and_an_open_round_loses_it(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator
) -> None:
    project_id = seed(stack)
    assert stack.runtime is not None
    factory = stack.runtime.factory
    assert start(driver, DRAFT, 5) == {}
    driver.press("UP1", driver.dm_with("UP1", blocks.APPROVE), blocks.APPROVE)
    answer(driver, "UP2", blocks.CHANGES, "qzsecond a glossary")
    answer(driver, "UP3", blocks.CHANGES, "qzmine shorter please")
    answer(driver, "UP4", blocks.NOT_YET, "qznamed too long", named=True)
    # the deadline passes; the coordinator's look closes the round
    with transaction(factory) as db:
        db.execute(update(ReviewRound).values(deadline=datetime.now(UTC) - timedelta(seconds=5)))

    def results() -> list[service.Results]:
        with transaction(factory) as db:
            project = db.get(Project, project_id)
            assert project is not None
            return service.results_of(db, project)

    before = shown(driver.command("UCOORD", "review", channel_id=CHANNEL))
    assert "qzmine shorter please" in before and "<@UP4>" in before
    closed = results()
    # round 2 is open; UP3 answers it too
    assert start(driver, DRAFT + "-v2", 7) == {}
    modal = driver.open_modal("UP3", driver.dm_with("UP3", "round 2"), blocks.CHANGES)
    filled = state(blocks.VALUE, text=typed("qzopen round words"), named=ticked())
    assert driver.submit_modal("UP3", modal, filled) == {}

    told = forget(driver, emulator, "UP3")
    assert "review rounds that have closed" in told and "no longer linked to you" in told
    # the closed round reads the same; the open round's answer is gone; nothing names UP3
    assert results() == closed
    words = shown("*Changes asked for*\n• qzmine shorter please\n• qzsecond a glossary")[1:-1]
    assert words in before
    after_view = shown(driver.command("UCOORD", "review", channel_id=CHANNEL))
    assert words in after_view and "1 approve, 2 approve with changes, 1 not yet" in after_view
    with transaction(factory) as db:
        rows = list(db.scalars(select(ReviewAnswer).where(ReviewAnswer.project_id == project_id)))
        assert "UP3" not in {a.user_id for a in rows}
        assert "qzopen round words" not in {a.text for a in rows}
        [kept] = [a for a in rows if a.text == "qzmine shorter please"]
        assert kept.user_id.startswith("forgotten-") and not kept.named
        assert kept.round_id == closed[0].round_id

    # a named participant's words stay in the closed round, without their name
    told = forget(driver, emulator, "UP4", count=2)
    # UP4 held nothing else: the reply says what happened, not that nothing did
    assert "nothing needed erasing" not in told
    assert "What you gave to parts of the project that have closed" in told
    [after] = results()
    assert after.named == () and "qznamed too long" in after.not_yet
    assert after.tally == closed[0].tally
    with transaction(factory) as db:
        users = set(db.scalars(select(ReviewAnswer.user_id)))
        assert "UP4" not in users and "UP3" not in users
    assert "<@UP4>" not in shown(driver.command("UCOORD", "review", channel_id=CHANNEL))
