"""The SQL a request costs does not grow with the project: the same number of statements
for 5 sessions and 3 participants as for 40 sessions and 60 participants, on every database.

Each request is one public service call, as the listener for it makes it: `/cobot sessions`,
each kind of Home, saving a session, and the busiest buttons and forms (reminders, debriefs,
participant feedback, check-ins)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.debriefs import DebriefInput
from cobot.domain.debriefs import FeedbackInput
from cobot.domain.sessions import SessionInput
from cobot.services import deliveries
from cobot.services.checkins import Checkins
from cobot.services.debriefs import Debriefs
from cobot.services.home import Home
from cobot.services.reminders import Reminders
from cobot.services.sessions import Sessions
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.integration.test_home import CHANNEL
from tests.integration.test_home import NOW
from tests.integration.test_home import TEAM
from tests.integration.test_home import NoDirectory
from tests.integration.test_home import Seeded
from tests.integration.test_home import seed_project
from tests.statements import counting

pytestmark = pytest.mark.db

SMALL = (5, 3)  # sessions, participants
BIG = (40, 60)


@dataclass
class World:
    engine: Engine
    seeded: Seeded
    sessions: Sessions
    home: Home
    reminders: Reminders
    debriefs: Debriefs
    checkins: Checkins
    count_of_sessions: int
    channel: str


@pytest.fixture
def worlds(database_url: str) -> Iterator[Callable[[tuple[int, int]], World]]:
    """A fresh, seeded project of a given size per call (each in its own database schema
    would be costly: the projects share the database, in different channels)."""
    engine = create_db_engine(database_url)
    factory: sessionmaker[Session] = session_factory(engine)
    deliveries.install_alarm_hook(factory, FakeAlarms())
    clock = FakeClock(NOW)
    made = 0

    def world(size: tuple[int, int]) -> World:
        nonlocal made
        made += 1
        count, participants = size
        seeded = seed_project(
            factory,
            NOW,
            participants=participants,
            sessions=count,
            channel=f"{CHANNEL}{made}",
            name=f"Project {made}",
        )
        checkins = Checkins(factory=factory, clock=clock, directory=NoDirectory())
        return World(
            engine=engine,
            seeded=seeded,
            sessions=Sessions(factory=factory, clock=clock),
            home=Home(factory=factory, clock=clock, checkins=checkins),
            reminders=Reminders(factory=factory, clock=clock),
            debriefs=Debriefs(factory=factory, clock=clock),
            checkins=checkins,
            count_of_sessions=count,
            channel=f"{CHANNEL}{made}",
        )

    yield world
    engine.dispose()


def statements(world: World, request: Callable[[World], object]) -> tuple[int, str]:
    with counting(world.engine) as seen:
        request(world)
    return seen.count, str(seen)


def same_cost(
    worlds: Callable[[tuple[int, int]], World],
    request: Callable[[World], object],
    *,
    warm: bool = False,
) -> int:
    small_world, big_world = worlds(SMALL), worlds(BIG)
    if warm:
        # a read that publishes a month's check-in figures the first time after it closes
        # does that once per month, not once per person: measure the steady state
        request(small_world)
        request(big_world)
    small, listed_small = statements(small_world, request)
    big, listed_big = statements(big_world, request)
    assert small == big, f"small {small}:\n{listed_small}\n\nbig {big}:\n{listed_big}"
    return small


def channel_of(world: World) -> str:
    return world.channel


def new_session(world: World, **overrides: object) -> SessionInput:
    day = (NOW + timedelta(days=7 * world.count_of_sessions + 30)).date()
    values: dict[str, object] = {
        "title": "One more",
        "day": day,
        "start": time(10, 0),
        "duration": timedelta(hours=2),
        "facilitators": ("UF1", "UF2"),
        "participants": tuple(world.seeded.participants),
    }
    values.update(overrides)
    return SessionInput(**values)  # type: ignore[arg-type]


def upcoming(world: World) -> int:
    """A session still to come (the fourth: the first three are held)."""
    return world.seeded.sessions[3]


def held(world: World) -> int:
    """The session that ended yesterday, whose debriefs and feedback are open."""
    return world.seeded.sessions[2]


REQUESTS: dict[str, Callable[[World], object]] = {
    "/cobot sessions": lambda w: w.sessions.upcoming(
        team_id=TEAM, channel_id=_channel(w), user_id="UCOORD"
    ),
    "a participant's Home": lambda w: w.home.home(team_id=TEAM, user_id="UP01"),
    "a facilitator's Home": lambda w: w.home.home(team_id=TEAM, user_id="UF2"),
    "a coordinator's Home": lambda w: w.home.home(team_id=TEAM, user_id="UCOORD"),
    "session add": lambda w: w.sessions.add(
        team_id=TEAM, user_id="UCOORD", data=new_session(w), project_id=w.seeded.project_id
    ),
    "session add (check)": lambda w: w.sessions.check_add(
        team_id=TEAM, user_id="UCOORD", data=new_session(w), project_id=w.seeded.project_id
    ),
    "session edit": lambda w: w.sessions.edit(
        team_id=TEAM,
        user_id="UCOORD",
        session_id=upcoming(w),
        data=new_session(w, title="Renamed", day=(NOW + timedelta(days=6)).date()),
    ),
    "session move": lambda w: w.sessions.move(
        team_id=TEAM,
        user_id="UCOORD",
        session_id=upcoming(w),
        day=(NOW + timedelta(days=5)).date(),
        start=time(14, 0),
    ),
    "session cancel": lambda w: w.sessions.cancel(
        team_id=TEAM, user_id="UCOORD", session_id=upcoming(w)
    ),
    "share the agenda (reminder button)": lambda w: w.reminders.share_agenda(
        team_id=TEAM, user_id="UF1", session_id=upcoming(w), text="1. Welcome"
    ),
    "accessibility done (reminder button)": lambda w: w.reminders.accessibility_done(
        team_id=TEAM, user_id="UF1", session_id=upcoming(w)
    ),
    "open a debrief (prompt button)": lambda w: w.debriefs.form(
        team_id=TEAM, user_id="UF2", session_id=held(w)
    ),
    "submit a debrief": lambda w: w.debriefs.submit(
        team_id=TEAM,
        user_id="UF2",
        session_id=held(w),
        data=DebriefInput(went_well="Good", change="Less", feeling=3),
    ),
    "skip a debrief": lambda w: w.debriefs.skip(team_id=TEAM, user_id="UF2", session_id=held(w)),
    "give feedback": lambda w: w.debriefs.give_feedback(
        team_id=TEAM,
        user_id="UP01",
        session_id=held(w),
        data=FeedbackInput(heard=4, keep="Kind", change=""),
    ),
    "answer a check-in": lambda w: w.checkins.answer(
        team_id=TEAM, user_id="UP01", delivery_id=w.seeded.open_checkin, mood=4
    ),
}


def _channel(world: World) -> str:
    return channel_of(world)


PUBLISHING_READS = {"a coordinator's Home"}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_a_request_costs_the_same_sql_however_big_the_project(
    worlds: Callable[[tuple[int, int]], World], name: str
) -> None:
    assert same_cost(worlds, REQUESTS[name], warm=name in PUBLISHING_READS) > 0
