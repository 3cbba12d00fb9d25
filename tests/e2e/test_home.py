"""The App Home end to end: what a participant, a facilitator and a coordinator see, a change
refreshing the Homes it shows on, the Home's buttons, and `/cobot timeline`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from cobot.domain.deliveries import DeliveryStatus
from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import deliveries
from cobot.services import reminders
from cobot.slack.blocks import home as home_blocks
from cobot.slack.blocks.reminders import SHARE_AGENDA
from cobot.slack.blocks.reminders import TEXT_BLOCK
from cobot.slack.blocks.reminders import TEXT_INPUT
from cobot.storage.db import transaction
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Member
from tests.integration.test_home import CHANNEL
from tests.integration.test_home import SECRETS
from tests.integration.test_home import Seeded
from tests.integration.test_home import seed_project

USERS = ["UF1", "UF2", "UF3", "UTEAM", "UP01", "UP02", "UP03"]


@pytest.fixture
def seeded(stack: LocalStack) -> Seeded:
    for user in USERS:
        stack.emulator.add_user(user, name=user.lower(), tz="Europe/London")
    stack.emulator.add_channel(CHANNEL, name="recovery", members=["UCOORD", *USERS])
    assert stack.runtime is not None
    return seed_project(stack.runtime.factory, datetime.now(UTC), participants=3, sessions=6)


def shown(emulator: SlackEmulator, user: str) -> str:
    view = emulator.home_view(user)
    return json.dumps(view) if view is not None else ""


def wait_home(emulator: SlackEmulator, user: str, ok: Callable[[str], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if ok(shown(emulator, user)):
            view = emulator.home_view(user)
            assert view is not None
            return view
        time.sleep(0.1)
    raise AssertionError(f"{user}'s Home never matched: {shown(emulator, user)[:2000]}")


def open_home(slack: SlackClient, emulator: SlackEmulator, user: str, words: str) -> dict[str, Any]:
    assert slack.app_home_opened(user).status == 200
    return wait_home(emulator, user, lambda text: words in text)


def settle(emulator: SlackEmulator, quiet: float = 1.0) -> None:
    """Wait until no Home has been published for `quiet` seconds (the refresher is idle)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        publishes = emulator.calls_to("views.publish")
        if not publishes or time.time() - publishes[-1].at >= quiet:
            time.sleep(quiet)
            if len(emulator.calls_to("views.publish")) == len(publishes):
                return
        time.sleep(0.05)
    raise AssertionError("Homes kept being published")


def published_to(emulator: SlackEmulator) -> list[str]:
    return sorted(str(c.args.get("user_id")) for c in emulator.calls_to("views.publish"))


