"""Involvement and payment end to end: the register, feedback to attendees only, hours, payment
choices, expenses with a question, a confirmed claim in the finance CSV, the budget warning."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import ElementValue
from cobot.sandbox.people import chosen
from cobot.sandbox.people import dated
from cobot.sandbox.people import picked_users
from cobot.sandbox.people import ticked
from cobot.sandbox.people import typed
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks.debriefs import FEEDBACK_HEARD
from cobot.slack.blocks.forms import INPUT
from cobot.slack.blocks.involvement import CLAIM_CONFIRM
from cobot.slack.blocks.involvement import EXPENSE_ANSWER
from cobot.slack.blocks.involvement import EXPENSE_APPROVE
from cobot.slack.blocks.involvement import EXPENSE_ASK
from cobot.slack.blocks.involvement import OPEN_REGISTER
from cobot.slack.kit import STALE
from cobot.storage.db import transaction
from cobot.storage.models import Attendance
from cobot.storage.models import Claim
from cobot.storage.models import Delivery
from cobot.storage.models import Expense
from cobot.storage.models import PaymentChoiceRow
from tests.e2e.test_home import open_home
from tests.polling import wait_until
from tests.seeds import add_project
from tests.seeds import add_session

CHANNEL = "C0PAY"
FACILITATORS = ["UF1", "UF2"]
PARTICIPANTS = ["UP1", "UP2", "UP3"]
LATE = "UP4"  # a member who came without being on the session's list


def _v(value: ElementValue) -> dict[str, ElementValue]:
    return {INPUT: value}


def text(value: str) -> dict[str, ElementValue]:
    return _v(typed(value))


def choice(value: str) -> dict[str, ElementValue]:
    return _v(chosen(value))


def setup(stack: LocalStack, emulator: SlackEmulator) -> tuple[int, int]:
    for user in [*FACILITATORS, *PARTICIPANTS, LATE]:
        emulator.add_user(user, name=user.lower())
    emulator.add_channel(CHANNEL, name="pay", members=["UCOORD", *FACILITATORS])
    assert stack.runtime is not None
    now = datetime.now(UTC)
    people = [("UCOORD", "coordinator")] + [(u, "practitioner") for u in FACILITATORS]
    people += [(u, "participant") for u in [*PARTICIPANTS, LATE]]
    with transaction(stack.runtime.factory) as db:
        project = add_project(
            db,
            channel_id=CHANNEL,
            members=people,
            now=now,
            lead_times={"debrief_within": 3600, "feedback_within": 40},
        )
        project.start_date = now.date() - timedelta(days=10)
        project.end_date = now.date() + timedelta(days=90)
        session = add_session(
            db,
            project,
            title="Our values",
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(seconds=1),
            people=[(u, "facilitator") for u in FACILITATORS]
            + [(u, "participant") for u in PARTICIPANTS],
            now=now,
        )
        return project.id, session.id


def statuses(stack: LocalStack, kind: str, target: str) -> list[str]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return list(
            db.scalars(
                select(Delivery.status).where(Delivery.kind == kind, Delivery.target == target)
            )
        )


def seen(driver: Driver, user: str, words: str) -> dict[str, Any]:
    """The first message in `user`'s DM holding `words`, once it is there (a first attempt
    Slack refused, rate-limited say, is recorded as a call but shows no message)."""
    wait_until(lambda: bool(driver.dms(user, words)), 20, f"{user}: {words}")
    return driver.dms(user, words)[0]


def errors_of(answer: dict[str, Any]) -> dict[str, str]:
    assert answer.get("response_action") == "errors", answer
    return dict(answer["errors"])


def test_register_feedback_hours_expenses_claim_finance_and_budget(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    project_id, session_id = setup(stack, emulator)

    # the coordinator sets the rates: equal by default; a different one needs a reason
    modal = driver.command_modal("UCOORD", "pay setup", channel_id=CHANNEL)
    base = {
        "currency": choice("GBP"),
        "default_rate": text("20.00"),
        "prep_facilitator": text("60"),
        "prep_participant": text("30"),
        "benefits_contact": text("Welfare rights service, 0800 000 111"),
    }
    answer = driver.submit_modal(
        "UCOORD", modal, {**base, "activity_oversight_meeting": text("25.00")}
    )
    assert "reason" in errors_of(answer)
    answer = driver.submit_modal("UCOORD", modal, {**base, "default_rate": text("-3")})
    assert "negative" in errors_of(answer)["default_rate"]
    assert "errors" not in driver.submit_modal("UCOORD", modal, base)
    driver.dm_with("UCOORD", "Pay and rates")
    refused = driver.run_command("UF1", "pay setup", channel_id=CHANNEL)
    assert "Only coordinators" in refused.text

    # the session ends: each facilitator gets one register, everyone expected ticked
    message = seen(driver, "UF1", OPEN_REGISTER)
    assert "3 expected" in json.dumps(message)
    driver.dm_with("UF2", OPEN_REGISTER)
    driver.press("UP1", message, OPEN_REGISTER)
    emulator.wait_for("response_url", where=lambda c: "Only the facilitators" in str(c.args))
    modal = driver.open_modal("UF1", message, OPEN_REGISTER)
    shown = json.dumps(modal["blocks"])
    assert shown.count('"initial_options"') == 1
    assert all(f"<@{u}>" in shown for u in PARTICIPANTS)
    # UP3 did not come; UP4 came unexpectedly
    values = {
        "present_1": _v(ticked("UP1", "UP2")),
        "extra": _v(picked_users([LATE])),
    }
    assert "errors" not in driver.submit_modal("UF1", modal, values)
    saved = seen(driver, "UF1", "register for *Our values* is saved")
    assert "not there: <@UP3>" in json.dumps(saved) and "also came: <@UP4>" in json.dumps(saved)

    # feedback goes only to those who came (the unexpected one too), never to the absentee
    for user in ("UP1", "UP2", LATE):
        driver.dm_with(user, FEEDBACK_HEARD)
    wait_until(lambda: statuses(stack, "feedback_ask", "UP3") == ["cancelled"], 20, "UP3's ask")
    assert not driver.dms("UP3", FEEDBACK_HEARD)
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        marks = {
            m.user_id: m.attended
            for m in db.scalars(select(Attendance).where(Attendance.session_id == session_id))
        }
    assert marks == {"UF1": True, "UF2": True, "UP1": True, "UP2": True, "UP3": False, LATE: True}

    # hours follow: 2 h of session plus 30 minutes' preparation, on the person's record
    records = stack.runtime.involvement.records(team_id="T0SANDBOX", user_id="UP1")
    assert [(i.what, i.minutes) for i in records[0].items] == [("Our values", 150)]
    assert stack.runtime.involvement.records(team_id="T0SANDBOX", user_id="UP3") == []
    home = open_home(slack, emulator, "UP1", "Your involvement in")
    assert "2 h 30 min in all" in json.dumps(home) and "Our values, 2 h 30 min" in json.dumps(home)
    # the coordinator's rota counts facilitation by the register (2 h + 1 h preparation each)
    home = open_home(slack, emulator, "UCOORD", "Facilitation so far")
    assert "<@UF1> 3 h, <@UF2> 3 h" in json.dumps(home) and "carries much more" not in json.dumps(
        home
    )

    # time outside sessions, with inline errors for impossible entries
    today = datetime.now(UTC).date()
    modal = driver.command_modal("UP1", "log time", channel_id=CHANNEL)
    good = {
        "activity": choice("review_draft"),
        "day": _v(dated(today.isoformat())),
        "hours": text("1"),
        "minutes": text("30"),
        "note": text("Read chapter two"),
    }
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "day" in errors_of(
        driver.submit_modal("UP1", modal, {**good, "day": _v(dated(tomorrow))})
    )
    assert (
        "24 hours"
        in errors_of(driver.submit_modal("UP1", modal, {**good, "hours": text("25")}))["hours"]
    )
    assert (
        "negative"
        in errors_of(driver.submit_modal("UP1", modal, {**good, "hours": text("-1")}))["hours"]
    )
    assert "errors" not in driver.submit_modal("UP1", modal, good)
    driver.dm_with("UP1", "Logged 1 h 30 min of reviewing the draft")

    # payment choices: UP2 declines payment; UP1 is paid; the benefits words and contact show
    modal = driver.command_modal("UP2", "payment", channel_id=CHANNEL)
    assert "affect some benefits" in json.dumps(modal) and "0800 000 111" in json.dumps(modal)
    driver.submit_modal("UP2", modal, {"choice": choice("none")})
    driver.dm_with("UP2", "No payment, thank you")
    modal = driver.command_modal("UP1", "payment", channel_id=CHANNEL)
    driver.submit_modal("UP1", modal, {"choice": choice("paid")})
    driver.dm_with("UP1", "Paid at the project's rate")
    with transaction(stack.runtime.factory) as db:
        stored = db.scalars(select(PaymentChoiceRow.choice)).all()
    assert sorted(stored) == ["none", "paid"]

    # UP1 claims travel and carer cover; absurd amounts are refused inline
    modal = driver.command_modal("UP1", "expense", channel_id=CHANNEL)
    travel = {"kind": choice("travel"), "amount": text("12.40"), "what_for": text("Bus both ways")}
    assert (
        "negative"
        in errors_of(driver.submit_modal("UP1", modal, {**travel, "amount": text("-5")}))["amount"]
    )
    assert (
        "more than"
        in errors_of(driver.submit_modal("UP1", modal, {**travel, "amount": text("99999")}))[
            "amount"
        ]
    )
    assert (
        "pence"
        in errors_of(driver.submit_modal("UP1", modal, {**travel, "amount": text("1.234")}))[
            "amount"
        ]
    )
    assert "errors" not in driver.submit_modal("UP1", modal, travel)
    modal = driver.command_modal("UP1", "expense", channel_id=CHANNEL)
    care = {"kind": choice("care"), "amount": text("£30"), "what_for": text("Three hours of cover")}
    assert "errors" not in driver.submit_modal("UP1", modal, care)
    with transaction(stack.runtime.factory) as db:
        travel_id, care_id = db.scalars(select(Expense.id).order_by(Expense.id)).all()

    # the coordinator approves travel and asks about the cover; UP1 answers; then approved
    review = seen(driver, "UCOORD", "Bus both ways")
    assert "£12.40" in json.dumps(review, ensure_ascii=False)
    driver.press("UP1", review, EXPENSE_APPROVE)
    emulator.wait_for("response_url", where=lambda c: "Only coordinators" in str(c.args))
    driver.press("UCOORD", review, EXPENSE_APPROVE)
    emulator.wait_for("response_url", where=lambda c: "Approved by <@UCOORD>" in str(c.args))
    review = seen(driver, "UCOORD", "Three hours")
    # only a coordinator asks about someone else's expense; only its person answers
    driver.press("UP1", review, EXPENSE_ASK)
    emulator.wait_for("response_url", where=lambda c: STALE in str(c.args))
    modal = driver.open_modal("UCOORD", review, EXPENSE_ASK)
    driver.submit_modal("UCOORD", modal, {"question": text("Was that for the whole session?")})
    question = seen(driver, "UP1", "whole session?")
    driver.press("UCOORD", question, EXPENSE_ANSWER)
    emulator.wait_for("response_url", count=2, where=lambda c: STALE in str(c.args))
    modal = driver.open_modal("UP1", question, EXPENSE_ANSWER)
    driver.submit_modal("UP1", modal, {"answer": text("Yes, plus travel time")})
    again = seen(driver, "UCOORD", "plus travel time")
    driver.press("UCOORD", again, EXPENSE_APPROVE, value=str(care_id))
    wait_until(
        lambda: _expense_status(stack, care_id) == "approved" == _expense_status(stack, travel_id),
        20,
        "both approved",
    )

    # claims at the end: UP1's holds the hours at the rate and both expenses
    reply = driver.command("UCOORD", "claims end", channel_id=CHANNEL)
    assert "1 claim(s)" in reply["text"]  # UP2 declined and has no expenses; UP4 has no choice
    claim = seen(driver, "UP1", CLAIM_CONFIRM)
    said = json.dumps(claim, ensure_ascii=False)
    for words in (
        "Our values: 2 h 30 min × £20.00/h = £50.00",
        "Reviewing the draft (" + today.isoformat() + "): 1 h 30 min × £20.00/h = £30.00",
        "Travel (expense): £12.40",
        "Carer or childcare cover (expense): £30.00",
        "*Total:* £122.40",
    ):
        assert words in said, words
    driver.press("UP1", claim, CLAIM_CONFIRM)
    emulator.wait_for("response_url", where=lambda c: "is confirmed" in str(c.args))
    with transaction(stack.runtime.factory) as db:
        row = db.scalars(select(Claim)).one()
        assert (row.status, row.total, row.fees, row.expenses) == ("confirmed", 12240, 8000, 4240)
        assert row.keep_until is not None and row.keep_until.year >= today.year + 6
        assert set(db.scalars(select(Expense.claim_id))) == {row.id}

    # a confirmed claim is never sent again: nothing new to claim until more is done
    assert "0 claim(s)" in driver.command("UCOORD", "claims end", channel_id=CHANNEL)["text"]

    # the finance CSV holds the confirmed claim with the right amounts
    driver.command("UCOORD", "finance", channel_id=CHANNEL)
    wait_until(lambda: any(f.filename == "finance.csv" for f in emulator.files), 20, "finance.csv")
    csv_text = next(f for f in emulator.files if f.filename == "finance.csv").content.decode()
    assert "UP1,paid," in csv_text and ",4.00,80.00,42.40,122.40,GBP," in csv_text
    assert "UP2" not in csv_text

    # the budget: £122.40 spent of £200 with 10% of the time gone runs ahead of the timeline
    assert "Only coordinators" in driver.command("UP1", "budget 200", channel_id=CHANNEL)["text"]
    assert "negative" in driver.command("UCOORD", "budget -1", channel_id=CHANNEL)["text"]
    reply = driver.command("UCOORD", "budget 200", channel_id=CHANNEL)
    assert "61% spent" in reply["text"] and "running ahead" in reply["text"]
    files = dict(stack.runtime.reports.artefacts(project_id))
    assert b"running ahead of the timeline" in files["project-report.md"]
    assert b"122.40" in files["finance.csv"]
    reply = driver.command("UCOORD", "budget 5000", channel_id=CHANNEL)
    assert "2% spent" in reply["text"] and "running ahead" not in reply["text"]


def _expense_status(stack: LocalStack, expense_id: int) -> str:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return db.get_one(Expense, expense_id).status
