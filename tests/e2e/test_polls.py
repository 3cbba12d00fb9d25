"""Finding a time end to end: a poll through the emulator, from the form to the session.

Two facilitators and six participants in two time zones answer (and change answers); the
nudge goes a day before answers close; the close is sent by a restarted process (the fake
clock past the close); the ranking gives its reasons and the interval warning; one click
schedules the session, which (with its reminders) equals what the session form makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.sandbox.people import Driver
from cobot.sandbox.people import chosen
from cobot.sandbox.people import dated
from cobot.sandbox.people import picked_users
from cobot.sandbox.people import ticked
from cobot.sandbox.people import timed
from cobot.sandbox.people import typed
from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Poll
from cobot.storage.models import PollAnswer
from tests.e2e.sweeps import drive
from tests.e2e.sweeps import settle
from tests.polling import wait_until
from tests.seeds import add_project
from tests.seeds import add_session

TEAM = "T0SANDBOX"
CHANNEL = "C0POLL"
TWIN = "C0TWIN"
# a Monday; London is on GMT and New York on EST until mid-March
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FACILITATORS = ["UF1", "UF2"]
LONDON = ["UP1", "UP2", "UP3"]
NEW_YORK = ["UP4", "UP5", "UP6"]
PARTICIPANTS = LONDON + NEW_YORK
SLOT_A = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
SLOT_B = datetime(2027, 3, 11, 14, 0, tzinfo=UTC)
SLOT_C = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# the next workshop: two days after B squeezes the work between sessions
NEXT = datetime(2027, 3, 13, 10, 0, tzinfo=UTC)


def dumps(value: Any) -> str:
    """JSON as people read it (dashes and quotes as they are)."""
    return json.dumps(value, ensure_ascii=False)


def members() -> list[tuple[str, str]]:
    return [
        ("UCOORD", "coordinator"),
        *[(u, "practitioner") for u in FACILITATORS],
        *[(u, "participant") for u in PARTICIPANTS],
    ]


def workspace() -> SlackEmulator:
    """An emulator that knows everyone before cobot starts (a restarted process sends what
    is due at once)."""
    emulator = SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    emulator.add_user("UCOORD", name="cora", tz="Europe/London")
    for user in FACILITATORS + LONDON:
        emulator.add_user(user, name=user.lower(), tz="Europe/London")
    for user in NEW_YORK:
        emulator.add_user(user, name=user.lower(), tz="America/New_York")
    return emulator


def seed(stack: LocalStack, channel: str) -> int:
    """A project in London with its people and the next workshop already planned."""
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        project = add_project(
            db,
            channel_id=channel,
            members=members(),
            now=START,
            name=f"Recovery framework {channel}",
            timezone="Europe/London",
            team_id=TEAM,
        )
        add_session(
            db,
            project,
            starts_at=NEXT,
            ends_at=NEXT + timedelta(hours=2),
            people=[(u, "facilitator") for u in FACILITATORS]
            + [(u, "participant") for u in PARTICIPANTS],
            now=START,
            title="Session 2",
        )
        return project.id


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


def latest(driver: Driver, user: str, words: str) -> dict[str, Any]:
    """The newest message to `user` holding `words`, once there is one."""
    wait_until(lambda: driver.dms(user, words), what=f"a message with {words!r}")
    return driver.dms(user, words)[-1]


def shows(driver: Driver, user: str, ts: str, words: str) -> None:
    """Wait until message `ts` (updated in place, in the background) shows `words`."""
    wait_until(lambda: words in dumps(driver.message(user, ts)), what=f"{words!r} in {ts}")


def _answered(factory: Any, user: str, count: int) -> bool:
    with transaction(factory) as db:
        found = db.scalar(select(func.count(PollAnswer.id)).where(PollAnswer.user_id == user))
        return int(found or 0) == count


def told(driver: Driver, user: str, words: str) -> dict[str, Any]:
    """The newest ephemeral answer to `user` holding `words`, once cobot sent one."""
    wait_until(
        lambda: words in dumps(driver.emulator.ephemerals(user)), what=f"{words!r} to {user}"
    )
    return [m for m in driver.emulator.ephemerals(user) if words in dumps(m)][-1]


def picked(when: datetime) -> dict[str, Any]:
    return {"type": "datetimepicker", "selected_date_time": int(when.timestamp())}


def poll_values(**overrides: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    values: dict[str, dict[str, Any]] = {
        "purpose": chosen("workshop"),
        "title": typed("Session 1: our values"),
        "duration": typed("2h"),
        "slots": picked(SLOT_A),
        "slot_2": picked(SLOT_B),
        "slot_3": picked(SLOT_C),
        "audience": chosen("participants"),
        "asked": picked_users([]),
        "closes": dated("2027-03-04"),
    }
    values.update(overrides)
    return {block: {"value": value} for block, value in values.items()}


def invitation(driver: Driver, user: str) -> dict[str, Any]:
    return driver.dm_with(user, "is finding a time for")


def slot_block(message: dict[str, Any], index: int) -> str:
    blocks = [b for b in message["blocks"] if str(b.get("block_id", "")).startswith("slot:")]
    return str(blocks[index]["block_id"])


def test_a_poll_finds_the_time_and_schedules_it_as_the_form_would(
    database_url: str, clock: SimClock
) -> None:
    with LocalStack(database_url=database_url, clock=clock, emulator=workspace()) as stack:
        poll_id = _first_process(stack, clock)
    _after_restart(database_url, poll_id, stack.encryption_key)


def _first_process(stack: LocalStack, clock: SimClock) -> int:
    """Availability, bad input, the poll, answers (one changed), a note, the nudge."""
    assert stack.client is not None and stack.runtime is not None
    driver = Driver(stack.client, stack.emulator)
    seed(stack, CHANNEL)

    # UP1 only comes in the afternoons: the 10:00 slots are "probably no" until they answer
    modal = driver.command_modal("UP1", "availability", channel_id=CHANNEL)
    windows = {"window1_label": typed("school run"), "window1_start": timed("15:00")}
    answer = driver.submit_modal(
        "UP1",
        modal,
        {
            "part": {"value": chosen("afternoons")},
            "weekdays_off": {"value": ticked("4")},
            **{k: {"value": v} for k, v in windows.items()},
        },
    )
    assert answer["response_action"] == "errors" and "window1_end" in answer["errors"]
    answer = driver.submit_modal(
        "UP1",
        modal,
        {
            "part": {"value": chosen("afternoons")},
            **{k: {"value": v} for k, v in windows.items()},
            "window1_end": {"value": timed("16:00")},
            "note": {"value": typed("I use a wheelchair")},
        },
    )
    assert "response_action" not in answer
    assert "afternoons only" in dumps(driver.dm_with("UP1", "Your availability"))

    # bad input is refused inline, nothing stored
    modal = driver.command_modal("UCOORD", "find time", channel_id=CHANNEL)
    errors = driver.submit_modal(
        "UCOORD", modal, poll_values(slots={}, slot_2={}, slot_3={}, duration=typed("10m"))
    )["errors"]
    assert "at least one time" in errors["slots"] and "15 minutes" in errors["duration"]
    past = driver.submit_modal("UCOORD", modal, poll_values(slots=picked(START - timedelta(1))))
    assert "already passed" in past["errors"]["slots"]
    nobody = driver.submit_modal("UCOORD", modal, poll_values(audience=chosen("named")))
    assert "Nobody" in nobody["errors"]["asked"]
    with transaction(stack.runtime.factory) as db:
        assert db.scalar(select(func.count(Poll.id))) == 0

    started = driver.submit_modal("UCOORD", modal, poll_values())
    assert started["response_action"] == "update"
    assert "Asking 8 people about 3 times" in dumps(started["view"])
    drive(stack)

    # each person's one DM lists every slot in their own zone
    london = invitation(driver, "UP1")
    new_york = invitation(driver, "UP4")
    assert "Wed 10 Mar, 10:00–12:00" in dumps(london)
    assert "Wed 10 Mar, 05:00–07:00" in dumps(new_york)
    assert "America/New_York" in dumps(new_york)
    said = dumps(london)
    assert "Probably no: you are usually available in the afternoons only" in said
    assert "school run 15:00–16:00" in said  # slot B (14:00–16:00) clashes with it
    tally = driver.dm_with("UCOORD", "Finding a time for")
    assert "0 of 8 answered" in dumps(tally)

    # answers: A and B suit both facilitators; B suits most participants; C neither
    plan = {
        "UF1": ["yes", "yes", "no"],
        "UF2": ["if_need_be", "yes", "no"],
        "UP1": ["no", "yes", "yes"],
        "UP2": ["yes", "yes", "yes"],
        "UP3": ["yes", "if_need_be", "no"],
        "UP4": ["yes", "yes", "no"],
        "UP5": ["no", "yes", "yes"],
    }
    factory = stack.runtime.factory
    for user, answers in plan.items():
        message = invitation(driver, user)
        for index, value in enumerate(answers):
            driver.select(user, message, slot_block(message, index), value)
        # Slack sends one person's clicks one by one; cobot acks first and records after
        wait_until(partial(_answered, factory, user, 3), what=f"{user}'s answers")
    # an answer changed: the DM updates in place, the tally too
    message = invitation(driver, "UP2")
    driver.select("UP2", message, slot_block(message, 0), "no")
    shows(driver, "UP2", message["ts"], "Wed 10 Mar, 10:00–12:00*  :x: No")
    updated = driver.message("UP2", message["ts"])
    assert updated["ts"] == message["ts"] and len(driver.dms("UP2", "is finding a time")) == 1
    final = "Participants: 2 yes · 0 if need be · 3 no · 1 not yet"  # A, after UP2's change
    shows(driver, "UCOORD", tally["ts"], final)
    live = driver.message("UCOORD", tally["ts"])
    said = dumps(live)
    assert "7 of 8 answered" in said
    assert "Facilitators: 1 yes · 1 if need be · 0 no · 0 not yet" in said
    with transaction(stack.runtime.factory) as db:
        assert db.scalar(select(func.count(PollAnswer.id))) == 21

    # the coordinator's App Home shows the poll live, too
    assert stack.client.app_home_opened("UCOORD").status == 200
    wait_until(
        lambda: "7 of 8 answered" in dumps(stack.emulator.home_view("UCOORD") or {}),
        what="the poll on the coordinator's Home",
    )
    home = dumps(stack.emulator.home_view("UCOORD"))
    assert "Finding a time" in home and "poll_choose_now" in home

    # a note, for coordinators only
    message = invitation(driver, "UP4")
    note_modal = driver.open_modal("UP4", message, "poll_note_open")
    driver.submit_modal("UP4", note_modal, {"note": {"value": typed("Captions please")}})
    tally = driver.wait_replaced("UCOORD", tally["ts"], "Read notes (1)")
    notes = driver.open_modal("UCOORD", tally, "poll_notes")
    assert "Captions please" in dumps(notes)
    # not for a practitioner: told so, privately, and shown no note
    opened = driver.opened()
    driver.press("UF1", tally, "poll_notes")
    told(driver, "UF1", "Only whoever started this poll, or a coordinator, can do that.")
    assert driver.opened() == opened
    assert "Captions please" not in dumps(driver.emulator.ephemerals("UF1"))
    assert not driver.dms("UF1", "Captions please")

    # the nudge, a day before answers close, to the one who has not answered
    clock.set(datetime(2027, 3, 3, 9, 1, tzinfo=UTC))
    drive(stack)
    driver.dm_with("UP6", "A gentle reminder")
    assert not driver.dms("UP1", "A gentle reminder")
    poll_id = _poll_id(stack)
    settle(stack)
    return poll_id


def _after_restart(database_url: str, poll_id: int, key: str) -> None:
    """A fresh process after answers closed sends the close, once; one click schedules."""
    later = SimClock(datetime(2027, 3, 4, 9, 30, tzinfo=UTC))
    with LocalStack(
        database_url=database_url, clock=later, encryption_key=key, emulator=workspace()
    ) as second:
        assert second.client is not None and second.runtime is not None
        fresh = Driver(second.client, second.emulator)
        drive(second)
        close = fresh.dm_with("UCOORD", "The best times for")
        said = dumps(close)
        assert said.index("Thu 11 Mar") < said.index("Wed 10 Mar")  # B ranks first
        assert "Fri 12 Mar" not in said  # no facilitator for C: never proposed
        assert "2 of 2 facilitators can come" in said
        assert "5 of 6 participants can come, 1 of them only if need be" in said
        assert "squeezes" in said and "Session 2" in said  # the interval warning, for B
        factory = second.runtime.factory

        def closes_sent() -> int:
            with transaction(factory) as db:
                return len(
                    db.scalars(
                        select(Delivery).where(
                            Delivery.kind == "poll_close", Delivery.status == "sent"
                        )
                    ).all()
                )

        wait_until(lambda: closes_sent() == 1, what="the close recorded as sent")
        with transaction(factory) as db:
            poll = db.get(Poll, poll_id)
            assert poll is not None and poll.status == "closed"
        drive(second)
        assert len(fresh.dms("UCOORD", "The best times for")) == 1 and closes_sent() == 1

        # one click schedules it; everyone asked hears
        block = next(
            b
            for b in close["blocks"]
            if b.get("accessory", {}).get("text", {}).get("text") == "Schedule this"
        )
        fresh.press("UCOORD", close, "poll_schedule", value=block["accessory"]["value"])
        second.emulator.wait_for("response_url")
        assert "is scheduled for" in dumps(second.emulator.calls_to("response_url")[-1].args)
        drive(second)
        heard = fresh.dm_with("UP4", "the time that suited most")
        assert "Thu 11 Mar, 09:00–11:00 (America/New_York)" in dumps(heard)
        assert "You're on it" in dumps(heard)
        with transaction(second.runtime.factory) as db:
            poll = db.get(Poll, poll_id)
            assert poll is not None and poll.status == "scheduled" and poll.session_id
            made = db.get(CoSession, poll.session_id)
            assert made is not None and made.starts_at == SLOT_B
            people = sorted((p.user_id, p.role) for p in made.people)

        # the same session through the form, in a twin project: the same session and reminders
        twin_id = seed(second, TWIN)
        form = fresh.command_modal("UCOORD", "session add", channel_id=TWIN)
        fresh.submit_modal(
            "UCOORD",
            form,
            {
                "title": {"value": typed("Session 1: our values")},
                "date": {"value": dated("2027-03-11")},
                "time": {"value": timed("14:00")},
                "duration": {"value": typed("2h")},
                "facilitators": {"value": picked_users(FACILITATORS)},
                "participants": {
                    "value": picked_users([u for u, r in people if r == "participant"])
                },
            },
        )
        with transaction(second.runtime.factory) as db:
            twin = db.scalar(
                select(CoSession).where(
                    CoSession.project_id == twin_id, CoSession.title == "Session 1: our values"
                )
            )
            assert twin is not None and made is not None
            assert (twin.starts_at, twin.ends_at, twin.kind) == (
                made.starts_at,
                made.ends_at,
                made.kind,
            )
            assert sorted((p.user_id, p.role) for p in twin.people) == people
            assert _reminders(db, twin.id) == _reminders(db, poll.session_id)
            assert _reminders(db, twin.id)
        settle(second)


def _reminders(db: Any, session_id: int) -> list[tuple[str, str, datetime]]:
    rows = db.scalars(
        select(Delivery).where(
            Delivery.subject_type == "session", Delivery.subject_id == session_id
        )
    )
    return sorted(
        (r.kind, r.target, r.due_at) for r in rows if r.kind not in ("session_announced",)
    )


def _poll_id(stack: LocalStack) -> int:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        found = db.scalar(select(Poll.id))
        assert found is not None
        return int(found)


BIG = [f"UB{n:02d}" for n in range(40)]


def _within_limits(message: dict[str, Any]) -> None:
    """What Slack checks and the emulator does not: text sizes and options per select."""
    blocks = message.get("blocks") or []
    assert len(blocks) <= 50
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000
        accessory = block.get("accessory") or {}
        assert len(accessory.get("options") or []) <= 100
        for element in block.get("elements") or []:
            inner = element.get("text") or ""
            assert len(inner if isinstance(inner, str) else inner.get("text", "")) <= 3000
        assert "\u2026" not in text  # nothing cut


def test_the_largest_poll_fits_slacks_limits(database_url: str, clock: SimClock) -> None:
    """40 people and 30 slots: every invitation, the tally, its updates, the ranking and
    the notes go through the emulator whole."""
    emulator = SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    emulator.add_user("UCOORD", name="cora", tz="Europe/London")
    for n, user in enumerate(BIG):
        emulator.add_user(
            user, name=user.lower(), tz="America/New_York" if n % 2 else "Europe/London"
        )
    with LocalStack(database_url=database_url, clock=clock, emulator=emulator) as stack:
        assert stack.client is not None and stack.runtime is not None
        driver = Driver(stack.client, stack.emulator)
        roles = [("UCOORD", "coordinator")] + [
            (u, "practitioner" if n < 2 else "participant") for n, u in enumerate(BIG)
        ]
        with transaction(stack.runtime.factory) as db:
            add_project(
                db,
                channel_id=CHANNEL,
                members=roles,
                now=START,
                name="A large project",
                timezone="Europe/London",
                team_id=TEAM,
            )
        modal = driver.command_modal("UCOORD", "find time", channel_id=CHANNEL)
        assert len(modal["blocks"]) <= 100
        values = poll_values(
            slots={},
            slot_2={},
            slot_3={},
            gen_from=dated("2027-03-08"),
            gen_weeks=chosen("2"),
            gen_start=timed("10:00"),
            gen_end=timed("16:00"),
            gen_every=chosen("120"),
            gen_days=chosen("weekdays"),
            closes=dated("2027-03-05"),
        )
        # three weeks would make 45 times: refused inline, with what to change
        too_many = driver.submit_modal(
            "UCOORD", modal, {**values, "gen_weeks": {"value": chosen("3")}}
        )
        assert "45 times" in too_many["errors"]["slots"]
        started = driver.submit_modal("UCOORD", modal, values)
        assert "Asking 40 people about 30 times" in dumps(started["view"])
        drive(stack)
        factory = stack.runtime.factory

        def sent() -> int:
            with transaction(factory) as db:
                return len(
                    db.scalars(
                        select(Delivery).where(
                            Delivery.kind.in_(("poll_invite", "poll_tally")),
                            Delivery.status == "sent",
                        )
                    ).all()
                )

        wait_until(lambda: sent() == 41, timeout=30, what="every invitation and the tally")
        for user in BIG:
            message = invitation(driver, user)
            _within_limits(message)
            assert sum(1 for b in message["blocks"] if "accessory" in b) == 30
        tally = driver.dm_with("UCOORD", "Finding a time for")
        _within_limits(tally)
        # answers and a long note: the invitation and the tally update in place, whole
        for user in BIG[:3]:
            message = invitation(driver, user)
            driver.select(user, message, slot_block(message, 29), "yes")
            note = driver.open_modal(user, driver.message(user, message["ts"]), "poll_note_open")
            driver.submit_modal(user, note, {"note": {"value": typed("x" * 500)}})
        tally = driver.wait_replaced("UCOORD", tally["ts"], "3 of 40 answered")
        _within_limits(tally)
        assert all(c.response.get("ok") for c in emulator.calls_to("chat.update"))
        notes = driver.open_modal("UCOORD", tally, "poll_notes")
        assert dumps(notes).count("x" * 500) == 3
        driver.press("UCOORD", tally, "poll_choose_now")
        ranking = driver.dm_with("UCOORD", "The best times for")
        _within_limits(ranking)
        assert "Fri 19 Mar" in dumps(ranking)  # the last slot: the two facilitators said yes
        settle(stack)


def test_moving_a_session_by_poll_cancelling_one_and_the_forms_availability_warning(
    database_url: str, clock: SimClock
) -> None:
    with LocalStack(database_url=database_url, clock=clock, emulator=workspace()) as stack:
        assert stack.client is not None and stack.runtime is not None
        driver = Driver(stack.client, stack.emulator)
        seed(stack, CHANNEL)
        # UF2 is never available on Thursdays
        modal = driver.command_modal("UF2", "availability", channel_id=CHANNEL)
        driver.submit_modal("UF2", modal, {"weekdays_off": {"value": ticked("3")}})

        # "Find a new time" on the session list: the form is filled in with its people
        listing = driver.command("UCOORD", "sessions", channel_id=CHANNEL)
        form = driver.open_modal("UCOORD", listing, "poll_for_session")
        said = dumps(form)
        assert "Moving *Session 2*" in said and '"initial_users": ["UF1", "UF2"' in said
        driver.submit_modal(
            "UCOORD",
            form,
            poll_values(
                title=typed("Session 2"),
                slots=picked(NEXT + timedelta(days=7)),
                slot_2=picked(SLOT_B),  # a Thursday: UF2's standing availability says no
                slot_3={},
                audience=chosen("named"),
                asked=picked_users([*FACILITATORS, *PARTICIPANTS]),
            ),
        )
        drive(stack)
        mine = invitation(driver, "UF2")
        assert "Probably no: you are usually not available on Thursdays" in dumps(mine)
        assert "It is a new time for *Session 2*" in dumps(mine)
        for user in FACILITATORS + PARTICIPANTS[:4]:
            message = invitation(driver, user)
            driver.select(user, message, slot_block(message, 1), "yes")
            wait_until(partial(_answered, stack.runtime.factory, user, 1), what="an answer")
        tally = driver.dm_with("UCOORD", "Finding a time for")
        driver.press("UCOORD", tally, "poll_choose_now")
        ranking = driver.dm_with("UCOORD", "The best times for")
        assert "Move it here" in dumps(ranking)
        fresh = driver.message("UCOORD", ranking["ts"])
        driver.press("UCOORD", fresh, "poll_schedule")
        stack.emulator.wait_for("response_url", where=lambda c: "scheduled" in dumps(c.args))
        with transaction(stack.runtime.factory) as db:
            moved = db.scalar(select(CoSession).where(CoSession.title == "Session 2"))
            assert moved is not None and moved.revision == 2
            assert moved.starts_at == NEXT + timedelta(days=7)  # the one everyone can make
            assert db.scalar(select(func.count(CoSession.id))) == 1  # moved, not added
        drive(stack)
        assert "moves to" in dumps(driver.dm_with("UP1", "the time that suited most"))

        # the session form warns (without saying why) when a facilitator usually can't come
        form = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
        saved = driver.submit_modal(
            "UCOORD",
            form,
            {
                "title": {"value": typed("Session 3")},
                "date": {"value": dated("2027-03-25")},  # a Thursday
                "time": {"value": timed("10:00")},
                "duration": {"value": typed("2h")},
                "facilitators": {"value": picked_users(FACILITATORS)},
                "participants": {"value": picked_users(PARTICIPANTS)},
            },
        )
        said = dumps(saved["view"])
        assert "<@UF2> usually can't make this time" in said and "Thursdays" not in said

        # a poll can be cancelled: everyone asked hears, no nudge or close follows
        modal = driver.command_modal("UCOORD", "find time", channel_id=CHANNEL)
        started = driver.submit_modal(
            "UCOORD", modal, poll_values(title=typed("Oversight"), purpose=chosen("oversight"))
        )
        assert started["response_action"] == "update", started
        drive(stack)
        tally = latest(driver, "UCOORD", "Finding a time for Oversight*")
        # a participant cannot cancel it: told so, privately; the poll stays open
        driver.press("UP1", tally, "poll_cancel")
        told(driver, "UP1", "Only whoever started this poll, or a coordinator, can do that.")
        with transaction(stack.runtime.factory) as db:
            oversight = db.scalar(select(Poll).where(Poll.title == "Oversight"))
            assert oversight is not None and oversight.status == "open"
        assert not [
            c for c in stack.emulator.calls_to("response_url") if "is cancelled" in dumps(c.args)
        ]
        assert "Cancel poll" in dumps(driver.message("UCOORD", tally["ts"]))
        driver.press("UCOORD", tally, "poll_cancel")
        stack.emulator.wait_for("response_url", where=lambda c: "is cancelled" in dumps(c.args))
        drive(stack)
        driver.dm_with("UP6", "was cancelled: no need to answer")
        asked = driver.dms("UP6", "Oversight")[0]
        shows(driver, "UP6", asked["ts"], "This poll is over")
        assert "static_select" not in dumps(driver.message("UP6", asked["ts"]))
        with transaction(stack.runtime.factory) as db:
            pending = db.scalars(
                select(Delivery).where(
                    Delivery.subject_type == "poll",
                    Delivery.kind.in_(("poll_nudge", "poll_close")),
                    Delivery.status == "scheduled",
                )
            ).all()
            assert not pending
        settle(stack)


def _selects(message: dict[str, Any]) -> int:
    return sum(1 for b in message["blocks"] if "accessory" in b or b.get("type") == "actions")


def _deliveries(factory: sessionmaker[Session], kind: str, status: str) -> list[Delivery]:
    """The deliveries of one kind in one status."""
    with transaction(factory) as db:
        query = select(Delivery).where(Delivery.kind == kind, Delivery.status == status)
        return list(db.scalars(query))


@contextmanager
def _restarted(
    database_url: str, clock: SimClock, key: str, emulator: SlackEmulator, invites: dict[str, str]
) -> Iterator[tuple[LocalStack, Driver]]:
    """A second process over the first one's database sends the nine updates in place it
    was left owing: every invitation (`invites`: person to message ts) lost its selects."""
    with LocalStack(
        database_url=database_url, clock=clock, encryption_key=key, emulator=emulator
    ) as second:
        assert second.client is not None and second.runtime is not None
        driver = Driver(second.client, second.emulator)
        drive(second)
        sent = partial(_deliveries, second.runtime.factory, "poll_refresh", "sent")
        wait_until(lambda: len(sent()) == 9, what="the updates sent")
        for user, ts in invites.items():
            assert _selects(driver.message(user, ts)) == 0, user
        yield second, driver


def _poll_asked(stack: LocalStack, driver: Driver) -> None:
    """The coordinator finds a time with the default form; all eight invitations are sent."""
    seed(stack, CHANNEL)
    modal = driver.command_modal("UCOORD", "find time", channel_id=CHANNEL)
    assert "errors" not in driver.submit_modal("UCOORD", modal, poll_values())
    drive(stack)
    assert stack.runtime is not None
    asked = partial(_deliveries, stack.runtime.factory, "poll_invite", "sent")
    wait_until(lambda: len(asked()) == 8, what="the invitations")


def test_a_poll_closing_by_itself_updates_its_invitations_and_tally_in_place_once_across_a_restart(
    database_url: str, clock: SimClock
) -> None:
    emulator = workspace()
    with LocalStack(database_url=database_url, clock=clock, emulator=emulator) as first:
        assert first.client is not None and first.runtime is not None
        driver = Driver(first.client, first.emulator)
        kinds = partial(_deliveries, first.runtime.factory)
        _poll_asked(first, driver)
        message = invitation(driver, "UP1")
        driver.select("UP1", message, slot_block(message, 0), "yes")
        tally = driver.dm_with("UCOORD", "Finding a time for")
        driver.wait_replaced("UCOORD", tally["ts"], "1 of 8 answered")
        invites = {u: invitation(driver, u)["ts"] for u in FACILITATORS + PARTICIPANTS}
        assert all(_selects(driver.message(u, ts)) for u, ts in invites.items())
        settle(first)
        # answers close; the close goes out and the process stops before the updates do
        first.runtime.alarms.pause()
        clock.set(datetime(2027, 3, 4, 9, 30, tzinfo=UTC))
        drive(first)
        driver.dm_with("UCOORD", "The best times for")
        wait_until(lambda: len(kinds("poll_close", "sent")) == 1, what="the close recorded")
        owed = kinds("poll_refresh", "scheduled")
        assert len(owed) == 9  # eight invitations and the tally
        assert all(_selects(driver.message(u, ts)) for u, ts in invites.items())
        key = first.encryption_key

    updates = len(emulator.calls_to("chat.update"))
    with _restarted(database_url, clock, key, emulator, invites) as (second, driver):
        assert second.runtime is not None
        kinds = partial(_deliveries, second.runtime.factory)
        # the tally says answers closed
        closed = driver.wait_replaced("UCOORD", tally["ts"], "answers have closed")
        assert "1 of 8 answered" in dumps(closed)
        assert len(driver.dms("UCOORD", "Finding a time for")) == 1  # updated, not re-sent
        drive(second)
        settle(second)
        # once: nine updates, however often the sweep runs
        assert len(emulator.calls_to("chat.update")) == updates + 9
        assert len(kinds("poll_refresh", "sent")) == 9
        assert len(driver.dms("UCOORD", "The best times for")) == 1


def test_a_cancelled_poll_updates_its_invitations_and_tally_in_place_across_a_restart(
    database_url: str, clock: SimClock
) -> None:
    """Cancelling (as scheduling) owes the updates in place through the ledger, in the
    transaction that ends the poll: a process that stops straight after the click loses
    none of them, and the next one sends each once."""
    emulator = workspace()
    with LocalStack(database_url=database_url, clock=clock, emulator=emulator) as first:
        assert first.client is not None and first.runtime is not None
        driver = Driver(first.client, first.emulator)
        kinds = partial(_deliveries, first.runtime.factory)
        _poll_asked(first, driver)
        tally = driver.dm_with("UCOORD", "Finding a time for")
        invites = {u: invitation(driver, u)["ts"] for u in FACILITATORS + PARTICIPANTS}
        settle(first)
        # the coordinator cancels; the process stops before anything more goes out
        first.runtime.alarms.pause()
        driver.press("UCOORD", tally, "poll_cancel")
        first.emulator.wait_for("response_url", where=lambda c: "is cancelled" in dumps(c.args))
        assert len(kinds("poll_refresh", "scheduled")) == 9  # eight invitations and the tally
        assert all(_selects(driver.message(u, ts)) for u, ts in invites.items())
        key = first.encryption_key

    updates = len(emulator.calls_to("chat.update"))
    with _restarted(database_url, clock, key, emulator, invites) as (second, driver):
        driver.wait_replaced("UCOORD", tally["ts"], "cancelled")
        drive(second)
        settle(second)
        assert len(emulator.calls_to("chat.update")) == updates + 9
        assert len(driver.dms("UP6", "was cancelled: no need to answer")) == 1
