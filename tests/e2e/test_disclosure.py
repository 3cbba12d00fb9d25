"""The subtraction attacks of issue 11, end to end on both databases: a coordinator diffs
the summary, Home and the export around one new answer, across months, after an erasure,
or counts their own answer out; the export lists no private check-in deliveries."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import ack_body
from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import checkins as blocks
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from cobot.storage.models import PublishedFigure
from tests.e2e.sweeps import drive
from tests.e2e.sweeps import settle
from tests.e2e.test_checkins import CHANNEL
from tests.e2e.test_checkins import TEAM
from tests.e2e.test_checkins import check_in
from tests.e2e.test_checkins import project_in_channel
from tests.e2e.test_checkins import switch_on
from tests.polling import wait_until
from tests.seeds import add_project

# simulated time runs ahead of the real clock, so APScheduler's (real-time) alarms never
# fire early; the sweep drives what falls due in simulated time
YEAR = datetime.now(UTC).year + 1
START = datetime(YEAR, 11, 20, 10, 0, tzinfo=UTC)
# the project's zone is UTC: November closes at midnight
DECEMBER = datetime(YEAR, 12, 1, 0, 30, tzinfo=UTC)
NOV = f"November {YEAR}"
MEMBERS = [
    ("UCOORD", "coordinator"),
    ("UF1", "practitioner"),
    ("UPART", "participant"),
    ("UP2", "participant"),
    ("UP3", "participant"),
]


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def stack(database_url: str, clock: SimClock) -> Iterator[LocalStack]:
    with LocalStack(database_url=database_url, mode="http", clock=clock) as running:
        for user, _role in MEMBERS:
            running.emulator.add_user(user, name=user.lower())
        running.emulator.add_user("UCARE", name="care")
        assert running.runtime is not None
        with transaction(running.runtime.factory) as db:
            add_project(db, channel_id=CHANNEL, members=MEMBERS, now=START, team_id=TEAM)
        yield running
        settle(running)


def command(slack: SlackClient, user: str, words: str) -> dict[str, Any]:
    """Type `/cobot words` in the project's channel; the ack as the person sees it."""
    result = slack.slash_command(user_id=user, text=words, channel_id=CHANNEL)
    assert result.status == 200, result.text
    return ack_body(result)


def next_answer(stack: LocalStack, driver: Driver, user: str, mood: int) -> None:
    """A later check-in for someone who already agreed."""
    assert stack.runtime is not None
    before = len(driver.emulator.messages(user))
    stack.runtime.checkins.send_now(project_id=project_in_channel(stack), user_id=user)
    drive(stack)
    wait_until(lambda: len(driver.emulator.messages(user)) > before, 15, "the check-in")
    question = driver.emulator.messages(user)[-1]
    driver.press(user, question, f"{blocks.MOOD_PREFIX}{mood}")
    driver.wait_replaced(user, question["ts"], "You answered")


def summary(slack: SlackClient, user: str = "UCOORD", words: str = "") -> str:
    reply = command(slack, user, f"checkin summary {words}".strip())
    return json.dumps(reply)


def export(slack: SlackClient, emulator: SlackEmulator) -> dict[str, str]:
    before = len(emulator.calls_to("files.completeUploadExternal"))
    command(slack, "UCOORD", "export")
    emulator.wait_for("files.completeUploadExternal", count=before + 1)
    found: dict[str, str] = {}
    for upload in emulator.files:  # the newest export wins
        if upload.filename.endswith((".csv", ".md")):
            found[upload.filename] = upload.content.decode()
    return found


def wellbeing_section(report: str) -> str:
    return report.split("## Wellbeing (aggregate)")[1].split("## How we feel")[0]


def views(slack: SlackClient, emulator: SlackEmulator) -> tuple[str, str, str, str]:
    """Everything a coordinator can read about the figures: summary, Home, CSV, report."""
    before = len(emulator.calls_to("views.publish"))
    assert slack.app_home_opened("UCOORD").status == 200
    emulator.wait_for("views.publish", count=before + 1)
    home = emulator.home_view("UCOORD")
    assert home is not None
    wellbeing = [b for b in home["blocks"] if "Wellbeing" in json.dumps(b)]
    assert wellbeing, home
    files = export(slack, emulator)
    return (
        summary(slack),
        json.dumps(wellbeing),
        files["wellbeing.csv"],
        wellbeing_section(files["project-report.md"]),
    )


