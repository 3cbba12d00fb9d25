"""The Home service on a real database: each person's sessions and items, the coordinator's
project state, privacy, the retry, and which Homes a change refreshes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.timeline import AGENDA
from cobot.domain.timeline import NOTES
from cobot.domain.timeline import RUNNING
from cobot.services.access import AccessError
from cobot.services.access import NotCoordinator
from cobot.services.access import NotMember
from cobot.services.checkins import Checkins
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.home import ITEM_ACTION
from cobot.services.home import ITEM_AGENDA
from cobot.services.home import ITEM_CHECKIN
from cobot.services.home import ITEM_DEBRIEF
from cobot.services.home import ITEM_FEEDBACK
from cobot.services.home import ITEM_NOTES
from cobot.services.home import Home
from cobot.services.home import OpenItem
from cobot.services.home import Touch
from cobot.services.home import watch_changes
from cobot.services.timeline import Timelines
from cobot.slack.blocks.home import home_view
from cobot.storage.db import transaction
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CheckinSetup
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import DebriefAction
from cobot.storage.models import DebriefRound
from cobot.storage.models import Delivery
from cobot.storage.models import Member
from cobot.storage.models import ParticipantFeedback
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger

TEAM = "T0SANDBOX"
CHANNEL = "C0HOME"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRETS = ("SECRET-WENT-WELL", "SECRET-FEELING", "SECRET-NOTE", "SECRET-FEEDBACK", "SECRET-DEV")


@dataclass(frozen=True)
class Seeded:
    project_id: int
    sessions: list[int]
    participants: list[str]
    failed_delivery: int
    open_checkin: int
    action_id: int


def seed_project(
    factory: sessionmaker[Session],
    now: datetime = NOW,
    *,
    participants: int = 12,
    sessions: int = 20,
    channel: str = CHANNEL,
    name: str = "Recovery framework",
) -> Seeded:
    """A busy project: weekly sessions (too tight: planning is squeezed), three held, with
    debriefs, feedback and check-in answers whose words must never reach anyone else."""
    people = [f"UP{i:02d}" for i in range(1, participants + 1)]
    with transaction(factory) as db:
        project = Project(
            team_id=TEAM,
            channel_id=channel,
            name=name,
            aims="Co-produce a recovery framework with people with lived experience.",
            agreement="We listen to each other. Everyone's voice counts.",
            timezone="Europe/London",
            start_date=date(2026, 2, 1),
            end_date=date(2026, 9, 30),
            lead_times={},
            created_by="UCOORD",
            created_at=now,
            updated_at=now,
        )
        roles = [("UCOORD", "coordinator"), ("UTEAM", "project_team")]
        roles += [(u, "practitioner") for u in ("UF1", "UF2", "UF3")]
        roles += [(u, "participant") for u in people]
        project.members = [
            Member(
                user_id=u,
                role=r,
                added_by="UCOORD",
                added_at=now,
                # the first participant has not had their briefing call yet
                briefing_done_at=None if u == "UP01" else now,
                training_done_at=now,
                access_needs_done_at=now,
            )
            for u, r in roles
        ]
        db.add(project)
        db.flush()
        ids = []
        first = now - timedelta(days=3 * 7) + timedelta(days=6)
        for index in range(sessions):
            starts = first + timedelta(days=7 * index)
            row = CoSession(
                project_id=project.id,
                title=f"Workshop {index + 1}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue="Town hall",
                objectives="",
                status="scheduled",
                revision=1,
                created_by="UCOORD",
                created_at=now,
                updated_at=now,
                agenda_shared_at=now - timedelta(days=30) if index < 3 else None,
                notes_posted_at=now - timedelta(days=10) if index == 0 else None,
            )
            facilitators = ["UF1"] if index == 5 else ["UF1", "UF2"]
            row.people = [SessionPerson(user_id=u, role="facilitator") for u in facilitators] + [
                SessionPerson(user_id=u, role="participant") for u in people
            ]
            db.add(row)
            db.flush()
            ids.append(row.id)
        # debriefs: sessions 1 and 2 complete, session 3 (ended yesterday) only UF1's
        for session_id, authors in (
            (ids[0], ("UF1", "UF2", "UTEAM")),
            (ids[1], ("UF1", "UF2", "UTEAM")),
            (ids[2], ("UF1",)),
        ):
            for author in authors:
                db.add(
                    Debrief(
                        session_id=session_id,
                        user_id=author,
                        status="submitted",
                        went_well=f"SECRET-WENT-WELL by {author}",
                        change="SECRET-DEV change",
                        voices="",
                        feeling="1",
                        feeling_words="SECRET-FEELING exhausted",
                        created_at=now,
                        updated_at=now,
                    )
                )
        db.flush()
        debrief_id = db.scalar(select(Debrief.id).where(Debrief.session_id == ids[2]))
        action = DebriefAction(
            project_id=project.id,
            session_id=ids[2],
            debrief_id=debrief_id,
            owner="UF2",
            text="Book a bigger room",
            status="open",
            created_by="UF1",
            created_at=now,
        )
        db.add(action)
        db.add(
            ParticipantFeedback(
                session_id=ids[2],
                user_id="UP02",
                heard="1",
                keep="SECRET-FEEDBACK keep",
                change="SECRET-FEEDBACK change",
                named=False,
                created_at=now,
                updated_at=now,
            )
        )
        db.add(
            CheckinSetup(
                project_id=project.id,
                enabled=True,
                roles=["participant", "coordinator", "practitioner"],
                rhythm="weekly",
                support_text="",
                contacts=[],
                retention_days=90,
                updated_by="UCOORD",
                updated_at=now,
            )
        )
        open_checkin = 0
        for user in [*people[:5], "UCOORD"]:
            person = CheckinPerson(
                project_id=project.id,
                user_id=user,
                status="active",
                time_of_day="10:00",
                working_days=[0, 1, 2, 3, 4],
                after_sessions=False,
                created_at=now,
                updated_at=now,
            )
            db.add(person)
            db.flush()
            for week in range(1, 4):
                sent = Delivery(
                    idempotency_key=f"checkin:{project.id}:{user}:w{week}",
                    kind="checkin",
                    target=user,
                    project_id=project.id,
                    subject_type="checkin_person",
                    subject_id=person.id,
                    payload={},
                    due_at=now - timedelta(days=7 * week),
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    created_at=now,
                    updated_at=now,
                    finished_at=now - timedelta(days=7 * week),
                )
                db.add(sent)
                db.flush()
                db.add(
                    CheckinAnswer(
                        person_id=person.id,
                        project_id=project.id,
                        delivery_id=sent.id,
                        asked_on=(now - timedelta(days=7 * week)).date(),
                        answered_at=now - timedelta(days=7 * week),
                        role="coordinator" if user == "UCOORD" else "participant",
                        mood=str(1 + week % 5) if user != "UCOORD" else "4",
                        note=f"SECRET-NOTE of {user}",
                    )
                )
            if user == "UP01":
                waiting = Delivery(
                    idempotency_key=f"checkin:{project.id}:{user}:today",
                    kind="checkin",
                    target=user,
                    project_id=project.id,
                    subject_type="checkin_person",
                    subject_id=person.id,
                    payload={},
                    due_at=now - timedelta(hours=2),
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    created_at=now,
                    updated_at=now,
                    finished_at=now - timedelta(hours=2),
                )
                db.add(waiting)
                db.flush()
                open_checkin = waiting.id
        subject = ids[min(3, len(ids) - 1)]
        failed = Delivery(
            idempotency_key=f"session:{subject}:r1:reminder_day:UP03",
            kind="reminder_day",
            target="UP03",
            project_id=project.id,
            subject_type="session",
            subject_id=subject,
            payload={"session_id": subject, "revision": 1},
            due_at=now - timedelta(hours=1),
            status=DeliveryStatus.FAILED,
            attempts=1,
            last_error="user_not_found",
            created_at=now,
            updated_at=now,
            finished_at=now,
        )
        db.add(failed)
        db.flush()
        return Seeded(project.id, ids, people, failed.id, open_checkin, action.id)


class NoDirectory:
    def timezone(self, user_id: str) -> str | None:
        return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def runner(factory: sessionmaker[Session], clock: FakeClock) -> DeliveryRunner:
    return DeliveryRunner(
        factory=factory,
        clock=clock,
        messenger=FakeMessenger(),
        kinds=DeliveryKinds(),
        worker_id="w1",
        alarms=FakeAlarms(),
    )


@pytest.fixture
def home(factory: sessionmaker[Session], clock: FakeClock, runner: DeliveryRunner) -> Home:
    checkins = Checkins(factory=factory, clock=clock, directory=NoDirectory())
    return Home(factory=factory, clock=clock, runner=runner, checkins=checkins)


pytestmark = pytest.mark.db


def kinds_of(items: Iterable[OpenItem]) -> list[tuple[str, str]]:
    return [(i.kind, i.title) for i in items]


def test_a_participant_sees_their_sessions_items_and_own_trend(
    factory: sessionmaker[Session], home: Home
) -> None:
    seeded = seed_project(factory)
    view = home.home(team_id=TEAM, user_id="UP01")
    assert [s.title for s in view.sessions] == [
        "Workshop 4",
        "Workshop 5",
        "Workshop 6",
        "Workshop 7",
        "Workshop 8",
    ]
    assert {s.role for s in view.sessions} == {"participant"}
    found = kinds_of(view.items)
    assert (ITEM_FEEDBACK, "Workshop 3") in found
    assert (ITEM_CHECKIN, "How are you?") in found
    checkin = next(i for i in view.items if i.kind == ITEM_CHECKIN)
    assert checkin.target_id == seeded.open_checkin
    assert not any(k in (ITEM_DEBRIEF, ITEM_AGENDA, ITEM_NOTES) for k, _t in found)
    assert [line.answers for line in view.checkins] == [3]
    assert view.checkins[0].trend  # their own moods, as a sparkline
    assert view.coordinating == ()
    # UP02 already gave feedback on Workshop 3
    other = home.home(team_id=TEAM, user_id="UP02")
    assert (ITEM_FEEDBACK, "Workshop 3") not in kinds_of(other.items)


def test_a_facilitator_sees_debriefs_agendas_and_actions_they_owe(
    factory: sessionmaker[Session], home: Home
) -> None:
    seed_project(factory)
    view = home.home(team_id=TEAM, user_id="UF2")
    found = kinds_of(view.items)
    assert (ITEM_DEBRIEF, "Workshop 3") in found
    assert (ITEM_AGENDA, "Workshop 4") in found
    assert (ITEM_ACTION, "Book a bigger room") in found
    assert (ITEM_DEBRIEF, "Workshop 2") not in found  # written
    assert {s.role for s in view.sessions} == {"facilitator"}
    # UF1 wrote the debrief of Workshop 3 and owns no action
    uf1 = kinds_of(home.home(team_id=TEAM, user_id="UF1").items)
    assert (ITEM_DEBRIEF, "Workshop 3") not in uf1
    assert not any(k == ITEM_ACTION for k, _t in uf1)


def test_the_team_sees_notes_overdue_first(factory: sessionmaker[Session], home: Home) -> None:
    seed_project(factory)
    view = home.home(team_id=TEAM, user_id="UTEAM")
    notes = [i for i in view.items if i.kind == ITEM_NOTES]
    assert [i.title for i in notes] == ["Workshop 2", "Workshop 3"]
    assert notes[0].overdue and not notes[1].overdue
    assert view.items[0].overdue


def test_the_coordinator_sees_the_projects_state(
    factory: sessionmaker[Session], home: Home
) -> None:
    seeded = seed_project(factory)
    view = home.home(team_id=TEAM, user_id="UCOORD")
    (detail,) = view.coordinating
    assert detail.timeline.phase == RUNNING
    assert (detail.timeline.held, detail.timeline.to_come) == (3, 17)
    assert detail.timeline.days_to_end == (date(2026, 9, 30) - date(2026, 3, 2)).days
    assert detail.timeline.squeezed_gaps == 19  # weekly is too tight to plan in
    risks = {(r.title, r.what): r for r in detail.risks}
    assert risks[("Workshop 2", NOTES)].overdue
    debriefs = risks[("Workshop 3", "debriefs")]
    assert debriefs.who == ("UF2", "UTEAM") and not debriefs.overdue
    assert ("Workshop 4", AGENDA) not in risks  # due in 3 days: not yet at risk
    assert [(o.user_id, o.missing) for o in detail.onboarding] == [
        ("UP01", ("one-to-one briefing call",))
    ]
    assert (detail.participants, detail.onboarded) == (12, 11)
    rota = {r.title: r for r in detail.rota}
    assert rota["Workshop 6"].short_of_facilitators
    assert not rota["Workshop 7"].short_of_facilitators
    assert not any(r.too_big for r in detail.rota)
    assert [f.id for f in detail.failures] == [seeded.failed_delivery]
    assert detail.failures[0].reason == "user_not_found"
    assert detail.wellbeing is not None and detail.wellbeing.total is not None
    assert detail.wellbeing.total.people == 6


def test_groups_over_twelve_are_flagged(factory: sessionmaker[Session], home: Home) -> None:
    seed_project(factory, participants=13, sessions=5)
    (detail,) = home.home(team_id=TEAM, user_id="UCOORD").coordinating
    assert all(r.too_big for r in detail.rota)


def test_a_coordinators_home_holds_no_ones_answers(
    factory: sessionmaker[Session], home: Home
) -> None:
    seed_project(factory)
    view = home.home(team_id=TEAM, user_id="UCOORD")
    published = json.dumps(home_view(view))
    for secret in SECRETS:
        assert secret not in published
    assert "Book a bigger room" not in published  # someone else's action
    # the coordinator's own trend is there, nobody else's
    assert [line.answers for line in view.checkins] == [3]
    assert "UP01" in published  # onboarding names are fine: no answers
    for user in ("UP01", "UF1", "UF2", "UTEAM"):
        shown = json.dumps(home_view(home.home(team_id=TEAM, user_id=user)))
        for secret in SECRETS:
            assert secret not in shown, (user, secret)


def test_wellbeing_is_held_back_under_three_people(
    factory: sessionmaker[Session], home: Home
) -> None:
    seeded = seed_project(factory, participants=2, sessions=4)
    with transaction(factory) as db:
        rows = db.scalars(
            select(CheckinPerson).where(CheckinPerson.project_id == seeded.project_id)
        ).all()
        for person in rows:
            if person.user_id == "UCOORD":
                db.delete(person)
    (detail,) = home.home(team_id=TEAM, user_id="UCOORD").coordinating
    assert detail.wellbeing is not None and detail.wellbeing.total is None


def test_a_coordinator_of_two_projects_sees_one_in_detail(
    factory: sessionmaker[Session], home: Home
) -> None:
    first = seed_project(factory, sessions=3)
    second = seed_project(factory, sessions=3, channel="C0OTHER", name="Carers network")
    view = home.home(team_id=TEAM, user_id="UCOORD")
    assert [d.name for d in view.coordinating] == ["Carers network"]
    assert [c.id for c in view.other_coordinated] == [first.project_id]
    focused = home.home(team_id=TEAM, user_id="UCOORD", focus=first.project_id)
    assert [d.project_id for d in focused.coordinating] == [first.project_id]
    assert [c.id for c in focused.other_coordinated] == [second.project_id]


def test_someone_in_no_project_gets_an_empty_home(home: Home) -> None:
    assert home.home(team_id=TEAM, user_id="UNOBODY").empty


def test_retry_rechecks_the_coordinator_of_that_project(
    factory: sessionmaker[Session], home: Home, clock: FakeClock
) -> None:
    seeded = seed_project(factory)
    with pytest.raises(NotCoordinator):
        home.retry(team_id=TEAM, user_id="UF1", delivery_id=seeded.failed_delivery)
    with pytest.raises(AccessError):
        home.retry(team_id="T0OTHER", user_id="UCOORD", delivery_id=seeded.failed_delivery)
    with pytest.raises(AccessError):  # a check-in is personal: never retried from here
        home.retry(team_id=TEAM, user_id="UCOORD", delivery_id=seeded.open_checkin)
    result = home.retry(team_id=TEAM, user_id="UCOORD", delivery_id=seeded.failed_delivery)
    assert result.retried
    with transaction(factory) as db:
        row = db.get(Delivery, seeded.failed_delivery)
        assert row is not None and row.status == DeliveryStatus.SCHEDULED
    assert not home.retry(
        team_id=TEAM, user_id="UCOORD", delivery_id=seeded.failed_delivery
    ).retried
    assert home.home(team_id=TEAM, user_id="UCOORD").coordinating[0].failures == ()


def test_the_agreement_is_for_members_only(factory: sessionmaker[Session], home: Home) -> None:
    seeded = seed_project(factory, sessions=3)
    card = home.agreement(team_id=TEAM, user_id="UP03", project_id=seeded.project_id)
    assert "Everyone's voice counts" in card.agreement
    with pytest.raises(NotMember, match="^Only members of this project can see its agreement"):
        home.agreement(team_id=TEAM, user_id="UOUTSIDER", project_id=seeded.project_id)


def test_changes_reach_the_right_homes_after_commit_only(
    factory: sessionmaker[Session], home: Home
) -> None:
    seeded = seed_project(factory, participants=3, sessions=4)
    everyone = {"UCOORD", "UTEAM", "UF1", "UF2", "UF3", *seeded.participants}
    for user in everyone:
        assert home.opened(team_id=TEAM, user_id=user) is True
    assert home.opened(team_id=TEAM, user_id="UCOORD") is False  # noted once
    seen: list[frozenset[Touch]] = []
    watch_changes(factory, seen.append)
    with transaction(factory) as db:
        row = db.get(CoSession, seeded.sessions[3])
        assert row is not None
        row.agenda_shared_at = NOW
    assert len(seen) == 1
    assert home.audience(seen[0]) == {(TEAM, u) for u in everyone}
    # a rolled-back change refreshes nobody
    with pytest.raises(RuntimeError), transaction(factory) as db:
        row = db.get(CoSession, seeded.sessions[3])
        assert row is not None
        row.notes_posted_at = NOW
        db.flush()
        raise RuntimeError("boom")
    assert len(seen) == 1
    # someone's own check-in answer: them and the coordinators only
    with transaction(factory) as db:
        person = db.scalar(select(CheckinPerson).where(CheckinPerson.user_id == "UP01"))
        assert person is not None
        db.add(
            CheckinAnswer(
                person_id=person.id,
                project_id=seeded.project_id,
                delivery_id=seeded.open_checkin,
                asked_on=NOW.date(),
                answered_at=NOW,
                role="participant",
                mood="3",
                note=None,
            )
        )
    assert home.audience(seen[-1]) == {(TEAM, "UP01"), (TEAM, "UCOORD")}
    # a delivery changing status (sent, failed, retried) republishes no one's Home
    count = len(seen)
    with transaction(factory) as db:
        delivery = db.get(Delivery, seeded.failed_delivery)
        assert delivery is not None
        delivery.status = DeliveryStatus.SCHEDULED
    with transaction(factory) as db:
        delivery = db.get(Delivery, seeded.failed_delivery)
        assert delivery is not None
        delivery.status = DeliveryStatus.SENT
    assert len(seen) == count
    # reading changes nothing, so it refreshes nobody
    count = len(seen)
    home.home(team_id=TEAM, user_id="UCOORD")
    assert len(seen) == count


def test_only_people_who_opened_their_home_are_refreshed(
    factory: sessionmaker[Session], home: Home
) -> None:
    seeded = seed_project(factory, participants=3, sessions=4)
    home.opened(team_id=TEAM, user_id="UP02")
    home.opened(team_id="T0OTHER", user_id="UP03")  # the same id in another workspace
    seen: list[frozenset[Touch]] = []
    watch_changes(factory, seen.append)
    with transaction(factory) as db:
        row = db.get(CoSession, seeded.sessions[3])
        assert row is not None
        row.agenda_shared_at = NOW
    assert home.audience(seen[-1]) == {(TEAM, "UP02")}
    assert home.audience([Touch(project_id=seeded.project_id, user_id="UP01")]) == set()


def test_the_timeline_picture_is_a_png_for_coordinators(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    seeded = seed_project(factory, sessions=6)
    timelines = Timelines(factory=factory, clock=clock)
    with pytest.raises(NotCoordinator):
        timelines.picture(team_id=TEAM, user_id="UF1", channel_id=CHANNEL)
    picture = timelines.picture(team_id=TEAM, user_id="UCOORD", project_id=seeded.project_id)
    assert picture.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert picture.sessions == 6
    assert picture.squeezed == 5  # planning is squeezed in each weekly gap
    with pytest.raises(AccessError):
        timelines.picture(team_id=TEAM, user_id="UCOORD", channel_id="C0NOWHERE")


def test_what_sending_changes_refreshes_no_home(factory: sessionmaker[Session], home: Home) -> None:
    seeded = seed_project(factory, participants=3, sessions=6)
    seen: list[frozenset[Touch]] = []
    watch_changes(factory, seen.append)
    # a check-in sent notes the day and the zone; a debrief prompt sent opens a round
    with transaction(factory) as db:
        person = db.scalar(select(CheckinPerson).where(CheckinPerson.user_id == "UP01"))
        assert person is not None
        person.last_checkin_on = NOW.date()
        person.timezone = "Europe/Paris"
        person.updated_at = NOW
        db.add(DebriefRound(session_id=seeded.sessions[4]))
    assert seen == []
    # a changed setting or a closed round does show
    with transaction(factory) as db:
        person = db.scalar(select(CheckinPerson).where(CheckinPerson.user_id == "UP01"))
        assert person is not None
        person.paused_until = NOW.date()
    assert seen[-1] == {Touch(project_id=seeded.project_id, user_id="UP01")}
    with transaction(factory) as db:
        round_ = db.get(DebriefRound, seeded.sessions[4])
        assert round_ is not None
        round_.closed_at = NOW
    assert seen[-1] == {Touch(session_id=seeded.sessions[4])}
