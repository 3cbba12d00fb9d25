"""Projects and people on a real database: create, edit, members, onboarding, lead times."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.durations import format_duration
from cobot.domain.roles import Role
from cobot.domain.sessions import LeadTimes
from cobot.services import access
from cobot.services.access import AccessError
from cobot.services.access import NoProjectHere
from cobot.services.access import NotCoordinator
from cobot.services.projects import InvalidFields
from cobot.services.projects import LastCoordinator
from cobot.services.projects import ProjectDetails
from cobot.services.projects import Projects
from cobot.services.projects import lock_project
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.models import Member
from cobot.storage.models import Project
from tests.fakes import FakeClock

TEAM = "T1"
CHANNEL = "C1"


class FakeDirectory:
    def __init__(self, zones: dict[str, str] | None = None) -> None:
        self.zones = zones or {}
        self.asked: list[str] = []

    def timezone(self, user_id: str) -> str | None:
        self.asked.append(user_id)
        return self.zones.get(user_id)


@pytest.fixture
def projects(factory: sessionmaker[Session], clock: FakeClock) -> Projects:
    return Projects(
        factory=factory, clock=clock, directory=FakeDirectory({"UCORA": "America/Chicago"})
    )


def new_project(projects: Projects, *, user: str = "UCORA") -> int:
    return projects.create(team_id=TEAM, channel_id=CHANNEL, user_id=user, name="Carers").id


def members(factory: sessionmaker[Session], project_id: int) -> dict[str, str]:
    with transaction(factory) as session:
        rows = session.scalars(select(Member).where(Member.project_id == project_id))
        return {m.user_id: m.role for m in rows}


def test_create_binds_the_channel_makes_a_coordinator_and_takes_the_zone(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    view = projects.create(team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", name="  Carers  ")
    assert view.name == "Carers" and view.timezone == "America/Chicago"
    assert view.viewer_is_coordinator and view.coordinators == ("UCORA",)
    assert members(factory, view.id) == {"UCORA": "coordinator"}
    with transaction(factory) as session:
        stored = session.get(Project, view.id)
        assert stored is not None
        assert LeadTimes.from_json(stored.lead_times) == LeadTimes()


def test_an_unknown_slack_zone_falls_back_to_london(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    projects = Projects(factory=factory, clock=clock, directory=FakeDirectory())
    assert new_project(projects, user="UNOZONE")
    assert projects.show(team_id=TEAM, channel_id=CHANNEL, user_id="X").timezone == (
        "Europe/London"
    )


def test_a_second_project_in_the_channel_is_refused(projects: Projects) -> None:
    new_project(projects)
    with pytest.raises(AccessError, match="already has a project, “Carers”.*<@UCORA>"):
        projects.create(team_id=TEAM, channel_id=CHANNEL, user_id="UOTHER", name="Second")
    # the same channel id in another workspace is another channel
    other = projects.create(team_id="T2", channel_id=CHANNEL, user_id="UOTHER", name="Second")
    assert other.name == "Second"


def test_add_change_role_and_unchanged(projects: Projects, factory: sessionmaker[Session]) -> None:
    pid = new_project(projects)
    first = projects.add_people(
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id="UCORA",
        people=["UA", "UB"],
        role=Role.PARTICIPANT,
    )
    assert first.added == ("UA", "UB") and not first.changed
    second = projects.add_people(
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id="UCORA",
        people=["UA", "UB"],
        role=Role.PRACTITIONER,
    )
    assert second.changed == (("UA", Role.PARTICIPANT), ("UB", Role.PARTICIPANT))
    third = projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UA"], role=Role.PRACTITIONER
    )
    assert third.unchanged == ("UA",) and not third.added and not third.changed
    assert members(factory, pid) == {
        "UCORA": "coordinator",
        "UA": "practitioner",
        "UB": "practitioner",
    }


def test_only_coordinators_change_people(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    pid = new_project(projects)
    projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UA"], role=Role.PARTICIPANT
    )
    with pytest.raises(NotCoordinator, match=r"ask your coordinator \(<@UCORA>\)"):
        projects.add_people(
            team_id=TEAM, channel_id=CHANNEL, user_id="UA", people=["UA"], role=Role.COORDINATOR
        )
    with pytest.raises(NotCoordinator):
        projects.remove_people(team_id=TEAM, channel_id=CHANNEL, user_id="UA", people=["UCORA"])
    assert members(factory, pid) == {"UCORA": "coordinator", "UA": "participant"}


def test_the_last_coordinator_can_be_neither_removed_nor_demoted(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    pid = new_project(projects)
    with pytest.raises(LastCoordinator, match="only coordinator"):
        projects.remove_people(team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UCORA"])
    with pytest.raises(LastCoordinator):
        projects.add_people(
            team_id=TEAM,
            channel_id=CHANNEL,
            user_id="UCORA",
            people=["UCORA", "UNEW"],
            role=Role.PARTICIPANT,
        )
    assert members(factory, pid) == {"UCORA": "coordinator"}  # all or nothing
    projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UBEA"], role=Role.COORDINATOR
    )
    removal = projects.remove_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UCORA", "UNOBODY"]
    )
    assert removal.removed == (("UCORA", Role.COORDINATOR),)
    assert removal.not_members == ("UNOBODY",)
    assert members(factory, pid) == {"UBEA": "coordinator"}


def test_people_are_grouped_by_role_and_only_members_see_them(projects: Projects) -> None:
    new_project(projects)
    projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UP"], role=Role.PARTICIPANT
    )
    projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UF"], role=Role.PRACTITIONER
    )
    found = projects.people(team_id=TEAM, channel_id=CHANNEL, user_id="UP")
    assert found.groups == (
        (Role.COORDINATOR, ("UCORA",)),
        (Role.PRACTITIONER, ("UF",)),
        (Role.PARTICIPANT, ("UP",)),
    )
    with pytest.raises(AccessError, match="Only members"):
        projects.people(team_id=TEAM, channel_id=CHANNEL, user_id="USTRANGER")


def test_details_are_validated_field_by_field_and_nothing_is_saved(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    pid = new_project(projects)
    bad = ProjectDetails(
        name="",
        aims="Better care",
        timezone="Mars/Olympus",
        start_date=date(2026, 5, 1),
        end_date=date(2026, 4, 1),
    )
    with pytest.raises(InvalidFields) as caught:
        projects.update_details(team_id=TEAM, user_id="UCORA", project_id=pid, details=bad)
    assert set(caught.value.errors) == {"name", "timezone", "end_date"}
    assert "Mars/Olympus" in caught.value.errors["timezone"]
    with transaction(factory) as session:
        stored = session.get(Project, pid)
        assert stored is not None and stored.aims == "" and stored.timezone == "America/Chicago"
    good = ProjectDetails(
        name="Carers network",
        aims="Better care",
        timezone="Europe/Dublin",
        start_date=date(2026, 4, 1),
        end_date=date(2026, 5, 1),
    )
    view = projects.update_details(team_id=TEAM, user_id="UCORA", project_id=pid, details=good)
    assert (view.name, view.aims, view.timezone) == (
        "Carers network",
        "Better care",
        "Europe/Dublin",
    )
    assert (view.start_date, view.end_date) == (date(2026, 4, 1), date(2026, 5, 1))


def test_a_project_is_not_reachable_from_another_workspace(projects: Projects) -> None:
    pid = new_project(projects)
    with pytest.raises(NoProjectHere):
        projects.for_editing(team_id="T2", user_id="UCORA", project_id=pid)
    with pytest.raises(NoProjectHere):
        projects.show(team_id="T2", channel_id=CHANNEL, user_id="UCORA")
    with pytest.raises(NoProjectHere):
        projects.update_agreement(team_id="T2", user_id="UCORA", project_id=pid, agreement="x")


def test_agreement_is_saved_and_limited(projects: Projects) -> None:
    pid = new_project(projects)
    with pytest.raises(InvalidFields):
        projects.update_agreement(
            team_id=TEAM, user_id="UCORA", project_id=pid, agreement="x" * 3001
        )
    view = projects.update_agreement(
        team_id=TEAM, user_id="UCORA", project_id=pid, agreement=" We listen. "
    )
    assert view.agreement == "We listen."


def test_onboarding_ticks_keep_their_first_date_and_feed_the_reminder(
    projects: Projects, factory: sessionmaker[Session], clock: FakeClock
) -> None:
    pid = new_project(projects)
    projects.add_people(
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id="UCORA",
        people=["UA", "UB"],
        role=Role.PARTICIPANT,
    )
    projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UF"], role=Role.PRACTITIONER
    )
    assert projects.unfinished_onboarding(pid) == [
        (
            "UA",
            ["One-to-one briefing call done", "Co-production training done", "Access needs noted"],
        ),
        (
            "UB",
            ["One-to-one briefing call done", "Co-production training done", "Access needs noted"],
        ),
    ]
    first = clock.now()
    projects.set_onboarding(
        team_id=TEAM,
        user_id="UCORA",
        project_id=pid,
        participant="UA",
        done=frozenset({"briefing"}),
    )
    clock.advance(days=1)
    item = projects.set_onboarding(
        team_id=TEAM,
        user_id="UCORA",
        project_id=pid,
        participant="UA",
        done=frozenset({"briefing", "training", "access_needs"}),
    )
    assert not item.missing
    with transaction(factory) as session:
        row = session.scalar(select(Member).where(Member.user_id == "UA"))
        assert row is not None and row.briefing_done_at == first
        assert row.training_done_at == clock.now()
    assert projects.unfinished_onboarding(pid) == [
        (
            "UB",
            ["One-to-one briefing call done", "Co-production training done", "Access needs noted"],
        )
    ]
    # unticking clears it; a practitioner has no checklist
    projects.set_onboarding(
        team_id=TEAM, user_id="UCORA", project_id=pid, participant="UA", done=frozenset()
    )
    assert [u for u, _ in projects.unfinished_onboarding(pid)] == ["UA", "UB"]
    with pytest.raises(AccessError, match="not a participant"):
        projects.onboarding_of(team_id=TEAM, user_id="UCORA", project_id=pid, participant="UF")
    with pytest.raises(NotCoordinator):
        projects.set_onboarding(
            team_id=TEAM, user_id="UA", project_id=pid, participant="UA", done=frozenset()
        )


def test_lead_times_parse_validate_and_store(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    pid = new_project(projects)
    assert projects.lead_times(pid) == LeadTimes()
    texts = {
        "agenda_before": "soon",
        "debrief_within": "-1d",
        "feedback_within": "2 days",
        "plan_time": "2d",
        "notes_after": "20w",
        "accessibility_before": "1 day",
        "onboarding_before": "",
    }
    with pytest.raises(InvalidFields) as caught:
        projects.update_lead_times(team_id=TEAM, user_id="UCORA", project_id=pid, texts=texts)
    assert set(caught.value.errors) == {
        "agenda_before",
        "debrief_within",
        "notes_after",
        "onboarding_before",
    }
    assert "negative" in caught.value.errors["debrief_within"]
    assert projects.lead_times(pid) == LeadTimes()
    good = {**texts, "agenda_before": "4 days", "debrief_within": "12h", "notes_after": "1w"}
    good["onboarding_before"] = "1 week"
    saved = projects.update_lead_times(team_id=TEAM, user_id="UCORA", project_id=pid, texts=good)
    expected = LeadTimes(
        agenda_before=timedelta(days=4),
        debrief_within=timedelta(hours=12),
        notes_after=timedelta(weeks=1),
        onboarding_before=timedelta(weeks=1),
    )
    assert saved.lead_times == expected
    assert projects.lead_times(pid) == expected
    with pytest.raises(NotCoordinator):
        projects.lead_time_settings(team_id=TEAM, user_id="UA", project_id=pid)


def test_new_lead_times_move_the_reminders_of_upcoming_sessions(
    projects: Projects, factory: sessionmaker[Session], clock: FakeClock
) -> None:
    from cobot.services import reminders
    from cobot.storage.models import CoSession
    from cobot.storage.models import Delivery
    from cobot.storage.models import SessionPerson

    pid = new_project(projects)
    starts = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)  # no clock change near it in Chicago
    with transaction(factory) as session:
        cosession = CoSession(
            project_id=pid,
            title="Workshop 1",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            created_by="UCORA",
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        cosession.people = [
            SessionPerson(user_id="UF1", role="facilitator"),
            SessionPerson(user_id="UF2", role="facilitator"),
        ]
        session.add(cosession)
        session.flush()
        project = session.get(Project, pid)
        assert project is not None
        reminders.plan_session(session, project=project, cosession=cosession, now=clock.now())

    def agenda_due() -> set[datetime]:
        with transaction(factory) as session:
            rows = session.scalars(
                select(Delivery).where(
                    Delivery.kind == "agenda_due", Delivery.status == "scheduled"
                )
            )
            return {row.due_at for row in rows}

    before = agenda_due()
    assert len(before) == 1
    texts = {k: format_duration(v) for k, v in vars(LeadTimes()).items()}
    texts["agenda_before"] = "5 days"
    projects.update_lead_times(team_id=TEAM, user_id="UCORA", project_id=pid, texts=texts)
    assert agenda_due() == {min(before) - timedelta(days=2)}


def test_removing_a_person_takes_them_off_sessions_to_come_and_their_reminders(
    database_url: str,
) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from cobot.domain.sessions import SessionInput
    from cobot.services.sessions import Sessions
    from cobot.storage.db import transaction
    from cobot.storage.models import CoSession
    from cobot.storage.models import Delivery
    from tests.fakes import FakeClock

    class NoDirectory:
        def timezone(self, user_id: str) -> str | None:
            return "Europe/London"

    engine = create_db_engine(database_url)
    factory = session_factory(engine)
    clock = FakeClock()
    projects = Projects(factory=factory, clock=clock, directory=NoDirectory())
    sessions = Sessions(factory=factory, clock=clock)
    projects.create(team_id="T1", channel_id="C1", user_id="UC", name="P")
    projects.add_people(
        team_id="T1", channel_id="C1", user_id="UC", people=["UF1", "UF2"], role=Role.PRACTITIONER
    )
    projects.add_people(
        team_id="T1", channel_id="C1", user_id="UC", people=["UP1", "UP2"], role=Role.PARTICIPANT
    )
    day = (clock.now() + timedelta(days=10)).date()
    sessions.add(
        team_id="T1",
        user_id="UC",
        channel_id="C1",
        data=SessionInput(
            title="Workshop 1",
            day=day,
            start=clock.now().time().replace(hour=10, minute=0, second=0, microsecond=0),
            duration=timedelta(hours=2),
            facilitators=("UF1", "UF2"),
            participants=("UP1", "UP2"),
        ),
    )

    def owed_to(user: str) -> list[str]:
        with transaction(factory) as session:
            return list(
                session.scalars(
                    select(Delivery.kind).where(
                        Delivery.target == user, Delivery.status == "scheduled"
                    )
                )
            )

    assert owed_to("UP2")
    projects.remove_people(team_id="T1", channel_id="C1", user_id="UC", people=["UP2"])
    assert owed_to("UP2") == []
    assert owed_to("UP1")
    with transaction(factory) as session:
        cosession = session.scalars(select(CoSession)).one()
        assert cosession.user_ids("participant") == ["UP1"]
    engine.dispose()


def test_lock_project_holds_the_row_until_the_transaction_ends(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    pid = new_project(projects)
    with transaction(factory) as first:
        project = first.get(Project, pid)
        assert project is not None
        lock_project(first, project)
        if first.get_bind().dialect.name == "sqlite":
            # no FOR UPDATE on SQLite: BEGIN IMMEDIATE already made `first` the one writer,
            # and a reader beside it may still call it
            with transaction(factory, write=False) as reader:
                lock_project(reader, pid)
            return
        with transaction(factory) as second:
            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError):
                lock_project(second, pid)
    with transaction(factory) as third:
        lock_project(third, pid)  # released on commit


def test_members_project_finds_the_project_for_members_and_refuses_anyone_else(
    projects: Projects, factory: sessionmaker[Session]
) -> None:
    pid = new_project(projects)
    projects.add_people(
        team_id=TEAM, channel_id=CHANNEL, user_id="UCORA", people=["UP"], role=Role.PARTICIPANT
    )
    with transaction(factory) as session:
        by_channel = access.members_project(
            session, seeing="its plan", team_id=TEAM, user_id="UP", channel_id=CHANNEL
        )
        by_id = access.members_project(
            session, seeing="its plan", team_id=TEAM, user_id="UP", project_id=pid
        )
        assert by_channel.id == by_id.id == pid
        with pytest.raises(access.NotMember) as refused:
            access.members_project(
                session, seeing="its plan", team_id=TEAM, user_id="USTRANGER", project_id=pid
            )
        assert refused.value.message == "Only members of this project can see its plan."
        with pytest.raises(NoProjectHere):
            access.members_project(
                session, seeing="its plan", team_id="TOTHER", user_id="UP", project_id=pid
            )
        assert access.require_member(by_id, "UCORA", "no") is Role.COORDINATOR
        with pytest.raises(access.NotMember, match="^Its own words.$"):
            access.require_member(by_id, "USTRANGER", "Its own words.")
