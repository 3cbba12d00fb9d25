"""Live calendars end to end: `/cobot calendar subscribe` DMs a link, the feed follows moved
and cancelled sessions (UID kept, SEQUENCE raised, STATUS:CANCELLED), read by a second,
independent reader (recurring-ical-events) as a calendar app would; revoke, re-subscribe
and forget me stop a link, and anything wrong is a 404."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
import recurring_ical_events  # type: ignore[import-untyped]
from icalendar import Calendar
from sqlalchemy import select

from cobot.sandbox.people import Driver
from cobot.sandbox.people import fill
from cobot.sandbox.stack import LocalStack
from cobot.slack.blocks.checkins import FORGET
from cobot.storage.db import transaction
from cobot.storage.models import CalendarFeed
from cobot.storage.models import CoSession
from cobot.storage.models import Project
from tests.seeds import add_project
from tests.seeds import add_session

CHANNEL = "C0PROJ"
PUBLIC = "https://cobot.example.org"
LINK = re.compile(re.escape(PUBLIC) + r"/calendar/[A-Za-z0-9_-]+\.ics")
SESSIONS_LIST = {"ts": "1700000000.000100", "text": "sessions"}


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    headers: dict[str, str]


@pytest.fixture
def stack(database_url: str) -> Iterator[LocalStack]:
    with LocalStack(database_url=database_url, public_url=PUBLIC) as running:
        assert running.runtime is not None
        people = {"UCOORD": "coordinator", "UF1": "practitioner", "UF2": "practitioner"}
        people |= {"UP1": "participant", "UP2": "participant"}
        for user in people:
            running.emulator.add_user(user, name=user.lower(), tz="Europe/London")
        running.emulator.add_channel(CHANNEL, name="recovery", members=list(people))
        with transaction(running.runtime.factory) as db:
            add_project(
                db,
                channel_id=CHANNEL,
                members=people.items(),
                now=datetime.now(UTC),
                timezone="Europe/London",
            )
        yield running


def soon(days: int) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


def add(stack: LocalStack, title: str, day: date, *, participants: tuple[str, ...]) -> None:
    """A session at 10:00 UTC on `day` facilitated by UF1 and UF2, with `participants`."""
    assert stack.runtime is not None
    starts = datetime.combine(day, time(10, 0), tzinfo=UTC)
    people = [("UF1", "facilitator"), ("UF2", "facilitator")]
    people += [(p, "participant") for p in participants]
    with transaction(stack.runtime.factory) as db:
        project = db.scalars(select(Project)).one()
        add_session(
            db,
            project,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            people=people,
            now=datetime.now(UTC),
            title=title,
            venue="Town hall",
        )


def sessions(stack: LocalStack) -> list[CoSession]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return list(db.scalars(select(CoSession).order_by(CoSession.id)))


def subscribe(driver: Driver, user: str, *, count: int = 1) -> list[str]:
    """`/cobot calendar subscribe` as `user`; the links cobot DMs them (newest last)."""
    before = len(links_sent(driver, user))
    reply = driver.command(user, "calendar subscribe", channel_id=CHANNEL)
    assert "direct message" in reply["text"], reply
    driver.emulator.wait_for(
        "chat.postMessage",
        count=before + count,
        where=lambda c: c.args.get("channel") == user and PUBLIC in json.dumps(c.args),
        timeout=20,
    )
    return links_sent(driver, user)[before:]


def links_sent(driver: Driver, user: str) -> list[str]:
    found: list[str] = []
    for message in driver.dms(user, PUBLIC):
        found.extend(dict.fromkeys(LINK.findall(json.dumps(message))))
    return found


def fetch(stack: LocalStack, link: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET the feed from cobot's server, as a calendar app would fetch the public URL."""
    request = urllib.request.Request(stack.base_url + urlparse(link).path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Fetched(response.status, response.read(), _lower(response.headers.items()))
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.read(), _lower(error.headers.items()))


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def events(body: bytes) -> dict[str, Any]:
    """The feed's events by UID, as recurring-ical-events (a second reader) sees a year."""
    calendar = Calendar.from_ical(body)
    start = datetime.now(UTC) - timedelta(days=30)
    seen = recurring_ical_events.of(calendar).between(start, start + timedelta(days=400))
    return {str(e["UID"]): e for e in seen}


