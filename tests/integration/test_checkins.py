"""Check-ins on a real database: consent, the chain in each person's zone, DST, travel, pause,
support, contact, aggregates, erasure and retention."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.services import checkins as svc
from cobot.services import deliveries
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.access import NotCoordinator
from cobot.services.checkins import Checkins
from cobot.services.checkins import SettingsInput
from cobot.services.checkins import SetupInput
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.slack.blocks.checkins import answered_message
from cobot.slack.blocks.checkins import checkin_message
from cobot.slack.blocks.checkins import contact_message
from cobot.storage.db import transaction
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinContactRequest
from cobot.storage.models import CheckinPerson
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from tests import seeds
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
PARTICIPANTS = ("UP1", "UP2", "UP3", "UP4")
PRACTITIONERS = ("UF1", "UF2", "UF3")
SUPPORT = "Talk to Sam (peer support, 0123 456). Samaritans: 116 123."
CHECKIN_TABLES = ("checkin_people", "checkin_answers", "checkin_contact_requests")


@dataclass
class FakeDirectory:
    zones: dict[str, str] = field(default_factory=dict)

    def timezone(self, user_id: str) -> str | None:
        return self.zones.get(user_id, "Europe/London")


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2 March 2026, 08:00 UTC (London is on GMT)
    return FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


@pytest.fixture
def service(factory: sessionmaker[Session], clock: FakeClock, directory: FakeDirectory) -> Checkins:
    return Checkins(factory=factory, clock=clock, directory=directory)


@pytest.fixture
def runner(
    factory: sessionmaker[Session], clock: FakeClock, messenger: FakeMessenger, service: Checkins
) -> DeliveryRunner:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, deliveries.core_kinds())
    deliveries.register_all(
        kinds,
        svc.checkin_kinds(
            service=service, present=checkin_message, present_contact=contact_message
        ),
    )
    return DeliveryRunner(
        factory=factory, clock=clock, messenger=messenger, kinds=kinds, worker_id="w1"
    )


def make_project(factory: sessionmaker[Session], clock: FakeClock) -> int:
    people = [("UCOORD", "coordinator"), ("USTEER", "steering")]
    people += [(p, "participant") for p in PARTICIPANTS]
    people += [(f, "practitioner") for f in PRACTITIONERS]
    with transaction(factory) as db:
        project = seeds.add_project(
            db,
            channel_id=CHANNEL,
            members=people,
            now=clock.now(),
            name="Framework",
            timezone="Europe/London",
        )
        return project.id


def switch_on(service: Checkins, project_id: int, *, contacts: tuple[str, ...] = ("UCARE",)) -> int:
    saved = service.save_setup(
        team_id=TEAM,
        user_id="UCOORD",
        project_id=project_id,
        choice=SetupInput(
            enabled=True,
            roles=("participant", "practitioner", "steering", "coordinator"),
            rhythm="weekly",
            support_text=SUPPORT,
            retention_text="90",
        ),
    )
    service.set_contacts(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD", contacts=contacts)
    return saved.invited


def pending(factory: sessionmaker[Session], user: str) -> list[Delivery]:
    with transaction(factory) as db:
        return list(
            db.scalars(
                select(Delivery).where(
                    Delivery.kind == svc.CHECKIN,
                    Delivery.target == user,
                    Delivery.status == "scheduled",
                )
            )
        )


def send_next(
    factory: sessionmaker[Session], clock: FakeClock, runner: DeliveryRunner, user: str
) -> Delivery:
    [row] = pending(factory, user)
    clock.current = max(clock.current, row.due_at)
    assert runner.deliver(row.id) is not None
    return row


def agree(
    service: Checkins,
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    user: str,
) -> int:
    """Send the consent request to `user` and agree; returns that check-in's delivery id."""
    row = send_next(factory, clock, runner, user)
    service.consent(team_id=TEAM, user_id=user, delivery_id=row.id, agree=True)
    return row.id


def count_rows(factory: sessionmaker[Session], table: str, user: str) -> int:
    with transaction(factory) as db:
        if table == "checkin_people":
            sql = "SELECT count(*) FROM checkin_people WHERE user_id = :u"
        else:
            sql = (
                f"SELECT count(*) FROM {table} t JOIN checkin_people p ON p.id = t.person_id "
                "WHERE p.user_id = :u"
            )
        return int(db.execute(text(sql), {"u": user}).scalar_one())


