"""Reminders around sessions on a real database: what is owed when, moves, cancels, actions."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.services import deliveries
from cobot.services import reminders
from cobot.services.access import AccessError
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.reminders import KINDS as REMINDER_KINDS
from cobot.services.reminders import InvalidText
from cobot.services.reminders import NotAllowed
from cobot.services.reminders import Reminders
from cobot.slack.blocks.reminders import reminder_message
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Member
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson
from tests import seeds
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger

TEAM = "T0SANDBOX"
FACILITATORS = ("UF1", "UF2")
PARTICIPANTS = ("UP1", "UP2")
SWEEP_GRACE = timedelta(seconds=6)  # the sweep leaves fresher rows to their alarm


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def alarms(factory: sessionmaker[Session]) -> FakeAlarms:
    fake = FakeAlarms()
    deliveries.install_alarm_hook(factory, fake)
    return fake


@pytest.fixture
def runner(
    factory: sessionmaker[Session], clock: FakeClock, messenger: FakeMessenger, alarms: FakeAlarms
) -> DeliveryRunner:
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, deliveries.core_kinds())
    deliveries.register_all(kinds, reminders.reminder_kinds(present=reminder_message, clock=clock))
    return DeliveryRunner(
        factory=factory,
        clock=clock,
        messenger=messenger,
        kinds=kinds,
        worker_id="w1",
        alarms=alarms,
        lease=timedelta(seconds=30),
    )


@pytest.fixture
def service(factory: sessionmaker[Session], clock: FakeClock) -> Reminders:
    return Reminders(factory=factory, clock=clock)


def make_project(
    factory: sessionmaker[Session],
    clock: FakeClock,
    *,
    team: tuple[str, ...] = ("UTEAM",),
    lead_times: dict[str, int] | None = None,
    onboarded: tuple[str, ...] = PARTICIPANTS,
) -> int:
    people = [("UCOORD", "coordinator")]
    people += [(f, "practitioner") for f in FACILITATORS]
    people += [(p, "participant") for p in PARTICIPANTS]
    people += [(t, "project_team") for t in team]
    with transaction(factory) as db:
        project = seeds.add_project(
            db,
            channel_id="C0PROJ",
            members=people,
            now=clock.now(),
            name="Framework",
            aims="Co-produce a framework for mental-health services.",
            timezone="Europe/London",
            lead_times=lead_times,
            onboarded=onboarded,
        )
        return project.id


def add_session(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    starts_at: datetime,
    *,
    title: str = "Workshop",
    hours: float = 2,
) -> int:
    with transaction(factory) as db:
        row = seeds.add_session(
            db,
            db.get_one(Project, project_id),
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            people=[(f, "facilitator") for f in FACILITATORS]
            + [(p, "participant") for p in PARTICIPANTS],
            now=clock.now(),
            venue="Town hall, room 2",
            objectives="Agree the framework's values.",
        )
        return row.id


def owed(factory: sessionmaker[Session], session_id: int) -> dict[tuple[str, str], datetime]:
    """Scheduled reminders of a session (debriefs' own kinds aside): (kind, target) -> due."""
    with transaction(factory) as db:
        rows = db.scalars(
            select(Delivery).where(
                Delivery.subject_type == "session",
                Delivery.subject_id == session_id,
                Delivery.status == "scheduled",
                Delivery.kind.in_(REMINDER_KINDS),
            )
        ).all()
        return {(row.kind, row.target): row.due_at for row in rows}


def rows_of(factory: sessionmaker[Session], session_id: int) -> list[Delivery]:
    """The session's reminders (its debrief prompts are the debriefs feature's)."""
    with transaction(factory) as db:
        return list(
            db.scalars(
                select(Delivery)
                .where(
                    Delivery.subject_type == "session",
                    Delivery.subject_id == session_id,
                    Delivery.kind.in_(reminders.KINDS),
                )
                .order_by(Delivery.id)
            ).all()
        )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def run_until(
    runner: DeliveryRunner, clock: FakeClock, when: datetime, factory: sessionmaker[Session]
) -> None:
    """Let time pass until just after `when`, sending each delivery as it falls due."""
    for _ in range(1000):
        with transaction(factory) as db:
            due = db.scalar(
                select(Delivery.due_at)
                .where(
                    Delivery.status == "scheduled",
                    Delivery.due_at <= when,
                    Delivery.due_at > clock.current - SWEEP_GRACE,
                )
                .order_by(Delivery.due_at)
                .limit(1)
            )
        if due is None:
            break
        clock.current = due + SWEEP_GRACE
        runner.sweep()
    clock.current = max(clock.current, when + SWEEP_GRACE)
    runner.sweep()


def shown(messenger: FakeMessenger, target: str) -> list[str]:
    """Everything `target` was sent, text and blocks, one string per message."""
    return [m.text + json.dumps(m.blocks) for t, m in messenger.sent if t == target]


def test_each_reminder_is_owed_at_its_time_to_its_people(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    project_id = make_project(factory, clock)
    first = add_session(factory, clock, project_id, utc(2026, 3, 9, 10), title="One")
    second = add_session(factory, clock, project_id, utc(2026, 3, 16, 10), title="Two")
    expected = {
        ("plan_next", "UF1"): utc(2026, 3, 11, 12),  # "One" ended 12:00 + 2 days of feedback
        ("agenda_due", "UF1"): utc(2026, 3, 12, 10),  # a day before the 3-day deadline
        ("agenda_overdue", "UF1"): utc(2026, 3, 13, 10),
        ("agenda_overdue", "UCOORD"): utc(2026, 3, 13, 10),
        ("accessibility", "UF1"): utc(2026, 3, 15, 10),
        ("reminder_day", "UP1"): utc(2026, 3, 15, 10),
        ("reminder_hour", "UP1"): utc(2026, 3, 16, 9),
        ("notes_due", "UTEAM"): utc(2026, 3, 18, 12),
        ("notes_overdue", "UTEAM"): utc(2026, 3, 19, 12),
    }
    got = owed(factory, second)
    for key, due in expected.items():
        assert got[key] == due, key
    # one per person: both facilitators, both participants, the team; nobody else
    assert {t for k, t in got if k == "agenda_due"} == set(FACILITATORS)
    assert {t for k, t in got if k == "reminder_hour"} == set(PARTICIPANTS)
    assert {t for k, t in got if k == "agenda_overdue"} == {*FACILITATORS, "UCOORD"}
    assert {k for k, _t in got} == {k for k, _t in expected}  # no onboarding: not the first
    assert len(got) == 15
    first_owed = owed(factory, first)
    assert "plan_next" not in {k for k, _t in first_owed}  # nothing to plan after
    assert first_owed[("onboarding_incomplete", "UCOORD")] == utc(2026, 3, 6, 10)
    # every row has its alarm and escalates to the coordinator
    assert all(row.id in alarms.armed for row in rows_of(factory, second))
    assert {row.escalate_to for row in rows_of(factory, second)} == {"UCOORD"}
    assert all(
        row.payload == {"session_id": second, "revision": 1} for row in rows_of(factory, second)
    )


def test_day_counts_keep_the_local_time_across_the_clocks_going_forward(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    project_id = make_project(factory, clock)
    # Sunday 29 March 2026: London moves to BST at 01:00 UTC; 10:00 BST is 09:00 UTC
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 29, 9))
    got = owed(factory, session_id)
    # the day before at 10:00 local is still GMT: 10:00 UTC, 23 hours before the start
    assert got[("reminder_day", "UP1")] == utc(2026, 3, 28, 10)
    assert got[("accessibility", "UF1")] == utc(2026, 3, 28, 10)
    assert got[("agenda_overdue", "UF1")] == utc(2026, 3, 26, 10)  # Thursday 10:00 GMT
    assert got[("agenda_due", "UF1")] == utc(2026, 3, 25, 10)
    assert got[("reminder_hour", "UP1")] == utc(2026, 3, 29, 8)  # an hour is an hour
    assert got[("notes_due", "UTEAM")] == utc(2026, 3, 31, 11)  # Tuesday 12:00 BST


def test_moving_a_session_cancels_the_old_reminders_and_owes_new_ones_atomically(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    old_ids = {row.id for row in rows_of(factory, session_id)}

    def move(to: datetime) -> None:
        with transaction(factory) as db:
            row = db.get_one(CoSession, session_id)
            project = db.get_one(Project, project_id)
            row.starts_at, row.ends_at = to, to + timedelta(hours=2)
            row.revision += 1
            db.flush()
            reminders.plan_session(db, project=project, cosession=row, now=clock.now())
            if to.day == 1:
                raise RuntimeError("the rest of the move failed")

    with pytest.raises(RuntimeError):
        move(utc(2026, 4, 1, 10))
    # rolled back with the move: the old reminders still stand, nothing new exists
    assert {row.id for row in rows_of(factory, session_id)} == old_ids
    assert all(row.status == "scheduled" for row in rows_of(factory, session_id))

    move(utc(2026, 3, 23, 10))
    rows = rows_of(factory, session_id)
    old = [row for row in rows if row.id in old_ids]
    new = [row for row in rows if row.id not in old_ids]
    assert {row.status for row in old} == {"cancelled"}
    assert {row.status for row in new} == {"scheduled"}
    assert all(":r2:" in row.idempotency_key for row in new)
    got = owed(factory, session_id)
    assert got[("reminder_day", "UP1")] == utc(2026, 3, 22, 10)
    assert got[("reminder_hour", "UP2")] == utc(2026, 3, 23, 9)
    # the old times pass: nothing is sent for them
    run_until(runner, clock, utc(2026, 3, 16, 11), factory)
    assert [t for t, _m in messenger.sent if t.startswith("UP")] == []


def test_an_edit_that_keeps_the_time_keeps_the_reminders(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    before = {row.idempotency_key: row.id for row in rows_of(factory, session_id)}

    def replan(participants: tuple[str, ...]) -> None:
        with transaction(factory) as db:
            row = db.get_one(CoSession, session_id)
            row.objectives = "Something else."
            row.people = [p for p in row.people if p.role == "facilitator"] + [
                SessionPerson(user_id=p, role="participant") for p in participants
            ]
            db.flush()
            project = db.get_one(Project, project_id)
            reminders.plan_session(db, project=project, cosession=row, now=clock.now())

    replan(PARTICIPANTS)
    after = {row.idempotency_key: (row.id, row.status) for row in rows_of(factory, session_id)}
    assert {k: v[0] for k, v in after.items()} == before
    assert {v[1] for v in after.values()} == {"scheduled"}
    replan(("UP1",))  # UP2 taken off: their reminders go
    assert {t for (k, t) in owed(factory, session_id) if k == "reminder_day"} == {"UP1"}
    replan(PARTICIPANTS)  # and put back: the same reminders are owed again
    assert {t for (k, t) in owed(factory, session_id) if k == "reminder_day"} == set(PARTICIPANTS)
    assert len(rows_of(factory, session_id)) == len(before)


def test_changed_lead_times_move_the_reminders(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    with transaction(factory) as db:
        project = db.get_one(Project, project_id)
        project.lead_times = {"agenda_before": 5 * 86400}
        row = db.get_one(CoSession, session_id)
        reminders.plan_session(db, project=project, cosession=row, now=clock.now())
    got = owed(factory, session_id)
    assert got[("agenda_overdue", "UF2")] == utc(2026, 3, 11, 10)
    assert got[("agenda_due", "UF2")] == utc(2026, 3, 10, 10)


def test_a_session_planned_at_short_notice_owes_only_what_still_helps(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    project_id = make_project(factory, clock)
    now = clock.now()
    session_id = add_session(factory, clock, project_id, now + timedelta(hours=20))
    got = owed(factory, session_id)
    # the agenda and checklist are still worth asking for, and the participants told now
    assert got[("agenda_due", "UF1")] == now
    assert got[("accessibility", "UF1")] == now
    assert got[("reminder_day", "UP1")] == now
    assert got[("reminder_hour", "UP1")] == now + timedelta(hours=19)
    # a deadline that had passed before the session existed is nobody's fault
    assert ("agenda_overdue", "UF1") not in got
    assert ("agenda_overdue", "UCOORD") not in got
    # 30 minutes ahead: only the hour-before reminder, straight away, not the day-before
    soon = add_session(factory, clock, project_id, now + timedelta(minutes=30), title="Soon")
    kinds = {k for k, t in owed(factory, soon) if t == "UP1"}
    assert kinds == {"reminder_hour"}


def test_a_cancelled_sessions_reminders_never_arrive(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    with transaction(factory) as db:
        row = db.get_one(CoSession, session_id)
        row.status = "cancelled"
        reminders.cancel_session(db, cosession=row, now=clock.now())
    assert {row.status for row in rows_of(factory, session_id)} == {"cancelled"}
    run_until(runner, clock, utc(2026, 3, 25, 10), factory)
    assert messenger.sent == []


def test_cancelling_the_first_session_moves_onboarding_and_planning_to_the_next(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    project_id = make_project(factory, clock, onboarded=())
    first = add_session(factory, clock, project_id, utc(2026, 3, 9, 10), title="One")
    second = add_session(factory, clock, project_id, utc(2026, 3, 16, 10), title="Two")
    assert ("onboarding_incomplete", "UCOORD") not in owed(factory, second)
    assert ("plan_next", "UF1") in owed(factory, second)
    with transaction(factory) as db:
        row = db.get_one(CoSession, first)
        row.status = "cancelled"
        reminders.cancel_session(db, cosession=row, now=clock.now())
    got = owed(factory, second)
    assert got[("onboarding_incomplete", "UCOORD")] == utc(2026, 3, 13, 10)
    assert ("plan_next", "UF1") not in got  # no session before it any more
    assert owed(factory, first) == {}


def test_sharing_the_agenda_dms_each_participant_once_and_stops_its_nudges(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
    service: Reminders,
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    run_until(runner, clock, utc(2026, 3, 12, 10), factory)  # the agenda_due reminders go out
    [due] = shown(messenger, "UF1")
    assert "Share agenda" in due and "reminders_share_agenda" in due
    assert "Agree the framework" in due and "Co-produce a framework" in due  # objectives, aims
    with pytest.raises(NotAllowed):
        service.share_agenda(team_id=TEAM, user_id="UP1", session_id=session_id, text="x")
    with pytest.raises(AccessError):
        service.share_agenda(team_id="T0OTHER", user_id="UF1", session_id=session_id, text="x")
    with pytest.raises(InvalidText):
        service.share_agenda(team_id=TEAM, user_id="UF1", session_id=session_id, text="  ")
    shared = service.share_agenda(
        team_id=TEAM, user_id="UF1", session_id=session_id, text="1. Welcome\n2. Values"
    )
    assert (shared.first_time, shared.messaged, shared.recipients) == (True, 2, 2)
    again = service.share_agenda(
        team_id=TEAM, user_id="UF2", session_id=session_id, text="1. Welcome\n2. Values, v2"
    )
    assert (again.first_time, again.messaged) == (False, 0)
    run_until(runner, clock, utc(2026, 3, 16, 12), factory)
    for participant in PARTICIPANTS:
        messages = shown(messenger, participant)
        agendas = [m for m in messages if "shared the agenda" in m]
        assert len(agendas) == 1, participant
        assert "<@UF1>" in agendas[0] and "Values, v2" in agendas[0]
        assert "Co-produce a framework" in agendas[0]  # the aims at the top
        # the day-before reminder carries the agenda too
        assert any("A reminder" in m and "Values, v2" in m for m in messages)
    # the overdue nudge and the coordinator's note rendered nothing
    rows = rows_of(factory, session_id)
    overdue = [row for row in rows if row.kind == "agenda_overdue"]
    assert {row.status for row in overdue} == {"skipped"}
    assert shown(messenger, "UCOORD") == []
    assert len(shown(messenger, "UF1")) == 2  # agenda_due and the accessibility checklist
    with transaction(factory) as db:
        row = db.get_one(CoSession, session_id)
        assert (row.agenda_shared_by, row.agenda_text) == ("UF1", "1. Welcome\n2. Values, v2")
        assert row.agenda_shared_at == utc(2026, 3, 12, 10) + SWEEP_GRACE


def test_an_unshared_agenda_nudges_facilitators_and_tells_the_coordinator(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    run_until(runner, clock, utc(2026, 3, 13, 10), factory)
    nudge = shown(messenger, "UF2")[-1]
    assert "has not been shared yet" in nudge and "reminders_share_agenda" in nudge
    [note] = shown(messenger, "UCOORD")
    assert "have been nudged" in note and "<@UF1>" in note
    assert "reminders_share_agenda" not in note  # the coordinator is not a facilitator


def test_posting_notes_sends_them_once_and_stops_the_nudges(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
    service: Reminders,
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    with pytest.raises(AccessError, match="has not happened yet"):
        service.notes_form(team_id=TEAM, user_id="UTEAM", session_id=session_id)
    run_until(runner, clock, utc(2026, 3, 18, 12), factory)
    [nudge] = shown(messenger, "UTEAM")
    assert "reminders_post_notes" in nudge and "notes from" in nudge.lower()
    for outsider in ("UP1", "UF1"):
        with pytest.raises(NotAllowed):
            service.post_notes(team_id=TEAM, user_id=outsider, session_id=session_id, text="x")
    posted = service.post_notes(
        team_id=TEAM, user_id="UTEAM", session_id=session_id, text="We agreed five values."
    )
    assert (posted.first_time, posted.messaged) == (True, 2)
    service.post_notes(team_id=TEAM, user_id="UCOORD", session_id=session_id, text="Edited.")
    run_until(runner, clock, utc(2026, 3, 21, 12), factory)
    for participant in PARTICIPANTS:
        notes = [m for m in shown(messenger, participant) if "The notes from" in m]
        assert len(notes) == 1 and "Edited." in notes[0] and "<@UTEAM>" in notes[0]
    assert len(shown(messenger, "UTEAM")) == 1  # the second nudge was skipped
    [overdue] = [row for row in rows_of(factory, session_id) if row.kind == "notes_overdue"]
    assert (overdue.status, overdue.last_error) == ("skipped", "no longer needed")


def test_notes_nudge_again_once_then_stop(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock, team=())  # no project team: the coordinators
    add_session(factory, clock, project_id, utc(2026, 3, 16, 10))
    run_until(runner, clock, utc(2026, 3, 30, 12), factory)
    notes = [m for m in shown(messenger, "UCOORD") if "notes" in m.lower()]
    assert len(notes) == 2 and "last reminder" in notes[1]


def test_onboarding_reminder_lists_only_unfinished_items(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock, onboarded=("UP1",))
    add_session(factory, clock, project_id, utc(2026, 3, 9, 10))
    with transaction(factory) as db:
        member = db.scalars(select(Member).where(Member.user_id == "UP2")).one()
        member.training_done_at = clock.now()
    run_until(runner, clock, utc(2026, 3, 6, 10), factory)
    [message] = [m for m in shown(messenger, "UCOORD") if "Onboarding" in m]
    assert "<@UP2>" in message and "<@UP1>" not in message
    assert "one-to-one briefing call" in message and "access needs noted" in message
    assert "co-production training" not in message.split("Still to do")[1]


def test_onboarding_reminder_renders_nothing_when_all_is_done(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock, onboarded=("UP1",))
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 9, 10))
    with transaction(factory) as db:
        member = db.scalars(select(Member).where(Member.user_id == "UP2")).one()
        member.briefing_done_at = member.training_done_at = clock.now()
        member.access_needs_done_at = clock.now()
    run_until(runner, clock, utc(2026, 3, 6, 10), factory)
    assert [m for m in shown(messenger, "UCOORD") if "Onboarding" in m] == []
    [row] = [r for r in rows_of(factory, session_id) if r.kind == "onboarding_incomplete"]
    assert row.status == "skipped"


def test_ticking_the_checklist_and_the_plan_stop_their_reminders(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
    service: Reminders,
) -> None:
    project_id = make_project(factory, clock)
    add_session(factory, clock, project_id, utc(2026, 3, 9, 10), title="One")
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 16, 10), title="Two")
    with pytest.raises(NotAllowed):
        service.accessibility_done(team_id=TEAM, user_id="UP1", session_id=session_id)
    with pytest.raises(NotAllowed):
        service.plan_done(team_id=TEAM, user_id="UCOORD", session_id=session_id)
    first = service.accessibility_done(team_id=TEAM, user_id="UF1", session_id=session_id)
    second = service.accessibility_done(team_id=TEAM, user_id="UF2", session_id=session_id)
    assert (first.already, second.already, second.done_at) == (False, True, first.done_at)
    service.plan_done(team_id=TEAM, user_id="UF2", session_id=session_id)
    run_until(runner, clock, utc(2026, 3, 16, 9, 30), factory)
    sent_kinds = {row.kind for row in rows_of(factory, session_id) if row.status == "sent"}
    assert "accessibility" not in sent_kinds and "plan_next" not in sent_kinds
    assert {"agenda_due", "reminder_day", "reminder_hour"} <= sent_kinds


def test_an_hour_before_reminder_after_the_start_is_skipped_and_the_coordinator_told(
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    session_id = add_session(factory, clock, project_id, utc(2026, 3, 3, 10))
    clock.current = utc(2026, 3, 3, 10, 5)  # cobot was down through the hour before
    hours = [row for row in rows_of(factory, session_id) if row.kind == "reminder_hour"]
    for row in hours:
        assert runner.deliver(row.id) is None
    after = {row.id: row for row in rows_of(factory, session_id)}
    assert {after[row.id].last_error for row in hours} == {"the session had already started"}
    run_until(runner, clock, clock.now(), factory)
    problems = [m for m in shown(messenger, "UCOORD") if "reminder hour" in m]
    assert len(problems) == 2
    assert [m for t, m in messenger.sent if t.startswith("UP")] == []