def move(driver: Driver, stack: LocalStack, session_id: int, day: date) -> None:
    """Move from the session's button, through the form, as Slack sends it."""
    opened = len(stack.emulator.open_views)
    driver.press("UCOORD", SESSIONS_LIST, "session_move", value=str(session_id), channel_id=CHANNEL)
    stack.emulator.wait_for("views.open", count=opened + 1)
    modal = stack.emulator.open_views[-1]
    body = driver.submit_modal(
        "UCOORD",
        modal,
        {
            "date": {"value": {"type": "datepicker", "selected_date": day.isoformat()}},
            "time": {"value": {"type": "timepicker", "selected_time": "15:00"}},
        },
    )
    assert body["response_action"] == "update", body


def cancel(driver: Driver, stack: LocalStack, session_id: int) -> None:
    before = len(stack.emulator.calls_to("response_url"))
    driver.press(
        "UCOORD", SESSIONS_LIST, "session_cancel", value=str(session_id), channel_id=CHANNEL
    )
    stack.emulator.wait_for("response_url", count=before + 1)


def test_a_feed_follows_a_moved_and_a_cancelled_session(driver: Driver, stack: LocalStack) -> None:
    add(stack, "Kick-off", soon(20), participants=("UP1",))
    add(stack, "Our values", soon(40), participants=("UP1",))
    add(stack, "Not mine", soon(50), participants=("UP2",))
    kickoff, values, other = sessions(stack)
    [link] = subscribe(driver, "UP1")
    first = fetch(stack, link)
    assert first.status == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "private" in first.headers["cache-control"] and first.headers["etag"]
    seen = events(first.body)
    uid = {s.id: f"cobot-session-{s.id}@T0SANDBOX" for s in (kickoff, values, other)}
    # the participant's own sessions only, no one else's, no facilitators' deadlines
    assert set(seen) == {uid[kickoff.id], uid[values.id]}
    assert str(seen[uid[kickoff.id]]["SUMMARY"]) == "Kick-off"
    assert seen[uid[kickoff.id]]["DTSTART"].dt == kickoff.starts_at
    assert [int(e["SEQUENCE"]) for e in seen.values()] == [0, 0]
    assert {str(e["STATUS"]) for e in seen.values()} == {"CONFIRMED"}
    # nothing changed: the same bytes, so a calendar app's conditional GET is a 304
    again = fetch(stack, link, {"If-None-Match": first.headers["etag"]})
    assert (again.status, again.body) == (304, b"")

    move(driver, stack, kickoff.id, soon(25))
    cancel(driver, stack, values.id)
    after = events(fetch(stack, link).body)
    moved, cancelled = after[uid[kickoff.id]], after[uid[values.id]]
    [stored_move, _, _] = sessions(stack)
    assert moved["DTSTART"].dt == stored_move.starts_at != kickoff.starts_at
    assert moved["DTSTART"].dt.date() == soon(25)
    assert int(moved["SEQUENCE"]) == 1 and str(moved["STATUS"]) == "CONFIRMED"
    assert int(cancelled["SEQUENCE"]) == 1 and str(cancelled["STATUS"]) == "CANCELLED"
    # a plain edit (no new time) raises it again: calendars take every change
    before = len(stack.emulator.open_views)
    driver.press("UCOORD", SESSIONS_LIST, "session_edit", value=str(kickoff.id), channel_id=CHANNEL)
    stack.emulator.wait_for("views.open", count=before + 1)
    form = stack.emulator.open_views[-1]
    # everything as offered (prefilled), but the venue
    body = driver.submit_modal("UCOORD", form, fill(form, {"venue": "Library, room 2"}))
    assert body["response_action"] == "update", body
    edited = events(fetch(stack, link).body)[uid[kickoff.id]]
    assert int(edited["SEQUENCE"]) == 2 and str(edited["LOCATION"]) == "Library, room 2"


