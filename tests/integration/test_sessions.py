"""The Sessions service on a real database: rules, UTC storage, reminders, announcements."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionInput
from cobot.services import debriefs
from cobot.services import deliveries
from cobot.services import feeds
from cobot.services import involvement
from cobot.services import reminders
from cobot.services import session_changes
from cobot.services.access import NoProjectHere
from cobot.services.access import NotCoordinator
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.ports import OutgoingMessage
from cobot.services.session_changes import SessionChanges
from cobot.services.sessions import Announcement
from cobot.services.sessions import SessionRejected
from cobot.services.sessions import Sessions
from cobot.services.sessions import session_kinds
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger
from tests.seeds import add_project

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"


@pytest.fixture
def factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    return factory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Every call the service makes to the reminders feature: (what, session id, revision)."""
    seen: list[tuple[str, int, int]] = []
    plan, cancel = reminders.plan_session, reminders.cancel_session

    def planning(
        session: Session, *, project: Project, cosession: CoSession, now: datetime
    ) -> None:
        seen.append(("plan", cosession.id, cosession.revision))
        plan(session, project=project, cosession=cosession, now=now)

    def cancelling(session: Session, *, cosession: CoSession, now: datetime) -> None:
        seen.append(("cancel", cosession.id, cosession.revision))
        cancel(session, cosession=cosession, now=now)

    monkeypatch.setattr(reminders, "plan_session", planning)
    monkeypatch.setattr(reminders, "cancel_session", cancelling)
    return seen


@pytest.fixture
def project_id(factory: sessionmaker[Session], clock: FakeClock) -> int:
    now = clock.now()
    people = [("UCOORD", "coordinator"), ("UF1", "practitioner"), ("UF2", "practitioner")]
    people += [(f"UP{i:02}", "participant") for i in range(14)]
    with transaction(factory) as session:
        return add_project(
            session,
            channel_id=CHANNEL,
            members=people,
            now=now,
            aims="Co-produce a framework",
            timezone="Europe/London",
            team_id=TEAM,
        ).id


def data(**overrides: object) -> SessionInput:
    values: dict[str, object] = {
        "title": "Kick-off",
        "day": date(2027, 3, 28),
        "start": time(10, 0),
        "duration": timedelta(hours=2),
        "facilitators": ("UF1", "UF2"),
        "participants": ("UP00", "UP01", "UF1"),
        "venue": "Town hall, room 3",
        "objectives": "Agree the group agreement",
    }
    values.update(overrides)
    return SessionInput(**values)  # type: ignore[arg-type]


def stored(factory: sessionmaker[Session], session_id: int) -> CoSession:
    with transaction(factory) as session:
        row = session.get(CoSession, session_id)
        assert row is not None
        row.people  # noqa: B018 - load while the DB session is open
        return row


def announcements(factory: sessionmaker[Session], session_id: int) -> list[Delivery]:
    with transaction(factory) as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.subject_type == "session_announcement")
                .where(Delivery.subject_id == session_id)
                .order_by(Delivery.id)
            )
        )


