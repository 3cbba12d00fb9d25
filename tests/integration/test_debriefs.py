"""Debriefs on a real database: what is planned, moved and cancelled; summary, feedback, actions."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.debriefs import DebriefInput
from cobot.domain.debriefs import FeedbackInput
from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.services import debriefs
from cobot.services import deliveries
from cobot.services import session_changes
from cobot.services.access import AccessError
from cobot.services.debriefs import DebriefClosed
from cobot.services.debriefs import Debriefs
from cobot.services.debriefs import FormRejected
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.slack.blocks.debriefs import debrief_message
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from tests import seeds
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger

TEAM = "T0SANDBOX"
FACILITATORS = ("UF1", "UF2")
PARTICIPANTS = ("UP1", "UP2", "UP3")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def runner(
    factory: sessionmaker[Session], clock: FakeClock, messenger: FakeMessenger
) -> DeliveryRunner:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, deliveries.core_kinds())
    deliveries.register_all(kinds, debriefs.debrief_kinds(present=debrief_message, clock=clock))
    return DeliveryRunner(
        factory=factory,
        clock=clock,
        messenger=messenger,
        kinds=kinds,
        worker_id="w1",
        lease=timedelta(seconds=30),
        sweep_grace=timedelta(0),
    )


@pytest.fixture
def service(factory: sessionmaker[Session], clock: FakeClock) -> Debriefs:
    return Debriefs(factory=factory, clock=clock)


@pytest.fixture
def project_id(factory: sessionmaker[Session], clock: FakeClock) -> int:
    people = [("UCOORD", "coordinator"), ("UTEAM", "project_team")]
    people += [(f, "practitioner") for f in FACILITATORS]
    people += [(p, "participant") for p in PARTICIPANTS]
    with transaction(factory) as db:
        project = seeds.add_project(
            db,
            channel_id="C0PROJ",
            members=people,
            now=clock.now(),
            name="Framework",
            timezone="Europe/London",
        )
        return project.id


def add_session(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    starts_at: datetime,
    kind: str = "workshop",
) -> int:
    with transaction(factory) as db:
        row = seeds.add_session(
            db,
            db.get_one(Project, project_id),
            kind=kind,
            title=f"Session at {starts_at:%d %H:%M}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            people=[(u, "facilitator") for u in FACILITATORS]
            + [(u, "participant") for u in PARTICIPANTS],
            now=clock.now(),
        )
        return row.id


def ledger(
    factory: sessionmaker[Session], session_id: int, kinds: tuple[str, ...] = debriefs.SESSION_KINDS
) -> list[tuple[str, str, str, datetime, str]]:
    with transaction(factory) as db:
        rows = db.scalars(
            select(Delivery)
            .where(Delivery.subject_id == session_id, Delivery.kind.in_(kinds))
            .order_by(Delivery.id)
        ).all()
        return [(r.idempotency_key, r.kind, r.target, r.due_at, r.status) for r in rows]


def run_due(runner: DeliveryRunner) -> None:
    for _ in range(3):
        runner.sweep()


def test_planning_is_idempotent_and_a_moved_session_moves_its_debriefs(
    factory: sessionmaker[Session], clock: FakeClock, project_id: int
) -> None:
    start = clock.now() + timedelta(days=7)
    session_id = add_session(factory, clock, project_id, start)
    planned = ledger(factory, session_id)
    by_kind = {(kind, target) for _, kind, target, _, _ in planned}
    end = start + timedelta(hours=2)
    assert {("debrief_prompt", u) for u in ("UF1", "UF2", "UTEAM")} <= by_kind
    assert {("feedback_ask", u) for u in PARTICIPANTS} <= by_kind
    assert {("debrief_summary", u) for u in ("UF1", "UF2", "UCOORD")} <= by_kind
    due = {kind: d for _, kind, _, d, _ in planned}
    assert due["debrief_prompt"] == end and due["debrief_summary"] == end + timedelta(days=1)
    assert due["feedback_digest"] == end + timedelta(days=2)
    assert len([p for p in planned if p[1] == "debrief_nudge"]) == 6  # two each

    with transaction(factory) as db:
        project = db.get(Project, project_id)
        row = db.get(CoSession, session_id)
        assert project is not None and row is not None
        session_changes.standard().publish(
            db, SessionChanged(row.id, SessionChange.EDITED), now=clock.now()
        )
    assert ledger(factory, session_id) == planned

    with transaction(factory) as db:
        project = db.get(Project, project_id)
        row = db.get(CoSession, session_id)
        assert project is not None and row is not None
        row.starts_at += timedelta(days=1)
        row.ends_at += timedelta(days=1)
        row.revision = 2
        session_changes.standard().publish(
            db, SessionChanged(row.id, SessionChange.MOVED), now=clock.now()
        )
    after = ledger(factory, session_id)
    assert {s for k, _, _, _, s in after if ":r1:" in k} == {"cancelled"}
    assert {s for k, _, _, _, s in after if ":r2:" in k} == {"scheduled"}

    with transaction(factory) as db:
        row = db.get(CoSession, session_id)
        assert row is not None
        row.status = "cancelled"
        session_changes.standard().publish(
            db, SessionChanged(row.id, SessionChange.CANCELLED), now=clock.now()
        )
    assert {s for *_, s in ledger(factory, session_id)} == {"cancelled"}


def test_summary_once_when_all_facilitators_debrief_and_feelings_stay_private(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
    service: Debriefs,
) -> None:
    start = clock.now() + timedelta(hours=1)
    session_id = add_session(factory, clock, project_id, start)
    next_id = add_session(factory, clock, project_id, start + timedelta(days=14))
    with pytest.raises(AccessError, match="has not finished"):
        service.form(team_id=TEAM, user_id="UF1", session_id=session_id)
    clock.advance(hours=3, minutes=1)
    run_due(runner)
    assert any("Debrief for" in t for t in messenger.texts_to("UF1"))
    # participant feedback waits (up to 2 hours) for the attendance register; none is saved
    assert not any("Thank you for coming" in t for t in messenger.texts_to("UP1"))
    clock.advance(hours=2)
    run_due(runner)
    assert any("Thank you for coming" in t for t in messenger.texts_to("UP1"))

    with pytest.raises(FormRejected) as refused:
        service.submit(
            team_id=TEAM,
            user_id="UF1",
            session_id=session_id,
            data=DebriefInput(dev=(("UP1", "x"),)),
        )
    assert "dev_to_1" in refused.value.errors
    with pytest.raises(AccessError, match="Only the facilitators"):
        service.submit(team_id=TEAM, user_id="UP1", session_id=session_id, data=DebriefInput())
    with pytest.raises(AccessError):
        service.form(team_id="TOTHER", user_id="UF1", session_id=session_id)

    saved = service.submit(
        team_id=TEAM,
        user_id="UF1",
        session_id=session_id,
        data=DebriefInput(
            went_well="Clear aims",
            dev=(("UF2", "Lovely pacing"),),
            feeling=2,
            feeling_words="Drained",
            actions=(("UTEAM", "Book a bigger room"),),
        ),
    )
    assert not saved.summary_now and saved.actions == 1
    saved = service.submit(
        team_id=TEAM, user_id="UF2", session_id=session_id, data=DebriefInput(change="More breaks")
    )
    assert saved.summary_now
    run_due(runner)
    summaries = [(t, m) for t, m in messenger.sent if "Debrief summary" in m.text]
    assert sorted(t for t, _ in summaries) == ["UCOORD", "UF1", "UF2"]
    body = json.dumps([m.blocks for _, m in summaries])
    assert "Clear aims" in body and "More breaks" in body and "Book a bigger room" in body
    assert "Drained" not in body and "Lovely pacing" not in body
    assert [t for t, m in messenger.sent if "Lovely pacing" in json.dumps(m.blocks)] == ["UF2"]
    assert not [m for _, m in messenger.sent if "Drained" in json.dumps(m.blocks)]
    # stored encrypted: the raw column is not the plain text
    with factory() as db:
        raw = db.connection().exec_driver_sql("SELECT feeling_words FROM debriefs").scalars().all()
        assert "Drained" not in json.dumps(raw)
        assert db.scalars(select(Debrief.feeling_words)).all().count("Drained") == 1

    with pytest.raises(DebriefClosed):
        service.form(team_id=TEAM, user_id="UF1", session_id=session_id)
    sent_before = len(messenger.sent)
    run_due(runner)
    assert len(messenger.sent) == sent_before  # nothing twice

    # the action is reminded to its owner the day before the next session, until done
    actions = ledger(factory, next_id, ("debrief_action_reminder",))
    [(_, _, owner, due, status)] = actions
    assert owner == "UTEAM" and status == "scheduled"
    assert due == start + timedelta(days=13)
    listing = service.actions(team_id=TEAM, channel_id="C0PROJ", user_id="UF1")
    assert listing.can_tick == ()
    with pytest.raises(AccessError, match="Only <@UTEAM>"):
        service.action_done(team_id=TEAM, user_id="UF1", action_id=listing.actions[0].id)
    service.action_done(team_id=TEAM, user_id="UCOORD", action_id=listing.actions[0].id)
    assert [s for *_, s in ledger(factory, next_id, ("debrief_action_reminder",))] == ["cancelled"]


def test_feedback_digest_shows_a_spread_only_from_three_and_closes(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
    service: Debriefs,
) -> None:
    start = clock.now() + timedelta(hours=1)
    session_id = add_session(factory, clock, project_id, start)
    clock.advance(hours=3, minutes=1)
    run_due(runner)
    for user, score in (("UP1", 5), ("UP2", 4)):
        service.give_feedback(
            team_id=TEAM,
            user_id=user,
            session_id=session_id,
            data=FeedbackInput(heard=score, keep=f"keep {user}"),
        )
    with pytest.raises(FormRejected):
        service.give_feedback(
            team_id=TEAM, user_id="UP3", session_id=session_id, data=FeedbackInput()
        )
    with pytest.raises(AccessError, match="Only the participants"):
        service.give_feedback(
            team_id=TEAM, user_id="UF1", session_id=session_id, data=FeedbackInput(heard=3)
        )
    clock.advance(days=2)
    run_due(runner)
    [digest] = [m for t, m in messenger.sent if t == "UF1" and "Participant feedback" in m.text]
    body = json.dumps(digest.blocks, ensure_ascii=False)
    assert "2 people answered; too few to show the spread" in body and "█" not in body
    assert "keep UP1" in body and "<@UP1>" not in body
    with pytest.raises(AccessError, match="already gone to the facilitators"):
        service.give_feedback(
            team_id=TEAM, user_id="UP3", session_id=session_id, data=FeedbackInput(heard=1)
        )


def test_reflective_practice_reminder_carries_collated_debriefs(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
    service: Debriefs,
) -> None:
    start = clock.now() + timedelta(hours=1)
    session_id = add_session(factory, clock, project_id, start)
    reflective = add_session(factory, clock, project_id, start + timedelta(days=5), "reflective")
    assert {k for _, k, *_ in ledger(factory, reflective)} == {"reflective_reminder"}
    clock.advance(hours=3, minutes=1)
    for user in FACILITATORS:
        service.submit(
            team_id=TEAM,
            user_id=user,
            session_id=session_id,
            data=DebriefInput(went_well=f"well {user}", feeling=1, feeling_words="secret"),
        )
    run_due(runner)
    clock.advance(days=4)
    run_due(runner)
    notes = [m for t, m in messenger.sent if t == "UF1" and "Reflective practice" in m.text]
    assert len(notes) == 1
    body = json.dumps(notes[0].blocks)
    assert "well UF1" in body and "well UF2" in body and "secret" not in body
