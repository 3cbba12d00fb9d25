"""Property, through the service over SQLite: generated answer histories across months, the
coordinator's every request (each month, the summary's default, Home's latest month, the
report's months) read before and after each single new answer and after an erasure; no
published figure ever changes, and each has at least 3 people besides the viewer."""

from __future__ import annotations

import tempfile
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.disclosure import MIN_OTHERS
from cobot.services.checkins import Checkins
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.models import Base
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CheckinSetup
from cobot.storage.models import Member
from cobot.storage.models import Project
from tests.fakes import FakeClock

TEAM, CHANNEL = "T1", "C1"
PEOPLE = [f"U{i}" for i in range(7)]
ROLES = ["participant", "practitioner", "coordinator"]
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

answers = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.integers(1, 5), st.integers(0, 85)), max_size=25
)


class NoDirectory:
    def timezone(self, user_id: str) -> str | None:  # noqa: ARG002
        return None


def build(path: Path) -> tuple[Checkins, FakeClock, sessionmaker[Session]]:
    engine = create_db_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    clock = FakeClock(START)
    with transaction(factory) as db:
        project = Project(
            team_id=TEAM,
            channel_id=CHANNEL,
            name="P",
            timezone="Europe/London",
            lead_times={},
            created_by="UC",
            created_at=START,
            updated_at=START,
        )
        members = [("UC", "coordinator"), *((p, ROLES[i % 3]) for i, p in enumerate(PEOPLE))]
        project.members = [
            Member(user_id=u, role=r, added_by="UC", added_at=START) for u, r in members
        ]
        db.add(project)
        db.flush()
        db.add(
            CheckinSetup(
                project_id=project.id,
                enabled=True,
                roles=ROLES,
                contacts=[],
                updated_by="UC",
                updated_at=START,
            )
        )
        for user in PEOPLE:
            db.add(
                CheckinPerson(
                    project_id=project.id,
                    user_id=user,
                    status="active",
                    working_days=[0, 1, 2, 3, 4],
                    created_at=START,
                    updated_at=START,
                )
            )
    service = Checkins(factory=factory, clock=clock, directory=NoDirectory())
    return service, clock, factory


def add_answer(
    factory: sessionmaker[Session], project_day: date, user: str, mood: int, n: int
) -> None:
    with transaction(factory) as db:
        person = db.query(CheckinPerson).filter_by(user_id=user).one()
        db.add(
            CheckinAnswer(
                person_id=person.id,
                project_id=person.project_id,
                delivery_id=n,
                asked_on=project_day,
                answered_at=datetime.combine(project_day, datetime.min.time(), UTC),
                role=ROLES[PEOPLE.index(user) % 3],
                mood=str(mood),
            )
        )


def every_view(service: Checkins) -> dict[str, object]:
    """Everything a coordinator can ask for, by month: summary (each month named and the
    default), Home's latest month (the default's first) and the report's months."""
    found: dict[str, object] = {}
    default = service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UC")
    for period in default.periods:
        found[f"summary:{period.period}"] = period.aggregate
    for period in service.published(1):
        found[f"report:{period.period}"] = period.aggregate
        named = service.summary(
            team_id=TEAM, channel_id=CHANNEL, user_id="UC", period=period.period
        )
        found[f"named:{period.period}"] = named.periods[0].aggregate
    return found


@settings(max_examples=25, deadline=None)
@given(answers, st.sampled_from(PEOPLE), st.integers(1, 5), st.sampled_from(PEOPLE))
def test_views_never_change_and_always_hide_the_viewer(
    history: list[tuple[str, int, int]], extra_user: str, extra_mood: int, erased: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        service, clock, factory = build(Path(folder) / "p.db")
        seen: dict[str, object] = {}
        for n, (user, mood, day) in enumerate(history, 1):
            when = START + timedelta(days=day)
            clock.current = max(clock.current, when)
            add_answer(factory, when.date(), user, mood, n)
            # before and after each single new answer: every figure read so far is unchanged
            views = every_view(service)
            for key, value in seen.items():
                if key.split(":")[1] in {k.split(":")[1] for k in views}:
                    assert views.get(f"report:{key.split(':')[1]}") == value, key
            seen.update(views)
        # one more answer (backdated into a published month) and an erasure: nothing moves
        add_answer(factory, START.date(), extra_user, extra_mood, 10_000)
        with transaction(factory) as db:
            db.execute(
                delete(CheckinAnswer).where(CheckinAnswer.person_id == PEOPLE.index(erased) + 1)
            )
        clock.current = START + timedelta(days=120)
        final = every_view(service)
        for key, value in seen.items():
            assert final[f"report:{key.split(':')[1]}"] == value, key
        # no figure counts the viewer toward the 3: a coordinator who answered (any of
        # PEOPLE may be the one looking) still finds 3 others behind every shown figure
        for value in final.values():
            total = getattr(value, "total", None)
            for figure in (total, *getattr(value, "groups", ())):
                if figure is not None:
                    assert figure.people - 1 >= MIN_OTHERS