def test_a_facilitator_sees_the_deadlines_and_a_coordinator_the_project(
    driver: Driver, stack: LocalStack
) -> None:
    add(stack, "Kick-off", soon(20), participants=("UP1",))
    add(stack, "Our values", soon(40), participants=("UP2",))
    kickoff, values = sessions(stack)
    [mine] = subscribe(driver, "UF1")
    seen = events(fetch(stack, mine).body)
    agenda = seen[f"cobot-agenda-due-{kickoff.id}@T0SANDBOX"]
    assert str(agenda["SUMMARY"]) == "Agenda due: Kick-off"
    # three days before (the project's lead time), as the reminders have it
    assert agenda["DTEND"].dt == kickoff.starts_at - timedelta(days=3)
    assert str(agenda["TRANSP"]) == "TRANSPARENT"
    assert f"cobot-notes-due-{kickoff.id}@T0SANDBOX" not in seen  # notes: the team's
    # a coordinator gets two links: their own, and every session of the project
    own, project = subscribe(driver, "UCOORD", count=2)
    everything = events(fetch(stack, project).body)
    assert {f"cobot-session-{s.id}@T0SANDBOX" for s in (kickoff, values)} <= set(everything)
    assert f"cobot-notes-due-{values.id}@T0SANDBOX" in everything
    assert fetch(stack, own).status == 200


def test_revoke_resubscribe_and_wrong_links_are_404_and_no_secret_is_stored_or_logged(
    json_logs: io.StringIO, driver: Driver, stack: LocalStack
) -> None:
    add(stack, "Kick-off", soon(20), participants=("UP1",))
    [old] = subscribe(driver, "UP1")
    assert fetch(stack, old).status == 200
    [new] = subscribe(driver, "UP1")
    assert new != old
    # re-subscribing gave a new link: the old one is gone, the same as one never issued
    assert fetch(stack, old).status == 404
    assert fetch(stack, new).status == 200
    token = urlparse(new).path.removeprefix("/calendar/").removesuffix(".ics")
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (f"/calendar/{wrong}.ics", "/calendar/short.ics", f"/calendar/{token}"):
        assert fetch(stack, PUBLIC + path).status == 404, path
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        stored = json.dumps(
            [[str(v) for v in row] for row in db.execute(select(CalendarFeed.__table__)).all()]
        )
    assert token not in stored and len(stored) > 100
    # logged at DEBUG as `cobot run` would: the DM went out and the feed was served, unlogged
    logged = json_logs.getvalue()
    assert "calendar_feed" in logged and token not in logged and old.split("/")[-1] not in logged

    reply = driver.command("UP1", "calendar revoke", channel_id=CHANNEL)
    assert "no longer work" in reply["text"]
    assert fetch(stack, new).status == 404
    assert (
        "no calendar links" in driver.command("UP1", "calendar revoke", channel_id=CHANNEL)["text"]
    )


def test_forget_me_stops_the_link(driver: Driver, stack: LocalStack) -> None:
    add(stack, "Kick-off", soon(20), participants=("UP1",))
    [link] = subscribe(driver, "UP1")
    assert fetch(stack, link).status == 200
    reply = driver.command("UP1", "forget me", channel_id=CHANNEL)
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    driver.press("UP1", message, FORGET, value="1", channel_id=CHANNEL)
    stack.emulator.wait_for("response_url", where=lambda c: "Erased everything" in str(c.args))
    assert fetch(stack, link).status == 404
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        assert db.scalars(select(CalendarFeed).where(CalendarFeed.user_id == "UP1")).all() == []


def test_without_a_public_address_subscribe_says_so_and_stores_nothing(
    database_url: str,
) -> None:
    with LocalStack(database_url=database_url) as stack:
        assert stack.runtime is not None and stack.client is not None
        stack.emulator.add_user("UCOORD", name="cora")
        with transaction(stack.runtime.factory) as db:
            add_project(
                db, channel_id=CHANNEL, members=[("UCOORD", "coordinator")], now=datetime.now(UTC)
            )
        reply = Driver(stack.client, stack.emulator).command(
            "UCOORD", "calendar subscribe", channel_id=CHANNEL
        )
        assert "COBOT_PUBLIC_URL" in reply["text"]
        with transaction(stack.runtime.factory) as db:
            assert db.scalars(select(CalendarFeed)).all() == []
