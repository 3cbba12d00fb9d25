"""Retention from the privacy registry, on a real database with a fake clock: every feature's
answers go once their project has been closed for its retention setting, and not before."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.privacy import Retention
from cobot.scheduling import context
from cobot.scheduling import jobs
from cobot.services import deliveries
from cobot.services.checkins import Checkins
from cobot.services.privacy import Privacy
from cobot.services.privacy import build_registry
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.models import Availability
from cobot.storage.models import Base
from cobot.storage.models import CalendarFeed
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinContactRequest
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CheckinSetup
from cobot.storage.models import Claim
from cobot.storage.models import ClaimQuery
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import DebriefAction
from cobot.storage.models import DebriefDevNote
from cobot.storage.models import Delivery
from cobot.storage.models import EndingEvaluation
from cobot.storage.models import EndingFeeling
from cobot.storage.models import EndingFollowUp
from cobot.storage.models import Expense
from cobot.storage.models import Member
from cobot.storage.models import MemberPerspectives
from cobot.storage.models import ParticipantFeedback
from cobot.storage.models import PaymentChoiceRow
from cobot.storage.models import Poll
from cobot.storage.models import PollAnswer
from cobot.storage.models import PollPerson
from cobot.storage.models import PollSlot
from cobot.storage.models import Project
from cobot.storage.models import ReviewAnswer
from cobot.storage.models import ReviewRound
from cobot.storage.models import SessionPerson
from cobot.storage.models import TimeLog
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PURGED_TABLES = sorted(
    d.table for d in build_registry().declarations if d.retention is Retention.PROJECT
)


@pytest.fixture
def factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    return factory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def plant(db: Session, name: str, *, retention: int | None, closed: bool) -> int:
    """A project where one person used every feature (one row in each declared table)."""
    now = START
    project = Project(
        team_id="T1",
        channel_id=f"C{name}",
        name=name,
        timezone="UTC",
        lead_times={},
        created_by="UCOORD",
        created_at=now,
        updated_at=now,
        status="closed" if closed else "active",
        closed_at=now if closed else None,
    )
    project.members = [Member(user_id="UP1", role="practitioner", added_by="UC", added_at=now)]
    db.add(project)
    db.flush()
    if retention is not None:
        db.add(
            CheckinSetup(
                project_id=project.id, retention_days=retention, updated_by="UC", updated_at=now
            )
        )
    person = CheckinPerson(
        project_id=project.id, user_id="UP1", status="active", created_at=now, updated_at=now
    )
    db.add(person)
    db.flush()
    answer = CheckinAnswer(
        person_id=person.id,
        project_id=project.id,
        delivery_id=person.id * 1000 + project.id,
        asked_on=date(2026, 3, 2),
        answered_at=now,
        role="practitioner",
        mood="2",
        note="a note",
    )
    db.add(answer)
    db.flush()
    db.add(
        CheckinContactRequest(
            person_id=person.id,
            project_id=project.id,
            answer_id=answer.id,
            requested_at=now,
            message="call me",
        )
    )
    deliveries.schedule(
        db,
        key=f"checkin:{project.id}:UP1",
        kind="checkin",
        target="UP1",
        due_at=now + timedelta(days=200),
        now=now,
        project_id=project.id,
        subject=("checkin_person", person.id),
    )
    cosession = CoSession(
        project_id=project.id,
        title="Workshop",
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
        created_by="UC",
        created_at=now,
        updated_at=now,
    )
    cosession.people = [SessionPerson(user_id="UP1", role="facilitator")]
    db.add(cosession)
    db.flush()
    debrief = Debrief(
        session_id=cosession.id,
        user_id="UP1",
        status="submitted",
        went_well="well",
        created_at=now,
        updated_at=now,
    )
    debrief.notes = [DebriefDevNote(to_user="UF2", text="grow")]
    db.add(debrief)
    db.flush()
    db.add(
        DebriefAction(
            project_id=project.id,
            session_id=cosession.id,
            debrief_id=debrief.id,
            owner="UP1",
            text="do it",
            created_by="UP1",
            created_at=now,
        )
    )
    db.add(
        ParticipantFeedback(
            session_id=cosession.id, user_id="UP2", keep="keep", created_at=now, updated_at=now
        )
    )
    for model in (EndingFeeling, EndingEvaluation, EndingFollowUp):
        row = model(project_id=project.id, user_id="UP1", created_at=now, updated_at=now)
        if isinstance(row, EndingFeeling):
            row.role_group, row.typed, row.words, row.boat = "project_team", "calm", "calm", "raft"
        elif isinstance(row, EndingEvaluation):
            row.role_group, row.answers = "project_team", '{"went_well": "all"}'
        else:
            row.how, row.what_next = "fine", "rest"
        db.add(row)
    review = ReviewRound(
        project_id=project.id,
        number=1,
        draft_url="https://example.org/draft",
        note="",
        deadline=now,
        started_by="UC",
        started_at=now,
    )
    db.add(review)
    db.flush()
    db.add(
        ReviewAnswer(
            round_id=review.id,
            project_id=project.id,
            user_id="UP1",
            choice="changes",
            text="shorter",
            created_at=now,
            updated_at=now,
        )
    )
    db.add(
        MemberPerspectives(
            project_id=project.id, user_id="UP1", chosen='["clinician"]', updated_at=now
        )
    )
    db.add(
        CalendarFeed(
            token_hash=f"{project.id:064d}",
            nonce="n",
            team_id="T1",
            user_id="UP1",
            project_id=project.id,
            scope="person",
            created_at=now,
        )
    )
    poll = Poll(
        project_id=project.id,
        purpose="workshop",
        title="Workshop",
        duration_minutes=120,
        status="closed",
        created_by="UC",
        created_at=now,
        closes_at=now,
        updated_at=now,
    )
    poll.slots = [PollSlot(starts_at=now, ends_at=now + timedelta(hours=2))]
    poll.people = [PollPerson(user_id="UP1", role="facilitator", note="a lift please")]
    db.add(poll)
    db.flush()
    db.add(PollAnswer(slot_id=poll.slots[0].id, user_id="UP1", answer="yes", updated_at=now))
    db.add(
        Availability(
            project_id=project.id,
            user_id="UP1",
            timezone="UTC",
            weekdays_off=[0],
            part_of_day="mornings",
            windows='[{"start": "15:00", "end": "16:00", "label": "school run"}]',
            note="carer",
            updated_at=now,
        )
    )
    db.add(
        TimeLog(
            project_id=project.id,
            user_id="UP1",
            activity="review_draft",
            day=date(2026, 3, 1),
            minutes=60,
            note="read it",
            created_at=now,
        )
    )
    db.add(PaymentChoiceRow(project_id=project.id, user_id="UP1", choice="paid", updated_at=now))
    db.add(
        Expense(
            project_id=project.id,
            user_id="UP1",
            kind="travel",
            amount=680,
            what_for="bus",
            status="approved",
            round=1,
            created_at=now,
        )
    )
    claim = Claim(
        project_id=project.id,
        user_id="UP1",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 2),
        status="confirmed",
        payment_choice="paid",
        currency="GBP",
        lines=[],
        fees=2500,
        expenses=680,
        total=3180,
        round=1,
        created_at=now,
        confirmed_at=now,
        keep_until=date(2032, 4, 5),
    )
    db.add(claim)
    db.flush()
    db.add(ClaimQuery(claim_id=claim.id, user_id="UP1", text="is the bus in?", created_at=now))
    db.flush()
    return project.id


def counts(factory: sessionmaker[Session], project_id: int) -> dict[str, int]:
    """Rows per declared table that belong to the project (through the registry's paths)."""
    registry = build_registry()
    found: dict[str, int] = {}
    with transaction(factory) as db:
        for decl in registry.declarations:
            table: Table = Base.metadata.tables[decl.table]
            joined: Any = table
            current = table
            # follow the registry's path to the project, join by join
            for link in decl.project.via:
                parent = Base.metadata.tables[link.table]
                joined = joined.join(parent, current.c[link.column] == parent.c[link.key])
                current = parent
            query = (
                select(func.count())
                .select_from(joined)
                .where(current.c[decl.project.column] == project_id)
            )
            found[decl.table] = int(db.scalar(query) or 0)
    return found


@pytest.fixture
def projects(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as db:
        return {
            "short": plant(db, "short", retention=30, closed=True),
            "default": plant(db, "default", retention=None, closed=True),
            "open": plant(db, "open", retention=30, closed=False),
        }


def test_every_purged_table_is_planted(
    factory: sessionmaker[Session], projects: dict[str, int]
) -> None:
    planted = counts(factory, projects["short"])
    assert all(planted[t] == 1 for t in PURGED_TABLES), planted
    assert (
        sorted(
            [
                "checkin_people",
                "checkin_answers",
                "checkin_contact_requests",
                "debriefs",
                "debrief_dev_notes",
                "debrief_actions",
                "participant_feedback",
                "ending_feelings",
                "ending_evaluations",
                "ending_follow_ups",
                "review_answers",
                "member_perspectives",
                "calendar_feeds",
                "poll_people",
                "poll_answers",
                "availability",
                "time_logs",
                "payment_choices",
                "expenses",
                "claim_queries",
            ]
        )
        == PURGED_TABLES
    )


@pytest.mark.parametrize("table", PURGED_TABLES)
def test_each_feature_is_purged_by_the_projects_retention_setting(
    factory: sessionmaker[Session], clock: FakeClock, projects: dict[str, int], table: str
) -> None:
    privacy = Privacy(factory=factory, clock=clock)
    clock.advance(days=29)
    assert privacy.purge_expired(clock.now()).rows == 0
    assert counts(factory, projects["short"])[table] == 1
    clock.advance(days=1, seconds=1)  # 30 days after closing: the short project's answers go
    purged = privacy.purge_expired(clock.now())
    assert purged.projects == 1 and purged.rows == len(PURGED_TABLES)
    assert counts(factory, projects["short"])[table] == 0
    assert counts(factory, projects["default"])[table] == 1  # 90 days by default
    assert counts(factory, projects["open"])[table] == 1  # still running: kept
    clock.advance(days=61)
    assert privacy.purge_expired(clock.now()).projects == 1
    assert counts(factory, projects["default"])[table] == 0
    assert counts(factory, projects["open"])[table] == 1


def test_daily_maintenance_purges_every_feature_and_keeps_the_record(
    factory: sessionmaker[Session], clock: FakeClock, projects: dict[str, int]
) -> None:
    service = Checkins(factory=factory, clock=clock, directory=_NoZones())
    context.bind(None, None, service, None)
    try:
        clock.advance(days=31)
        jobs.daily_maintenance()
    finally:
        context.bind(None)
    short = counts(factory, projects["short"])
    assert all(short[t] == 0 for t in PURGED_TABLES), short
    assert short["members"] == 1 and short["session_people"] == 1
    with transaction(factory) as db:
        ledger = db.scalars(
            select(Delivery.project_id).where(Delivery.subject_type == "checkin_person")
        ).all()
        assert projects["short"] not in ledger and projects["open"] in ledger
        # the other two projects' answers stay
        assert db.execute(text("SELECT count(*) FROM checkin_answers")).scalar_one() == 2


def test_confirmed_claims_outlive_the_project_for_hmrcs_six_years(
    factory: sessionmaker[Session], clock: FakeClock, projects: dict[str, int]
) -> None:
    privacy = Privacy(factory=factory, clock=clock)
    clock.advance(days=31)
    privacy.purge_expired(clock.now())
    short = counts(factory, projects["short"])
    assert short["payment_choices"] == short["expenses"] == short["claim_queries"] == 0
    assert short["claims"] == 1  # the payment record stays for finance
    clock.current = datetime(2032, 4, 5, 12, 0, tzinfo=UTC)
    privacy.purge_expired(clock.now())
    assert counts(factory, projects["short"])["claims"] == 0
    assert counts(factory, projects["open"])["claims"] == 0  # 6 years on, whatever the project


class _NoZones:
    def timezone(self, user_id: str) -> str | None:  # noqa: ARG002
        return None


def test_migration_0007_encrypts_existing_action_text_and_downgrade_restores_it(
    empty_database_url: str,
) -> None:
    from alembic import command

    from cobot.storage import crypto
    from cobot.storage.migrate import alembic_config
    from cobot.storage.migrate import upgrade

    upgrade(empty_database_url, "0005")
    engine = create_db_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            now = START
            conn.execute(
                text(
                    "INSERT INTO projects (id, team_id, channel_id, name, aims, agreement, "
                    "timezone, lead_times, status, created_by, created_at, updated_at) VALUES "
                    "(1, 'T1', 'C1', 'P', '', '', 'UTC', '{}', 'active', 'U', :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO project_sessions (id, project_id, kind, title, starts_at, "
                    "ends_at, venue, objectives, status, revision, created_by, created_at, "
                    "updated_at, agenda_text, notes_text) VALUES (1, 1, 'workshop', 'W', :now, "
                    ":now, '', '', 'scheduled', 1, 'U', :now, :now, '', '')"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO debriefs (id, session_id, user_id, status, went_well, change, "
                    "voices, created_at, updated_at) VALUES (1, 1, 'U', 'submitted', :e, :e, "
                    ":e, :now, :now)"
                ),
                {"now": now, "e": crypto.encrypt("")},
            )
            conn.execute(
                text(
                    "INSERT INTO debrief_actions (id, project_id, session_id, debrief_id, owner, "
                    "text, status, created_by, created_at) VALUES (1, 1, 1, 1, 'U', "
                    "'book the big room', 'open', 'U', :now)"
                ),
                {"now": now},
            )
        upgrade(empty_database_url, "0007")
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT text FROM debrief_actions")).scalar_one()
        assert "big room" not in raw and crypto.decrypt(raw) == "book the big room"
        with transaction(session_factory(engine)) as db:
            assert db.scalars(select(DebriefAction.text)).one() == "book the big room"
        command.downgrade(alembic_config(empty_database_url), "0005")
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT text FROM debrief_actions")).scalar_one()
        assert raw == "book the big room"
        upgrade(empty_database_url, "0007")  # and up again: encrypted once, not twice
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT text FROM debrief_actions")).scalar_one()
        assert crypto.decrypt(raw) == "book the big room"
    finally:
        engine.dispose()


def test_forget_me_says_a_named_wellbeing_contact_stays_one(
    factory: sessionmaker[Session], clock: FakeClock, projects: dict[str, int]
) -> None:
    with transaction(factory) as db:
        setup = db.get(CheckinSetup, projects["short"])
        assert setup is not None
        setup.contacts = ["UCARE"]
    privacy = Privacy(factory=factory, clock=clock)
    done = privacy.forget(team_id="T1", user_id="UCARE")
    assert done.erased == () and done.cancelled == 0
    assert any("named wellbeing contact" in line for line in done.remains)
    # and someone who is no contact is not told they are
    done = privacy.forget(team_id="T1", user_id="UP1")
    assert not any("wellbeing contact" in line for line in done.remains)
    assert done.cancelled == 3  # the next check-in owed in each of the three projects
    assert {e.feature for e in done.erased} >= {"Wellbeing check-ins", "Endings"}
    # another workspace's forget me touches nothing here
    assert privacy.forget(team_id="T2", user_id="UP1").erased == ()


def test_closing_a_project_states_its_own_retention_not_a_fixed_90_days(
    factory: sessionmaker[Session], clock: FakeClock, projects: dict[str, int]
) -> None:
    from cobot.services.endings import Endings

    with transaction(factory) as db:
        db.add(
            Member(
                project_id=projects["open"],
                user_id="UCOORD",
                role="coordinator",
                added_by="UC",
                added_at=START,
            )
        )
    endings = Endings(factory=factory, clock=clock)
    draft = endings.close_draft(team_id="T1", channel_id="Copen", user_id="UCOORD")
    assert draft.retention_days == 30
    closed = endings.close_project(team_id="T1", user_id="UCOORD", project_id=projects["open"])
    assert closed.retention_until == clock.now() + timedelta(days=30)
    # and the purge keeps to the date the coordinator was told
    privacy = Privacy(factory=factory, clock=clock)
    clock.advance(days=29)
    privacy.purge_expired(clock.now())
    assert counts(factory, projects["open"])["ending_feelings"] == 1
    clock.advance(days=1)
    privacy.purge_expired(clock.now())
    assert counts(factory, projects["open"])["ending_feelings"] == 0


def test_forget_me_after_the_close_unlinks_the_published_words_and_changes_no_figure(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    # taking one person's words out of a published word cloud would show which were theirs:
    # after the close, erasure unlinks their rows for good and every figure stays as it was
    from cobot.services.endings import evaluation_themes
    from cobot.services.endings import feelings_tally
    from cobot.storage.models import Ending

    with transaction(factory) as db:
        project_id = plant(db, "ended", retention=None, closed=False)
        for n, word in enumerate(("calm", "proud", "tired", "calm", "hopeful")):
            db.add(
                EndingFeeling(
                    project_id=project_id,
                    user_id=f"UX{n}",
                    role_group="project_team",
                    typed=word,
                    words=word,
                    boat="raft",
                    created_at=START,
                    updated_at=START,
                )
            )
            db.add(
                EndingEvaluation(
                    project_id=project_id,
                    user_id=f"UX{n}",
                    role_group="project_team",
                    answers='{"went_well": "being heard"}',
                    created_at=START,
                    updated_at=START,
                )
            )
        db.add(Ending(project_id=project_id, closed_at=START, updated_at=START))
    with transaction(factory) as db:
        before = (feelings_tally(db, project_id), evaluation_themes(db, project_id))

    done = Privacy(factory=factory, clock=clock).forget(team_id="T1", user_id="UP1")

    with transaction(factory) as db:
        assert (feelings_tally(db, project_id), evaluation_themes(db, project_id)) == before
        for model in (EndingFeeling, EndingEvaluation):
            owners = db.scalars(select(model.user_id).where(model.project_id == project_id))
            assert "UP1" not in set(owners)
        [unlinked] = db.scalars(
            select(EndingFeeling).where(
                EndingFeeling.project_id == project_id, EndingFeeling.user_id.like("forgotten-%")
            )
        ).all()
        assert unlinked.typed == "" and unlinked.words == "calm"  # what the cloud counts stays
        # the follow-up is no published figure: it goes
        assert db.scalars(select(EndingFollowUp).where(EndingFollowUp.user_id == "UP1")).all() == []
    assert any("word cloud" in line and "no longer linked to you" in line for line in done.remains)