def test_each_person_sees_their_own_home(
    seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    participant = json.dumps(open_home(slack, emulator, "UP01", "Your next sessions"))
    assert "taking part" in participant and "Workshop 4" in participant
    assert '"action_id": "feedback_open"' in participant  # Workshop 3's feedback
    assert '"action_id": "checkins_mood_3"' in participant  # their waiting check-in
    assert "Your check-ins" in participant and "Coordinating" not in participant

    facilitator = json.dumps(open_home(slack, emulator, "UF2", "Your open items"))
    assert "facilitating" in facilitator
    for action in ('"debrief_open"', '"reminders_share_agenda"', '"debrief_action_done"'):
        assert action in facilitator
    assert "Book a bigger room" in facilitator

    view = open_home(slack, emulator, "UCOORD", "Coordinating: Recovery framework")
    coordinator = json.dumps(view)
    assert len(view["blocks"]) <= 100
    for words in (
        "Deadlines at risk",
        "Onboarding",
        "fewer than two facilitators",
        "user_not_found",
    ):
        assert words in coordinator, words
    assert f'"value": "{seeded.failed_delivery}"' in coordinator  # its Retry button
    for secret in SECRETS:  # no one's debrief, feedback or check-in words
        assert secret not in coordinator
    assert "Book a bigger room" not in coordinator


def test_sharing_an_agenda_from_the_home_refreshes_the_homes_it_shows_on(
    driver: Driver, stack: LocalStack, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    view = open_home(slack, emulator, "UF2", "Share agenda")
    open_home(slack, emulator, "UP02", "Workshop 4")
    assert "agenda out" not in shown(emulator, "UP02").split("Workshop 5")[0]
    driver.press("UF2", view, SHARE_AGENDA, in_view=True)  # the reminders feature's own button
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    values = {TEXT_BLOCK: {TEXT_INPUT: {"type": "plain_text_input", "value": "1. Welcome"}}}
    assert slack.view_submission(user_id="UF2", view=modal, values=values).status == 200
    # nobody reopened their Home: the change republished it
    wait_home(emulator, "UP02", lambda text: "agenda out" in text)
    wait_home(emulator, "UF2", lambda text: "reminders_share_agenda" not in text)
    # the coordinator never opened theirs, so it was never published
    settle(emulator)
    assert emulator.home_view("UCOORD") is None


def test_the_coordinator_retries_a_failed_message_from_the_home(
    driver: Driver, stack: LocalStack, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    view = open_home(slack, emulator, "UF1", "Your open items")
    assert home_blocks.RETRY not in json.dumps(view)
    coordinator = open_home(slack, emulator, "UCOORD", "Retry")
    driver.press("UCOORD", coordinator, home_blocks.RETRY, in_view=True)
    emulator.wait_for("chat.postMessage", where=lambda c: "queued again" in str(c.args))
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        row = db.get(Delivery, seeded.failed_delivery)
        assert row is not None
        # back in the queue (and then sent to the person, who exists now): not failed again
        assert row.status != DeliveryStatus.FAILED
        assert row.last_error != "user_not_found"


def test_timeline_picture_from_the_command_and_the_home(
    driver: Driver, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    refused = slack.slash_command(user_id="UF1", text="timeline", channel_id=CHANNEL)
    assert "Only coordinators" in refused.text
    result = slack.slash_command(user_id="UCOORD", text="timeline", channel_id=CHANNEL)
    assert result.status == 200 and "Drawing the timeline" in result.text
    emulator.wait_for("files.completeUploadExternal")
    [picture] = emulator.files
    assert picture.content.startswith(b"\x89PNG") and CHANNEL in picture.channels
    view = open_home(slack, emulator, "UCOORD", "Timeline picture")
    driver.press("UCOORD", view, home_blocks.TIMELINE, in_view=True)
    emulator.wait_for("files.completeUploadExternal", count=2)
    assert emulator.files[-1].content.startswith(b"\x89PNG")


def test_the_agreement_is_one_click_away(
    driver: Driver, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    view = open_home(slack, emulator, "UP03", "Aims and agreement")
    driver.press("UP03", view, home_blocks.AGREEMENT, in_view=True)
    emulator.wait_for("views.open")
    [modal] = emulator.open_views
    assert "Everyone's voice counts" in json.dumps(modal)


def test_adding_200_members_publishes_only_the_homes_that_were_opened(
    stack: LocalStack, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    for user in ("UCOORD", "UF1", "UP01"):
        open_home(slack, emulator, user, "Recovery framework")
    settle(emulator)
    emulator.clear_calls()
    newcomers = [f"UNEW{i:03d}" for i in range(200)]
    mentions = " ".join(f"<@{u}>" for u in newcomers)
    result = slack.slash_command(
        user_id="UCOORD", text=f"add {mentions} as participants", channel_id=CHANNEL
    )
    assert result.status == 200, result.text
    emulator.wait_for("views.publish", count=3, timeout=15)
    settle(emulator)
    # one publish each for the three who have looked at their Home; none for the 205 others
    assert published_to(emulator) == ["UCOORD", "UF1", "UP01"]
    assert "of 203 participants ready" in shown(emulator, "UCOORD")  # and it is current
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        members = db.scalars(select(Member.user_id).where(Member.user_id.in_(newcomers))).all()
    assert len(members) == 200


def test_sending_reminders_and_check_ins_publishes_no_home(
    stack: LocalStack, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    recipients = ["UP01", "UP02", "UP03"]
    for user in [*recipients, "UCOORD"]:
        open_home(slack, emulator, user, "Recovery framework")
    settle(emulator)
    emulator.clear_calls()
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        for user in recipients:
            deliveries.schedule(
                db,
                key=f"test:{user}:hour",
                kind=reminders.REMINDER_HOUR,
                target=user,
                due_at=now,
                now=now,
                project_id=seeded.project_id,
                subject=(reminders.SUBJECT, seeded.sessions[3]),
                payload={"session_id": seeded.sessions[3], "revision": 1},
            )
        # a check-in too: sending one notes the day on the person's check-in row
        person = db.scalar(select(CheckinPerson).where(CheckinPerson.user_id == "UP02"))
        assert person is not None
        deliveries.schedule(
            db,
            key="test:UP02:checkin",
            kind="checkin",
            target="UP02",
            due_at=now,
            now=now,
            project_id=seeded.project_id,
            subject=("checkin_person", person.id),
        )
    emulator.wait_for("chat.postMessage", count=4, timeout=15)
    settle(emulator)
    assert len(emulator.calls_to("chat.postMessage")) == 4
    assert emulator.calls_to("views.publish") == []


def test_a_home_never_opened_is_never_published_and_opening_it_shows_the_present(
    stack: LocalStack, seeded: Seeded, slack: SlackClient, emulator: SlackEmulator
) -> None:
    open_home(slack, emulator, "UP01", "Workshop 4")
    settle(emulator)
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        row = db.get(CoSession, seeded.sessions[3])
        assert row is not None
        row.agenda_shared_at = datetime.now(UTC)
        row.title = "Workshop 4: our values"
    wait_home(emulator, "UP01", lambda text: "our values" in text)  # who looks, sees it
    settle(emulator)
    assert emulator.home_view("UP03") is None
    assert "UP03" not in published_to(emulator)
    view = open_home(slack, emulator, "UP03", "Workshop 4: our values")
    assert "agenda out" in json.dumps(view)


def test_a_dm_a_listener_sends_itself_is_retried_after_a_429(
    driver: Driver, emulator: SlackEmulator
) -> None:
    # a Home has no response_url: a refusal goes by chat.postMessage on Bolt's own client
    # for the request, which carries the runtime's retry handlers and rate gate
    emulator.rate_limit_next("chat.postMessage", retry_after=1)
    home = {"type": "home", "id": "VHOME", "blocks": []}
    driver.press("UCOORD", home, home_blocks.AGREEMENT, in_view=True, value="forged")
    emulator.wait_for("chat.postMessage", where=lambda c: c.status == 200, timeout=15)
    calls = emulator.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0
    [told] = emulator.messages(emulator.im_channel("UCOORD"))
    assert told["text"] == "That button is out of date, so nothing was changed."