def test_add_stores_utc_times_people_and_owes_an_announcement(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    saved = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    assert saved.warnings == ()
    row = stored(factory, saved.view.id)
    # 28 March 2027: London springs forward at 01:00 UTC, so 10:00 local is 09:00 UTC
    assert row.starts_at == datetime(2027, 3, 28, 9, tzinfo=UTC)
    assert row.ends_at == datetime(2027, 3, 28, 11, tzinfo=UTC)
    assert (row.status, row.revision, row.created_by) == ("scheduled", 1, "UCOORD")
    assert row.user_ids("facilitator") == ["UF1", "UF2"]
    assert row.user_ids("participant") == ["UP00", "UP01"]  # a facilitator is not counted twice
    assert calls == [("plan", row.id, 1)]
    [announced] = announcements(factory, row.id)
    assert announced.idempotency_key == f"session:{row.id}:announced:r1"
    assert (announced.kind, announced.target, announced.due_at) == (
        "session_announced",
        CHANNEL,
        clock.now(),
    )


def test_rule_errors_refuse_with_fields_and_store_nothing(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    with pytest.raises(SessionRejected) as caught:
        sessions.add(
            team_id=TEAM,
            user_id="UCOORD",
            project_id=project_id,
            data=data(facilitators=("UF1",), start=time(1, 30)),
        )
    assert {p.field for p in caught.value.problems} == {"facilitators", "time"}
    assert "two facilitators" in caught.value.message
    with transaction(factory) as session:
        assert session.scalars(select(CoSession)).all() == []
        assert session.scalars(select(Delivery)).all() == []
    assert calls == []


def test_only_coordinators_add_and_the_one_liner_invites_everyone(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    with pytest.raises(NotCoordinator):
        sessions.add(team_id=TEAM, user_id="UF1", channel_id=CHANNEL, data=data())
    saved = sessions.add(
        team_id=TEAM,
        user_id="UCOORD",
        channel_id=CHANNEL,
        data=data(participants=()),
        default_participants=True,
    )
    assert len(saved.view.participants) == 14
    [warning] = saved.warnings
    assert warning.field == "participants" and "14 participants" in warning.message


def test_move_bumps_the_revision_replans_and_re_announces(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    first = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    moved = sessions.move(
        team_id=TEAM,
        user_id="UCOORD",
        session_id=first.view.id,
        day=date(2027, 4, 6),
        start=time(14, 0),
    )
    assert moved.moved and moved.view.revision == 2
    row = stored(factory, first.view.id)
    assert row.starts_at == datetime(2027, 4, 6, 13, tzinfo=UTC)
    assert row.ends_at == datetime(2027, 4, 6, 15, tzinfo=UTC)
    assert calls == [("plan", row.id, 1), ("plan", row.id, 2)]
    old, new = announcements(factory, row.id)
    assert old.status == "cancelled"  # never sent: the new one says the right thing
    assert new.idempotency_key == f"session:{row.id}:announced:r2"
    assert new.payload["change"] == "added"  # the channel never heard of the old time
    # a second weekly session is saved, with the squeezed steps named
    second = sessions.add(
        team_id=TEAM,
        user_id="UCOORD",
        project_id=project_id,
        data=data(title="Session 2", day=date(2027, 4, 13)),
    )
    [warning] = second.warnings
    assert "planning and amending the next session" in warning.message


def test_edit_without_a_time_change_keeps_the_revision(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    first = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    edited = sessions.edit(
        team_id=TEAM,
        user_id="UCOORD",
        session_id=first.view.id,
        data=data(venue="Online", facilitators=("UF2", "UP00"), participants=("UP01", "UP02")),
    )
    assert not edited.moved and edited.view.revision == 1
    row = stored(factory, first.view.id)
    assert row.venue == "Online"
    assert row.user_ids("facilitator") == ["UF2", "UP00"]
    assert row.user_ids("participant") == ["UP01", "UP02"]
    assert len(announcements(factory, row.id)) == 1


def test_cancel_marks_it_calls_reminders_and_refuses_others(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    first = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    with pytest.raises(NotCoordinator):
        sessions.cancel(team_id=TEAM, user_id="UP00", session_id=first.view.id)
    with pytest.raises(NoProjectHere):  # another workspace cannot reach it
        sessions.cancel(team_id="T0OTHER", user_id="UCOORD", session_id=first.view.id)
    assert stored(factory, first.view.id).status == "scheduled"
    clock.advance(minutes=5)
    sessions.cancel(team_id=TEAM, user_id="UCOORD", session_id=first.view.id)
    row = stored(factory, first.view.id)
    assert (row.status, row.cancelled_at) == ("cancelled", clock.now())
    assert calls[-1] == ("cancel", row.id, 1)
    # the announcement was never sent, so there is nothing to take back in the channel
    assert [a.status for a in announcements(factory, row.id)] == ["cancelled"]
    assert sessions.upcoming(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD").sessions == ()


def render(announcement: Announcement) -> OutgoingMessage:
    return OutgoingMessage(text=f"{announcement.change}: {announcement.session.title}")


def test_announcements_render_current_state_and_a_sent_one_is_taken_back(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, session_kinds(present=render))
    messenger = FakeMessenger()
    runner = DeliveryRunner(
        factory=factory, clock=clock, messenger=messenger, kinds=kinds, worker_id="w"
    )
    sessions = Sessions(factory=factory, clock=clock)
    first = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    sessions.edit(
        team_id=TEAM, user_id="UCOORD", session_id=first.view.id, data=data(title="Renamed")
    )
    [announced] = announcements(factory, first.view.id)
    assert runner.deliver(announced.id) == "sent"
    sessions.move(
        team_id=TEAM,
        user_id="UCOORD",
        session_id=first.view.id,
        day=date(2027, 4, 6),
        start=time(10),
    )
    _, moved = announcements(factory, first.view.id)
    assert moved.idempotency_key == f"session:{first.view.id}:announced:r2"
    assert runner.deliver(moved.id) == "sent"
    sessions.cancel(team_id=TEAM, user_id="UCOORD", session_id=first.view.id)
    *_, taken_back = announcements(factory, first.view.id)
    assert taken_back.idempotency_key == f"session:{first.view.id}:cancelled"
    assert runner.deliver(taken_back.id) == "sent"
    assert messenger.texts_to(CHANNEL) == [
        "added: Renamed",
        "moved: Renamed",
        "cancelled: Renamed",
    ]


def test_the_calendar_has_every_session_with_stable_uids(
    factory: sessionmaker[Session],
    clock: FakeClock,
    project_id: int,
    calls: list[tuple[str, int, int]],
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    kept = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    dropped = sessions.add(
        team_id=TEAM,
        user_id="UCOORD",
        project_id=project_id,
        data=data(title="Session 2", day=date(2027, 4, 20)),
    )
    sessions.cancel(team_id=TEAM, user_id="UCOORD", session_id=dropped.view.id)
    file = sessions.calendar(team_id=TEAM, channel_id=CHANNEL)
    assert (file.filename, file.sessions) == ("recovery-framework.ics", 2)
    parsed = Calendar.from_ical(file.content)
    assert str(parsed["version"]) == "2.0" and "cobot" in str(parsed["prodid"])
    events = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    first = events[f"cobot-session-{kept.view.id}@{TEAM}"]
    assert first.decoded("dtstart") == datetime(2027, 3, 28, 9, tzinfo=UTC)
    assert first.decoded("dtend") == datetime(2027, 3, 28, 11, tzinfo=UTC)
    assert str(first["summary"]) == "Kick-off" and str(first["location"]) == "Town hall, room 3"
    assert str(first["description"]) == "Agree the group agreement"
    assert (str(first["sequence"]), str(first["status"])) == ("1", "CONFIRMED")
    assert str(events[f"cobot-session-{dropped.view.id}@{TEAM}"]["status"]) == "CANCELLED"


# -- a session changed: the explicit fan-out ------------------------------------------


def test_the_standard_wiring_is_reminders_debriefs_calendar_sequences_then_the_register() -> None:
    assert session_changes.standard().subscribers == (
        reminders.on_session_changed,
        debriefs.on_session_changed,
        feeds.on_session_changed,
        involvement.on_session_changed,
    )


def test_each_change_is_published_once_with_what_changed(
    factory: sessionmaker[Session], clock: FakeClock, project_id: int
) -> None:
    heard: list[tuple[SessionChanged, str]] = []

    def listen(db: Session, event: SessionChanged, now: datetime) -> None:
        row = db.get(CoSession, event.session_id)
        assert row is not None and now == clock.now()
        heard.append((event, row.status))  # the subscriber sees the session as changed

    sessions = Sessions(factory=factory, clock=clock, changes=SessionChanges([listen]))
    saved = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    sid = saved.view.id
    sessions.move(
        team_id=TEAM, user_id="UCOORD", session_id=sid, day=date(2027, 4, 6), start=time(14)
    )
    sessions.edit(
        team_id=TEAM,
        user_id="UCOORD",
        session_id=sid,
        data=data(day=date(2027, 4, 6), start=time(14), title="Renamed"),
    )
    sessions.cancel(team_id=TEAM, user_id="UCOORD", session_id=sid)
    assert heard == [
        (SessionChanged(sid, SessionChange.ADDED), "scheduled"),
        (SessionChanged(sid, SessionChange.MOVED), "scheduled"),
        (SessionChanged(sid, SessionChange.EDITED), "scheduled"),
        (SessionChanged(sid, SessionChange.CANCELLED), "cancelled"),
    ]
    # nobody subscribed to reminders or debriefs here: nothing about the session was owed
    with transaction(factory) as db:
        owed = db.scalars(
            select(Delivery.kind).where(
                Delivery.subject_type == "session", Delivery.subject_id == sid
            )
        ).all()
    assert owed == []


def test_a_failing_subscriber_undoes_the_change_and_everything_planned_with_it(
    factory: sessionmaker[Session], clock: FakeClock, project_id: int
) -> None:
    sessions = Sessions(factory=factory, clock=clock)
    saved = sessions.add(team_id=TEAM, user_id="UCOORD", project_id=project_id, data=data())
    sid = saved.view.id
    with transaction(factory) as db:
        before = sorted(
            (d.idempotency_key, d.status, d.due_at)
            for d in db.scalars(select(Delivery).where(Delivery.subject_id == sid))
        )
    assert any(":reminder_day:" in key for key, _, _ in before)  # reminders were planned

    def broken(db: Session, event: SessionChanged, now: datetime) -> None:  # noqa: ARG001
        raise RuntimeError("the last subscriber failed")

    failing = session_changes.standard()
    failing.subscribe(broken)
    moving = Sessions(factory=factory, clock=clock, changes=failing)
    with pytest.raises(RuntimeError):
        moving.move(
            team_id=TEAM, user_id="UCOORD", session_id=sid, day=date(2027, 4, 6), start=time(14)
        )
    with transaction(factory) as db:
        row = db.get(CoSession, sid)
        assert row is not None and row.revision == 1
        after = sorted(
            (d.idempotency_key, d.status, d.due_at)
            for d in db.scalars(select(Delivery).where(Delivery.subject_id == sid))
        )
    assert after == before  # reminders and debriefs moved with the session, or not at all
