"""Polls on a real database with a fake clock: the close happens once however often it is
rendered, a cancelled poll closes never, and the privacy registry exports and erases what a
person answered, wrote and set about their availability."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.polls import BusyWindow
from cobot.domain.polls import PartOfDay
from cobot.domain.polls import PollInput
from cobot.domain.polls import PollPurpose
from cobot.services import deliveries
from cobot.services import polls as polls_service
from cobot.services.polls import CLOSE
from cobot.services.polls import Polls
from cobot.services.polls import poll_kinds
from cobot.services.ports import OutgoingMessage
from cobot.services.privacy import Privacy
from cobot.services.sessions import Sessions
from cobot.storage.db import transaction
from cobot.storage.models import Availability
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Poll
from cobot.storage.models import PollAnswer
from cobot.storage.models import PollPerson
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.seeds import add_project

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TEAM = "T1"


class Zones:
    """Everyone is in London."""

    def timezone(self, user_id: str) -> str | None:  # noqa: ARG002
        return "Europe/London"


@pytest.fixture
def factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    return factory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def polls(factory: sessionmaker[Session], clock: FakeClock) -> Polls:
    return Polls(
        factory=factory,
        clock=clock,
        directory=Zones(),
        sessions=Sessions(factory=factory, clock=clock),
    )


def project(factory: sessionmaker[Session]) -> int:
    people = [
        ("UC", "coordinator"),
        ("UF1", "practitioner"),
        ("UF2", "practitioner"),
        ("UP1", "participant"),
    ]
    with transaction(factory) as db:
        return add_project(
            db,
            channel_id="CPOLL",
            members=people,
            now=START,
            name="Polls",
            timezone="Europe/London",
            team_id=TEAM,
        ).id


def start(polls: Polls, project_id: int) -> int:
    tally = polls.start(
        team_id=TEAM,
        user_id="UC",
        project_id=project_id,
        data=PollInput(
            purpose=PollPurpose.WORKSHOP,
            title="Session 1",
            duration=timedelta(hours=2),
            starts=(START + timedelta(days=5), START + timedelta(days=6)),
            asked=("UF1", "UF2", "UP1"),
            closes_at=START + timedelta(days=3),
        ),
    )
    return tally.poll_id


def render_close(factory: sessionmaker[Session], clock: FakeClock, *moments: datetime) -> list[str]:
    """Render the poll's close delivery as the ledger would, at each of `moments` (a send
    retried later)."""
    kinds = deliveries.DeliveryKinds()
    deliveries.register_all(
        kinds,
        poll_kinds(
            present=lambda note: OutgoingMessage(text=type(note).__name__),
            clock=clock,
            directory=Zones(),
        ),
    )
    kind = kinds.get(CLOSE)
    assert kind is not None
    said = []
    for moment in moments:
        clock.current = moment
        with transaction(factory) as db:
            row = db.scalar(select(Delivery).where(Delivery.kind == CLOSE))
            assert row is not None
            message = kind.render(db, row)
            said.append(message.text if message is not None else "nothing")
    return said


def test_the_close_closes_once_and_a_cancelled_poll_never(
    factory: sessionmaker[Session], clock: FakeClock, polls: Polls
) -> None:
    poll_id = start(polls, project(factory))
    with transaction(factory) as db:
        close = db.scalar(select(Delivery).where(Delivery.kind == CLOSE))
        assert close is not None and close.due_at == START + timedelta(days=3)
        nudges = db.scalar(select(func.count(Delivery.id)).where(Delivery.kind == "poll_nudge"))
        assert nudges == 3
    closes, retried = START + timedelta(days=3), START + timedelta(days=3, hours=1)
    assert render_close(factory, clock, closes, retried) == ["Choice", "Choice"]
    with transaction(factory) as db:
        poll = db.get(Poll, poll_id)
        # closed by the first render only: the retry an hour on found it closed already
        assert poll is not None and poll.status == "closed"
        assert (poll.closed_at, poll.updated_at) == (closes, closes)
    # answers can no longer change
    slot_id = polls.tally(team_id=TEAM, user_id="UC", poll_id=poll_id).rows[0].slot_id
    with pytest.raises(Exception, match="closed"):
        polls.answer(team_id=TEAM, user_id="UP1", poll_id=poll_id, slot_id=slot_id, answer="yes")
    polls.cancel(team_id=TEAM, user_id="UC", poll_id=poll_id)
    assert render_close(factory, clock, retried, retried) == ["nothing", "nothing"]
    with transaction(factory) as db:
        outcomes = db.scalars(select(Delivery).where(Delivery.kind == "poll_outcome")).all()
        assert sorted(d.target for d in outcomes) == ["UF1", "UF2", "UP1"]


def test_choosing_a_time_makes_the_session_and_ends_the_poll_in_one_transaction(
    factory: sessionmaker[Session], polls: Polls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the session is made but before the poll ends leaves neither half: no
    session, the poll still open and owing its nudges and close; choosing again works."""
    poll_id = start(polls, project(factory))
    slot_id = polls.tally(team_id=TEAM, user_id="UC", poll_id=poll_id).rows[0].slot_id
    for person in ("UF1", "UF2", "UP1"):
        polls.answer(team_id=TEAM, user_id=person, poll_id=poll_id, slot_id=slot_id, answer="yes")

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the process died")

    with monkeypatch.context() as patched:
        patched.setattr(polls_service, "_finish", crash)
        with pytest.raises(RuntimeError, match="died"):
            polls.choose(team_id=TEAM, user_id="UC", poll_id=poll_id, slot_id=slot_id)

    def state() -> tuple[int, str, int, int]:
        with transaction(factory) as db:
            poll = db.get(Poll, poll_id)
            assert poll is not None
            owed = db.scalars(select(Delivery).where(Delivery.status == "scheduled")).all()
            return (
                db.scalar(select(func.count(CoSession.id))) or 0,
                poll.status,
                sum(1 for d in owed if d.kind in ("poll_nudge", "poll_close")),
                sum(1 for d in owed if d.subject_type != "poll"),
            )

    assert state() == (0, "open", 4, 0)
    done = polls.choose(team_id=TEAM, user_id="UC", poll_id=poll_id, slot_id=slot_id)
    made, status, poll_owes, session_owes = state()
    assert (made, status, poll_owes) == (1, "scheduled", 0) and session_owes > 0
    with transaction(factory) as db:
        poll = db.get(Poll, poll_id)
        assert poll is not None and poll.session_id == done.saved.view.id
        outcomes = db.scalars(select(Delivery).where(Delivery.kind == "poll_outcome")).all()
        assert sorted(d.target for d in outcomes) == ["UF1", "UF2", "UP1"]