def test_consent_comes_first_and_nothing_is_collected_before_it(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    assert switch_on(service, project_id) == 9
    [row] = pending(factory, "UP1")
    # 10:00 in London on the first working day after switching on
    assert row.due_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert row.payload == {"project_id": project_id}
    send_next(factory, clock, runner, "UP1")
    [message] = [m for t, m in messenger.sent if t == "UP1"]
    shown = json.dumps(message.blocks)
    assert "What is collected" in shown and "Who sees what" in shown and "I agree" in shown
    assert "How are you feeling" not in shown
    with pytest.raises(AccessError):
        service.answer(team_id=TEAM, user_id="UP1", delivery_id=row.id, mood=4)
    assert count_rows(factory, "checkin_answers", "UP1") == 0
    # asked once: no further check-in is planned until the person answers
    assert pending(factory, "UP1") == []

    result = service.consent(team_id=TEAM, user_id="UP1", delivery_id=row.id, agree=True)
    assert result.agreed and result.prompt is not None and not result.prompt.consent
    service.answer(team_id=TEAM, user_id="UP1", delivery_id=row.id, mood=4)
    assert count_rows(factory, "checkin_answers", "UP1") == 1
    # and the next one is a week later, 10:00 London
    [following] = pending(factory, "UP1")
    assert following.due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def test_no_thanks_stops_everything(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    row = send_next(factory, clock, runner, "UP2")
    service.consent(team_id=TEAM, user_id="UP2", delivery_id=row.id, agree=False)
    assert pending(factory, "UP2") == []
    with pytest.raises(AccessError):
        service.answer(team_id=TEAM, user_id="UP2", delivery_id=row.id, mood=3)


def test_someone_else_cannot_answer_your_checkin(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    with pytest.raises(AccessError):
        service.answer(team_id=TEAM, user_id="UP2", delivery_id=delivery_id, mood=1)
    with pytest.raises(AccessError):
        service.answer(team_id="TOTHER", user_id="UP1", delivery_id=delivery_id, mood=1)


@pytest.mark.parametrize(
    ("start", "expected_utc"),
    [
        # spring forward on 29 March: 10:00 BST is 09:00 UTC
        (datetime(2026, 3, 23, 8, 0, tzinfo=UTC), datetime(2026, 3, 30, 9, 0, tzinfo=UTC)),
        # fall back on 25 October: 10:00 GMT is 10:00 UTC
        (datetime(2026, 10, 19, 7, 0, tzinfo=UTC), datetime(2026, 10, 26, 10, 0, tzinfo=UTC)),
    ],
)
def test_the_next_checkin_stays_at_10_local_across_a_dst_change(
    factory: sessionmaker[Session],
    service: Checkins,
    runner: DeliveryRunner,
    clock: FakeClock,
    start: datetime,
    expected_utc: datetime,
) -> None:
    clock.current = start
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    agree(service, factory, clock, runner, "UP1")
    [nxt] = pending(factory, "UP1")
    assert nxt.due_at == expected_utc
    assert nxt.due_at.astimezone(ZoneInfo("Europe/London")).hour == 10
    # and sending it plans the one after, still at 10:00 local
    send_next(factory, clock, runner, "UP1")
    [after] = pending(factory, "UP1")
    assert after.due_at.astimezone(ZoneInfo("Europe/London")).hour == 10
    assert after.due_at - nxt.due_at == timedelta(days=7)


def test_travel_a_changed_slack_zone_moves_the_next_checkin(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    directory: FakeDirectory,
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    agree(service, factory, clock, runner, "UP1")
    [before] = pending(factory, "UP1")
    assert before.due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    directory.zones["UP1"] = "America/New_York"
    service.refresh(clock.now())
    [moved] = pending(factory, "UP1")
    assert moved.id == before.id  # the same check-in, moved (one future check-in per person)
    assert moved.due_at.astimezone(ZoneInfo("America/New_York")).hour == 10
    assert moved.due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_a_pause_is_honoured_and_check_ins_resume_on_the_day_back(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    planned = service.pause(
        team_id=TEAM, user_id="UP1", delivery_id=delivery_id, until=date(2026, 3, 25)
    )
    assert planned.next_at == datetime(2026, 3, 25, 10, 0, tzinfo=UTC)
    sent_before = len(messenger.texts_to("UP1"))
    clock.advance(minutes=1)
    # three weeks pass with the sweep running every day: nothing is sent during the pause
    for _ in range(24):
        clock.advance(days=1)
        runner.sweep()
        if clock.now() < datetime(2026, 3, 25, 10, 0, tzinfo=UTC):
            assert len(messenger.texts_to("UP1")) == sent_before
    assert len(messenger.texts_to("UP1")) == sent_before + 1


def test_a_pause_saved_after_a_checkin_was_planned_is_still_honoured_at_send_time(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    agree(service, factory, clock, runner, "UP1")
    [row] = pending(factory, "UP1")
    with transaction(factory) as db:  # as if the pause were set without re-planning
        person = db.scalar(select(CheckinPerson).where(CheckinPerson.user_id == "UP1"))
        assert person is not None
        person.paused_until = date(2026, 3, 20)
    sent = len(messenger.sent)
    clock.current = row.due_at
    runner.deliver(row.id)
    with transaction(factory) as db:
        skipped = db.get(Delivery, row.id)
        assert skipped is not None and skipped.status == "skipped"
    assert len(messenger.sent) == sent
    [nxt] = pending(factory, "UP1")
    assert nxt.due_at.date() == date(2026, 3, 20)


def test_not_today_asks_again_on_the_next_working_day(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    planned = service.snooze(team_id=TEAM, user_id="UP1", delivery_id=delivery_id)
    assert planned.next_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_settings_refuse_night_times_and_move_the_next_checkin(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    agree(service, factory, clock, runner, "UP1")
    night = SettingsInput("03:00", (0, 1, 2, 3, 4), False, None, True)
    with pytest.raises(InvalidFields) as refused:
        service.save_settings(team_id=TEAM, user_id="UP1", project_id=project_id, choice=night)
    assert "night" in refused.value.errors["time"]
    found = service.save_settings(
        team_id=TEAM,
        user_id="UP1",
        project_id=project_id,
        choice=SettingsInput("14:30", (2,), False, None, True),
    )
    assert found.next_at == datetime(2026, 3, 11, 14, 30, tzinfo=UTC)  # a Wednesday
    assert len(pending(factory, "UP1")) == 1
    stopped = service.save_settings(
        team_id=TEAM,
        user_id="UP1",
        project_id=project_id,
        choice=SettingsInput("14:30", (2,), False, None, False),
    )
    assert stopped.status == "stopped" and pending(factory, "UP1") == []


def test_a_low_answer_gets_the_support_information_privately(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    sent = len(messenger.sent)
    good = service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=4)
    assert not good.low and good.support == ""
    low = service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=1)
    assert low.low and low.support == SUPPORT
    shown = json.dumps(answered_message(low).blocks)
    assert "Talk to Sam" in shown and "Would you like someone to get in touch?" in shown
    assert len(messenger.sent) == sent  # nobody else was told anything


def test_three_low_answers_in_a_row_are_a_streak(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    first = agree(service, factory, clock, runner, "UP1")
    answers = [service.answer(team_id=TEAM, user_id="UP1", delivery_id=first, mood=2)]
    for _ in range(2):
        row = send_next(factory, clock, runner, "UP1")
        answers.append(service.answer(team_id=TEAM, user_id="UP1", delivery_id=row.id, mood=2))
    assert [a.streak for a in answers] == [False, False, True]
    assert "for a while" in json.dumps(answered_message(answers[-1]).blocks)


def test_the_contact_dm_holds_only_what_was_shared(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id, contacts=("UCARE", "UCARE2"))
    delivery_id = agree(service, factory, clock, runner, "UP1")
    service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=2)
    service.save_note(
        team_id=TEAM, user_id="UP1", delivery_id=delivery_id, note="private thoughts xyz"
    )
    result = service.request_contact(
        team_id=TEAM,
        user_id="UP1",
        delivery_id=delivery_id,
        share_mood=True,
        share_note=False,
        message="Afternoons are best",
    )
    assert result.contacts == ("UCARE", "UCARE2")
    with transaction(factory) as db:
        rows = db.scalars(select(Delivery).where(Delivery.kind == svc.CONTACT)).all()
        assert all(set(r.payload) == {"request_id"} for r in rows)
    runner.sweep()
    clock.advance(seconds=10)
    runner.sweep()
    for contact in ("UCARE", "UCARE2"):
        [message] = [m for t, m in messenger.sent if t == contact]
        shown = json.dumps(message.blocks) + message.text
        assert "<@UP1>" in shown and "2 Low" in shown and "Afternoons are best" in shown
        assert "private thoughts xyz" not in shown
    # without ticking anything, only the request itself is shared
    service.request_contact(
        team_id=TEAM,
        user_id="UP1",
        delivery_id=delivery_id,
        share_mood=False,
        share_note=False,
        message="",
    )
    clock.advance(seconds=10)
    runner.sweep()
    latest = [m for t, m in messenger.sent if t == "UCARE"][-1]
    shown = json.dumps(latest.blocks)
    assert "Low" not in shown and "xyz" not in shown and "Afternoons" not in shown


def answer_all(
    service: Checkins,
    factory: sessionmaker[Session],
    clock: FakeClock,
    runner: DeliveryRunner,
    users: Iterable[str],
    mood: int,
) -> None:
    for user in users:
        delivery_id = agree(service, factory, clock, runner, user)
        service.answer(team_id=TEAM, user_id=user, delivery_id=delivery_id, mood=mood)


def test_coordinators_see_figures_of_closed_months_only_from_four_people(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    answer_all(service, factory, clock, runner, ("UP1", "UP2", "UP3"), 4)
    answer_all(service, factory, clock, runner, ("UP4", "UF1", "UF2", "USTEER"), 2)
    during = service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD")
    # March is open: nothing, however many answered
    assert during.periods == () and during.open_period == "March 2026"
    # London is on BST from 29 March: April begins at 23:00 UTC on 31 March
    clock.current = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    after = service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD")
    [march] = after.periods
    agg = march.aggregate
    assert march.label == "March 2026" and agg.total is not None and agg.total.people == 7
    assert agg.total.average == round((3 * 4 + 4 * 2) / 7, 1)
    # participants (4) could show, but practitioners (2) and steering (1) would be a
    # remainder of 3: so only the whole is shown
    assert agg.groups == () and set(agg.hidden) == {"participant", "practitioner", "steering"}
    # the stored figure never changes: an erasure afterwards leaves it as it was
    service.forget(team_id=TEAM, user_id="UP1")
    assert service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD") == after
    named = service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD", period="march")
    assert named.periods == after.periods
    # contact requests: only for the named wellbeing contacts (UCARE), not coordinators
    assert not after.is_contact and after.contact_requests == ()
    assert service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UCARE").is_contact
    for bad, says in (
        ("april", "no figures for April"),
        ("2026-04", "has not ended"),
        ("4", "Name a month"),
    ):
        with pytest.raises(AccessError, match=says):
            service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UCOORD", period=bad)
    with pytest.raises(NotCoordinator):
        service.summary(team_id=TEAM, channel_id=CHANNEL, user_id="UP1")


def test_forget_me_leaves_no_rows_in_any_checkin_table(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=2)
    service.save_note(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, note="mine")
    service.request_contact(
        team_id=TEAM,
        user_id="UP1",
        delivery_id=delivery_id,
        share_mood=True,
        share_note=True,
        message="hi",
    )
    agree(service, factory, clock, runner, "UP2")
    assert all(count_rows(factory, t, "UP1") for t in CHECKIN_TABLES)
    done = service.forget(team_id=TEAM, user_id="UP1")
    erased = {e.what.split(":")[0]: e.rows for e in done.erased}
    assert [e.rows for e in done.erased] == [1, 1, 1], erased
    for table in CHECKIN_TABLES:
        assert count_rows(factory, table, "UP1") == 0, table
    with transaction(factory) as db:
        assert db.scalars(select(CheckinAnswer)).all() == []
        assert db.scalars(select(CheckinContactRequest)).all() == []
        users = set(db.scalars(select(CheckinPerson.user_id)))
        assert "UP1" not in users and "UP2" in users
        about = db.scalars(
            select(Delivery).where(Delivery.kind.in_(svc.KINDS), Delivery.target == "UP1")
        ).all()
        assert about == []
        contact = db.scalars(select(Delivery).where(Delivery.kind == svc.CONTACT)).all()
        assert contact == []
    # and the daily refresh does not invite them again
    service.refresh(clock.now())
    assert count_rows(factory, "checkin_people", "UP1") == 0


def test_answers_are_purged_after_the_retention_period(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=3)
    with transaction(factory) as db:
        project = db.get(Project, project_id)
        assert project is not None
        project.closed_at = clock.now()
    assert service.purge_expired(clock.now() + timedelta(days=89)) == 0
    assert count_rows(factory, "checkin_answers", "UP1") == 1
    assert service.purge_expired(clock.now() + timedelta(days=91)) > 0
    for table in CHECKIN_TABLES:
        assert count_rows(factory, table, "UP1") == 0


def test_mood_and_note_are_encrypted_at_rest(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    delivery_id = agree(service, factory, clock, runner, "UP1")
    service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=2)
    service.save_note(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, note="plain words")
    with transaction(factory) as db:
        mood, note = db.execute(text("SELECT mood, note FROM checkin_answers")).one()
    assert mood != "2" and "plain words" not in note


def test_my_data_holds_the_persons_own_answers_only(
    factory: sessionmaker[Session], clock: FakeClock, service: Checkins, runner: DeliveryRunner
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id)
    for user, note in (("UP1", "mine"), ("UP2", "theirs")):
        delivery_id = agree(service, factory, clock, runner, user)
        service.answer(team_id=TEAM, user_id=user, delivery_id=delivery_id, mood=3)
        service.save_note(team_id=TEAM, user_id=user, delivery_id=delivery_id, note=note)
    data = json.loads(service.my_data(team_id=TEAM, user_id="UP1").json.content)
    sections = {s["table"]: s["rows"] for s in data["sections"]}
    [answer] = sections["checkin_answers"]
    assert answer["note"] == "mine" and answer["mood"] == "3"
    assert "theirs" not in json.dumps(data)
    assert sections["members"][0]["role"] == "participant"


def test_the_same_contact_form_submitted_twice_alerts_the_contacts_once(
    factory: sessionmaker[Session],
    clock: FakeClock,
    service: Checkins,
    runner: DeliveryRunner,
    messenger: FakeMessenger,
) -> None:
    project_id = make_project(factory, clock)
    switch_on(service, project_id, contacts=("UCARE", "UCARE2"))
    delivery_id = agree(service, factory, clock, runner, "UP1")
    service.answer(team_id=TEAM, user_id="UP1", delivery_id=delivery_id, mood=2)
    ask = partial(
        service.request_contact,
        team_id=TEAM,
        user_id="UP1",
        delivery_id=delivery_id,
        share_mood=True,
        share_note=False,
        message="Afternoons are best",
    )
    first = ask(form_id="V0CONTACT")
    # a double click: the same modal again, even with other boxes ticked
    again = ask(form_id="V0CONTACT", share_mood=False)
    assert again == first
    with transaction(factory) as db:
        assert len(db.scalars(select(CheckinContactRequest)).all()) == 1
        alerts = db.scalars(select(Delivery).where(Delivery.kind == svc.CONTACT)).all()
        assert sorted(r.target for r in alerts) == ["UCARE", "UCARE2"]
    # another form (a new modal) is another request
    ask(form_id="V0LATER")
    with transaction(factory) as db:
        assert len(db.scalars(select(CheckinContactRequest)).all()) == 2
    # a form id is one person's: someone else's submission is their own request
    delivery_2 = agree(service, factory, clock, runner, "UP2")
    other = service.request_contact(
        team_id=TEAM,
        user_id="UP2",
        delivery_id=delivery_2,
        share_mood=False,
        share_note=False,
        message="",
        form_id="V0CONTACT",
    )
    assert other.shared_message is False
    with transaction(factory) as db:
        assert len(db.scalars(select(CheckinContactRequest)).all()) == 3