def test_one_more_answer_changes_no_view_and_a_closed_month_never_changes(
    stack: LocalStack, driver: Driver, slack: SlackClient, emulator: SlackEmulator, clock: SimClock
) -> None:
    switch_on(driver, ("participant", "practitioner"))
    for user, mood in (("UPART", 4), ("UP2", 4), ("UP3", 5)):
        check_in(stack, driver, user, mood, sweep=True)
    before = views(slack, emulator)
    assert f"Figures for {NOV} appear once it ends" in before[0]
    # the only practitioner answers 1: under the old sliding window this was 4 x 3.5 - 3 x 4.33
    check_in(stack, driver, "UF1", 1, sweep=True)
    after = views(slack, emulator)
    assert after == before  # no view a coordinator can open differs

    # November ends: its figures are computed once, from all four people
    clock.set(DECEMBER)
    closed = views(slack, emulator)
    november = closed[0]
    assert f"*{NOV}*" in november
    assert "Whole project:* 4 people, 4 answers, average 3.5 of 5, 1 low answer" in november
    # participants (3) and the practitioner (1) are under 4: neither is shown on its own
    assert "Participants:" not in november and "Practitioners:" not in november
    assert f"{NOV}, totals only" in closed[1]
    assert f"{YEAR}-11,all,4,4,3.5,1" in closed[2] and "participant" not in closed[2]
    assert f"| {NOV} | 4 | 4 | 3.5 | 1 |" in closed[3]

    # a December answer, an answer changed in November's message, and an erasure: November
    # stays exactly as it was published, in every view
    next_answer(stack, driver, "UP2", 1)
    november_message = next(
        m for m in emulator.messages("UPART") if "You answered" in json.dumps(m)
    )
    driver.press("UPART", november_message, f"{blocks.MOOD_PREFIX}1")
    driver.wait_replaced("UPART", november_message["ts"], "1 Struggling")
    reply = command(slack, "UP3", "forget me")
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    slack.block_actions(
        user_id="UP3",
        actions=[{"action_id": blocks.FORGET, "value": "1", "type": "button"}],
        message=message,
        channel_id=CHANNEL,
    )
    emulator.wait_for("response_url", where=lambda c: "Erased" in str(c.args))
    later = views(slack, emulator)
    assert later[2] == closed[2] and later[3] == closed[3]
    assert _section(later[0], f"{NOV}") == _section(november, f"{NOV}")
    assert later[1] == closed[1]
    assert _section(summary(slack, words="november"), f"{NOV}") == _section(november, f"{NOV}")
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        stored = db.scalars(select(PublishedFigure).where(PublishedFigure.group == "all")).all()
        assert [(f.period, f.people, f.average) for f in stored] == [(f"{YEAR}-11", 4, 3.5)]

    # no free window lengths: a number, a month not yet ended, and nonsense are refused
    for words, says in (
        ("2", "Name a month that has ended"),
        ("december", "no figures for December"),
        (f"{YEAR}-12", "has not ended yet"),
        ("<!channel>", "Name a month"),
    ):
        refused = command(slack, "UCOORD", f"checkin summary {words}")
        assert says in refused["text"], refused


def _section(shown: str, label: str) -> str:
    text = json.loads(shown)
    found = [
        b["text"]["text"]
        for b in text.get("blocks", [])
        if b.get("type") == "section" and f"*{label}*" in b["text"]["text"]
    ]
    assert len(found) == 1, shown[:1000]
    return str(found[0])


def test_the_viewers_own_answer_never_counts_toward_the_three(
    stack: LocalStack, driver: Driver, slack: SlackClient, emulator: SlackEmulator, clock: SimClock
) -> None:
    switch_on(driver, ("participant", "coordinator"))
    # the coordinator answered 5, two others 2: three answerers, but only two besides the
    # coordinator, who would learn that both of them answered 2
    for user, mood in (("UCOORD", 5), ("UP2", 2), ("UP3", 2)):
        check_in(stack, driver, user, mood, sweep=True)
    clock.set(DECEMBER)
    shown = summary(slack)
    assert f"*{NOV}*" in shown and "Fewer than 4 people answered" in shown
    assert "Whole project" not in shown and "average" not in shown
    files = export(slack, emulator)
    assert list(csv.DictReader(io.StringIO(files["wellbeing.csv"]))) == []
    assert f"| {NOV} | fewer than 4 |" in files["project-report.md"]


def test_contact_requests_go_to_the_named_contacts_and_the_export_has_no_checkin_rows(
    stack: LocalStack, driver: Driver, slack: SlackClient, emulator: SlackEmulator
) -> None:
    switch_on(driver, ("participant",))
    check_in(stack, driver, "UPART", 1, sweep=True)
    answered = emulator.messages("UPART")[-1]
    driver.press("UPART", answered, blocks.CONTACT)
    emulator.wait_for("views.open", count=2)
    modal = emulator.open_views[-1]
    assert slack.view_submission(user_id="UPART", view=modal, values={}).status == 200
    drive(stack)
    emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "UCARE")
    # a coordinator who is not a named contact does not learn who asked
    assert "<@UPART>" not in summary(slack, "UCOORD")
    contact = summary(slack, "UCARE")
    assert "<@UPART>" in contact and "Asked for someone to get in touch" in contact
    # the export: who is enrolled, when asked, when a contact was alerted stay private
    ledger = list(csv.DictReader(io.StringIO(export(slack, emulator)["deliveries.csv"])))
    assert not {"checkin", "checkin_contact"} & {r["kind"] for r in ledger}
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        kinds = set(db.scalars(select(Delivery.kind)))
    assert {"checkin", "checkin_contact"} <= kinds  # they exist, and are left out