def test_my_data_and_forget_me_cover_answers_notes_and_availability(
    factory: sessionmaker[Session], clock: FakeClock, polls: Polls
) -> None:
    project_id = project(factory)
    poll_id = start(polls, project_id)
    slot_id = polls.tally(team_id=TEAM, user_id="UC", poll_id=poll_id).rows[0].slot_id
    polls.answer(team_id=TEAM, user_id="UP1", poll_id=poll_id, slot_id=slot_id, answer="if_need_be")
    polls.save_note(team_id=TEAM, user_id="UP1", poll_id=poll_id, note="A lift from the station")
    polls.save_standing(
        team_id=TEAM,
        user_id="UP1",
        project_id=project_id,
        weekdays_off=[4],
        part=PartOfDay.MORNINGS,
        windows=[BusyWindow(time(15), time(16), "school run")],
        note="I care for my mum",
    )
    privacy = Privacy(factory=factory, clock=clock)
    exported = json.loads(privacy.my_data(team_id=TEAM, user_id="UP1").json.content)
    said = json.dumps(exported, ensure_ascii=False)
    for words in ("A lift from the station", "if_need_be", "school run", "I care for my mum"):
        assert words in said
    other = json.dumps(json.loads(privacy.my_data(team_id=TEAM, user_id="UF1").json.content))
    assert "A lift from the station" not in other
    privacy.forget(team_id=TEAM, user_id="UP1")
    with transaction(factory) as db:
        for model in (PollPerson, PollAnswer, Availability):
            rows = db.scalars(select(model).where(model.user_id == "UP1")).all()
            assert not rows, model.__tablename__
        assert db.scalar(select(func.count(PollPerson.id))) == 2  # the others stay asked
