"""The review's rounds on both databases, with a clock that moves only when told: a round
whose deadline passed while its close was still on its way closes when the next one starts,
and answers are refused once the deadline has passed."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.reviews import Choice
from cobot.services import deliveries
from cobot.services import reviews as svc
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.reviews import Reviews
from cobot.storage.db import transaction
from cobot.storage.models import Member
from cobot.storage.models import Project
from cobot.storage.models import ReviewRound
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.seeds import TEAM
from tests.seeds import add_project

CHANNEL = "C0REV"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def reviews(factory: sessionmaker[Session], clock: FakeClock) -> Reviews:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    return Reviews(factory=factory, clock=clock)


def project(factory: sessionmaker[Session]) -> int:
    members = [("UCOORD", "coordinator"), ("UP1", "participant"), ("UP2", "participant")]
    with transaction(factory) as db:
        return add_project(db, channel_id=CHANNEL, members=members, now=START).id


def open_round(reviews: Reviews, project_id: int, day: date) -> svc.Started:
    return reviews.start(
        team_id=TEAM,
        user_id="UCOORD",
        project_id=project_id,
        draft_url="https://example.org/draft",
        deadline=day,
        note="",
    )


def test_a_round_past_its_deadline_closes_when_the_next_starts_and_refuses_answers(
    factory: sessionmaker[Session], clock: FakeClock, reviews: Reviews
) -> None:
    project_id = project(factory)
    with pytest.raises(InvalidFields) as refused:
        open_round(reviews, project_id, START.date())
    assert set(refused.value.errors) == {"deadline"}
    first = open_round(reviews, project_id, date(2026, 3, 5))
    assert first.number == 1 and first.asked == 2
    with transaction(factory) as db:
        round_id = db.scalars(select(ReviewRound.id)).one()
    reviews.answer(
        team_id=TEAM,
        user_id="UP1",
        round_id=round_id,
        choice=Choice.NOT_YET,
        text="No",
        named=False,
    )
    # someone who joins during the round is asked too: their Home shows it, they can answer
    with transaction(factory) as db:
        db.add(
            Member(
                project_id=project_id,
                user_id="UP3",
                role="participant",
                added_by="UC",
                added_at=START,
            )
        )
    with transaction(factory) as db:
        row = db.get(Project, project_id)
        assert row is not None
        assert [a.round_id for a in svc.awaiting(db, [row], "UP3", START)] == [round_id]
    reviews.approve(team_id=TEAM, user_id="UP3", round_id=round_id)
    with pytest.raises(AccessError, match="still open"):
        reviews.start_form(team_id=TEAM, user_id="UCOORD", channel_id=CHANNEL)
    with pytest.raises(AccessError, match="Only the project's participants"):
        reviews.approve(team_id=TEAM, user_id="UCOORD", round_id=round_id)

    # the deadline passes; nothing has rendered the close yet
    clock.advance(days=4)
    with pytest.raises(AccessError, match="has closed"):
        reviews.approve(team_id=TEAM, user_id="UP2", round_id=round_id)
    assert reviews.start_form(team_id=TEAM, user_id="UCOORD", channel_id=CHANNEL).number == 2
    second = open_round(reviews, project_id, date(2026, 3, 12))
    assert second.number == 2
    with transaction(factory) as db:
        rounds = {r.number: r for r in db.scalars(select(ReviewRound))}
        assert rounds[1].closed_at == rounds[1].deadline
        assert (rounds[1].outcome, rounds[1].not_yet, rounds[1].approved) == (
            "not_yet_approved",
            1,
            1,
        )
        assert rounds[1].asked == 3
        assert rounds[2].closed_at is None
        row = db.get(Project, project_id)
        assert row is not None
        current = svc.open_round(db, row)
    assert current is not None and current.number == 2
