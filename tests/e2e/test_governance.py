"""Governance end to end (issue 16): milestones from the template with one overdue and nudged
once, a digest for oversight that holds no personal answer, and slowing down by two weeks
that moves sessions, milestones and reminders once and tells oversight the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import chosen
from cobot.sandbox.people import dated
from cobot.sandbox.people import picked_user
from cobot.sandbox.people import picked_users
from cobot.sandbox.people import state
from cobot.sandbox.people import ticked
from cobot.sandbox.people import typed
from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services.checkins import published_figures
from cobot.services.timeline import Timelines
from cobot.slack.blocks.common import button
from cobot.slack.blocks.governance import ADD_LINE
from cobot.slack.blocks.governance import CREATE_DATED
from cobot.slack.blocks.governance import DONE_MILESTONE
from cobot.slack.blocks.governance import EDIT_MILESTONE
from cobot.slack.blocks.involvement import OPEN_REGISTER
from cobot.storage.db import transaction
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CheckinSetup
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import Delivery
from cobot.storage.models import Digest
from cobot.storage.models import Milestone
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson
from cobot.storage.models import SlowDown
from tests.e2e.conftest import RATE_SCALE
from tests.e2e.conftest import scaled_emulator
from tests.e2e.sweeps import drive
from tests.e2e.sweeps import settle
from tests.e2e.test_home import open_home
from tests.polling import wait_until
from tests.seeds import TEAM
from tests.seeds import add_project
from tests.seeds import add_session

CHANNEL = "C0GOV"
# a Monday morning, so nothing lands on a clock change
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MEMBERS = [
    ("UCOORD", "coordinator"),
    ("UF1", "practitioner"),
    ("UF2", "practitioner"),
    ("UPART", "participant"),
    ("UP2", "participant"),
    ("UP3", "participant"),
    ("UP4", "participant"),
    ("UOVER", "oversight"),
    ("USTEER", "steering"),
]
# Workshop 0's participants: the register says who came, the digest only how many
ATTENDEES = ("UPART", "UP2", "UP3", "UP4")
GUEST = "UGUEST"
PLANTED = ("PLANTED-WENT-WELL", "PLANTED-CHANGE", "PLANTED-VOICES", "PLANTED-NOTE")


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def stack(database_url: str, clock: SimClock) -> Iterator[LocalStack]:
    with LocalStack(
        database_url=database_url,
        mode="http",
        clock=clock,
        emulator=scaled_emulator(),
        rate_limit_scale=RATE_SCALE,
    ) as running:
        for user, _role in MEMBERS:
            running.emulator.add_user(user, name=user.lower())
        yield running
        settle(running)


def runtime_of(stack: LocalStack) -> Any:
    assert stack.runtime is not None
    return stack.runtime


def seed(stack: LocalStack, *, sessions: int = 0) -> int:
    """The project (start today, end in 300 days) and `sessions` future workshops, three
    weeks apart, planned through the fan-out."""
    runtime = runtime_of(stack)
    with transaction(runtime.factory) as db:
        project = add_project(
            db, channel_id=CHANNEL, members=MEMBERS, now=START, onboarded=[u for u, _ in MEMBERS]
        )
        project.start_date = START.date()
        project.end_date = START.date() + timedelta(days=300)
        for n in range(sessions):
            begins = START + timedelta(days=10 + 21 * n)
            add_session(
                db,
                project,
                starts_at=begins,
                ends_at=begins + timedelta(hours=2),
                people=[("UF1", "facilitator"), ("UF2", "facilitator"), ("UPART", "participant")],
                now=START,
                title=f"Workshop {n + 1}",
            )
        return project.id


def make_plan(driver: Driver, emulator: SlackEmulator, project_id: int) -> None:
    """The coordinator makes the plan from the template, with dates."""
    shown = driver.command("UCOORD", "milestones", channel_id=CHANNEL)
    assert "no project plan yet" in json.dumps(shown)
    driver.press("UCOORD", {"ts": "1.0", "blocks": shown["blocks"]}, CREATE_DATED)
    emulator.wait_for("response_url", where=lambda c: "Made the plan" in json.dumps(c.args))


def milestones(stack: LocalStack) -> list[Milestone]:
    with transaction(runtime_of(stack).factory) as db:
        return list(db.scalars(select(Milestone).order_by(Milestone.position)))


def test_milestones_from_the_template_one_overdue_nudges_its_owner_once(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator, slack: SlackClient
) -> None:
    project_id = seed(stack)
    # a participant sees the (empty) plan but cannot make it
    seen = driver.command("UPART", "milestones", channel_id=CHANNEL)
    assert CREATE_DATED not in json.dumps(seen)
    # someone outside the project sees nothing of it
    refused = driver.command("UNOBODY", "milestones", channel_id=CHANNEL)
    assert refused["text"] == "Only members of this project can see its plan."
    make_plan(driver, emulator, project_id)
    rows = milestones(stack)
    assert [m.title for m in rows][:3] == [
        "Oversight group formed",
        "Project team recruited",
        "Stakeholders mapped",
    ]
    assert len(rows) == 11 and rows[-1].title == "Launch"
    dues = [m.due_on for m in rows]
    assert all(d is not None for d in dues)
    assert dues == sorted(dues)  # type: ignore[type-var]
    assert START.date() < rows[0].due_on <= START.date() + timedelta(days=300)  # type: ignore[operator]
    assert rows[-1].due_on == START.date() + timedelta(days=300)
    # making it again makes nothing more
    driver.press("UCOORD", None, CREATE_DATED, value=str(project_id), channel_id=CHANNEL)
    [_, again] = emulator.wait_for("response_url", count=2)
    assert "0 of 11 milestones done" in again.args["text"]
    assert "Made the plan" not in json.dumps(again.args)
    assert len(milestones(stack)) == 11

    # edit the first: an empty title is refused inline; then an owner and today's date
    listing = driver.command("UCOORD", "milestones", channel_id=CHANNEL)
    modal = driver.open_modal("UCOORD", {"ts": "1.0", "blocks": listing["blocks"]}, EDIT_MILESTONE)
    refused = driver.submit_modal("UCOORD", modal, state("value", title=typed("  ")))
    assert refused["response_action"] == "errors" and "title" in refused["errors"]
    outsider = driver.submit_modal(
        "UCOORD",
        modal,
        state("value", title=typed("Oversight group formed"), owner=picked_user("UNOBODY")),
    )
    assert outsider["response_action"] == "errors" and "owner" in outsider["errors"]
    assert milestones(stack)[0].owner is None
    today = START.date().isoformat()
    saved = driver.submit_modal(
        "UCOORD",
        modal,
        state(
            "value",
            title=typed("Oversight group formed (OSG)"),
            owner=picked_user("UF1"),
            due=dated(today),
        ),
    )
    assert "errors" not in saved
    first = milestones(stack)[0]
    assert (first.title, first.owner, first.due_on) == (
        "Oversight group formed (OSG)",
        "UF1",
        START.date(),
    )

    # the next morning it is overdue: its owner is nudged, once, and the Home shows it
    drive(stack, timedelta(days=1, hours=1))
    nudge = driver.dm_with("UF1", "is overdue")
    assert "Oversight group formed (OSG)" in json.dumps(nudge)
    shown = json.dumps(open_home(slack, emulator, "UCOORD", "1 overdue"))
    assert "Oversight group formed (OSG)" in shown
    # and on its owner's Home, as an open item with its Done button
    mine = open_home(slack, emulator, "UF1", "Milestone: Oversight group formed (OSG)")
    assert DONE_MILESTONE in json.dumps(mine)
    drive(stack, timedelta(days=2))
    drive(stack, timedelta(days=3))
    assert len(driver.dms("UF1", "is overdue")) == 1
    with transaction(runtime_of(stack).factory) as db:
        nudges = db.scalar(
            select(func.count(Delivery.id)).where(Delivery.kind == "milestone_overdue")
        )
    assert nudges == 1

    # done with one click, from the nudge
    driver.press("UF1", nudge, DONE_MILESTONE)
    emulator.wait_for("response_url", where=lambda c: "Saved" in json.dumps(c.args))
    done = milestones(stack)[0]
    assert (done.status, done.done_by) == ("done", "UF1")
    # someone else cannot tick another's milestone
    other = milestones(stack)[1]
    driver.press("UPART", None, DONE_MILESTONE, value=str(other.id))
    emulator.wait_for("response_url", where=lambda c: "Only coordinators" in json.dumps(c.args))
    assert milestones(stack)[1].status == "open"


def plant_answers(stack: LocalStack, project_id: int) -> None:
    """A held session with debriefs, and last month's check-ins of four people (enough to
    publish), all with words and moods that must never reach a digest."""
    runtime = runtime_of(stack)
    with transaction(runtime.factory) as db:
        project = db.get(Project, project_id)
        assert project is not None
        held = CoSession(
            project_id=project_id,
            kind="workshop",
            title="Workshop 0",
            starts_at=START - timedelta(days=5),
            ends_at=START - timedelta(days=5) + timedelta(hours=2),
            status="scheduled",
            revision=1,
            created_by="UCOORD",
            created_at=START - timedelta(days=20),
            updated_at=START - timedelta(days=20),
        )
        held.people = [
            SessionPerson(user_id="UF1", role="facilitator"),
            SessionPerson(user_id="UF2", role="facilitator"),
            *(SessionPerson(user_id=u, role="participant") for u in ATTENDEES),
        ]
        db.add(held)
        db.flush()
        db.add(
            Debrief(
                session_id=held.id,
                user_id="UF1",
                status="submitted",
                went_well=PLANTED[0],
                change=PLANTED[1],
                voices=PLANTED[2],
                created_at=START,
                updated_at=START,
            )
        )
        db.add(
            CheckinSetup(
                project_id=project_id,
                enabled=True,
                roles=["participant"],
                updated_by="UCOORD",
                updated_at=START - timedelta(days=40),
            )
        )
        for n, (user, mood) in enumerate((("UPART", 1), ("UP2", 4), ("UP3", 5), ("UP4", 2))):
            person = CheckinPerson(
                project_id=project_id,
                user_id=user,
                status="active",
                created_at=START - timedelta(days=40),
                updated_at=START - timedelta(days=40),
            )
            db.add(person)
            db.flush()
            db.add(
                CheckinAnswer(
                    person_id=person.id,
                    project_id=project_id,
                    delivery_id=900000 + n,
                    asked_on=date(2027, 2, 10),
                    answered_at=datetime(2027, 2, 10, 12, tzinfo=UTC),
                    role="participant",
                    mood=str(mood),
                    note=f"{PLANTED[3]}-{user}",
                )
            )


def test_the_digest_reaches_oversight_with_the_coordinators_line_and_no_personal_answer(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator
) -> None:
    project_id = seed(stack, sessions=1)
    plant_answers(stack, project_id)
    make_plan(driver, emulator, project_id)
    # UF1 takes Workshop 0's register: three of the four came, and a guest
    with transaction(runtime_of(stack).factory) as db:
        held = db.scalar(select(CoSession.id).where(CoSession.title == "Workshop 0"))
    take = {"ts": "1.000001", "blocks": [_take_register(held)]}
    modal = driver.open_modal("UF1", take, OPEN_REGISTER)
    came = {"present_1": {"value": ticked(*ATTENDEES[:3])}}
    came["extra"] = {"value": picked_users([GUEST])}
    assert "errors" not in driver.submit_modal("UF1", modal, came)
    driver.dm_with("UF1", "register for *Workshop 0* is saved")
    with transaction(runtime_of(stack).factory) as db:
        [digest] = db.scalars(select(Digest))
        assert digest.due_at == START + timedelta(days=14)
    # a day before, the coordinator gets the preview (and nobody else does)
    drive(stack, timedelta(days=13))
    preview = driver.dm_with("UCOORD", "Preview")
    assert not driver.dms("UOVER", "update for the oversight")
    modal = driver.open_modal("UCOORD", preview, ADD_LINE)
    too_long = driver.submit_modal("UCOORD", modal, state("value", line=typed("x" * 501)))
    assert too_long["response_action"] == "errors" and "line" in too_long["errors"]
    line = "<!channel> On track, slipping slightly because of <b>recruitment</b>"
    assert "errors" not in driver.submit_modal("UCOORD", modal, state("value", line=typed(line)))

    # at its time it goes to the oversight and steering members, rendered then
    drive(stack, timedelta(days=1))
    runtime = runtime_of(stack)
    with transaction(runtime.factory) as db:
        project = db.get(Project, project_id)
        assert project is not None
        [figures] = published_figures(db, project, runtime.clock.now())
    assert figures.aggregate.total is not None and figures.aggregate.total.people == 4
    for member in ("UOVER", "USTEER"):
        driver.dm_with(member, "update for the oversight")
        [sent] = driver.dms(member, "update for the oversight")
        shown = json.dumps(sent)
        assert "&lt;!channel&gt; On track" in shown and "<!channel>" not in shown
        assert "&lt;b&gt;recruitment" in shown
        # the planted session and the seeded one have both been held by now
        assert "2 held, 0 planned" in shown
        # attendance in counts from the saved register; the session without one says so
        assert "Workshop 0: 3 of 4 came, and 1 more who were not on the list" in shown
        assert "Workshop 1: no register saved" in shown
        for user in (*ATTENDEES, GUEST, "UF1", "UF2"):
            assert user not in shown
        # UF1's, of the two facilitators and the coordinator for each session
        assert "1 of 6 written" in shown
        assert f"{figures.aggregate.total.people} people" in shown
        assert f"average {figures.aggregate.total.average} of 5" in shown
        assert "Oversight group formed" in shown  # due within the fortnight
        for planted in PLANTED:
            assert planted not in shown
    for member in ("UF1", "UPART", "UP2"):
        assert not driver.dms(member, "update for the oversight")
    # the coordinator's preview held no personal answer either
    previewed = json.dumps(driver.dms("UCOORD", "Preview"))
    for planted in (*PLANTED, *ATTENDEES, GUEST):
        assert planted not in previewed
    assert "Workshop 0: 3 of 4 came" in previewed
    # Workshop 1's register, taken from its DM: one participant is too few to count
    register = next(m for m in driver.dms("UF1", OPEN_REGISTER) if "Workshop 1" in json.dumps(m))
    modal = driver.open_modal("UF1", register, OPEN_REGISTER)
    came = {"present_1": {"value": ticked("UPART")}}
    assert "errors" not in driver.submit_modal("UF1", modal, came)
    # and the next one is owed a fortnight on, its preview a day before
    with transaction(runtime.factory) as db:
        numbers = list(db.scalars(select(Digest.number).order_by(Digest.number)))
        pending = db.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.kind == "oversight_digest", Delivery.status == "scheduled"
            )
        )
    assert numbers == [1, 2] and pending == 2
    # the coordinator does nothing with the next preview: the digest goes as it is
    drive(stack, timedelta(days=13))
    wait_until(lambda: len(driver.dms("UCOORD", "Preview")) == 2, what="the second preview")
    drive(stack, timedelta(days=1))
    wait_until(
        lambda: len(driver.dms("UOVER", "update for the oversight")) == 2,
        what="the second digest",
    )
    second = json.dumps(driver.dms("UOVER", "update for the oversight")[-1])
    assert "From the coordinator" not in second and "Milestones" in second
    assert "Workshop 1: register saved; fewer than 4 participants were asked" in second
    assert "Workshop 0: 3 of 4 came" in second and "UPART" not in second


def _take_register(session_id: int | None) -> dict[str, Any]:
    """The register DM's button, as Slack sends it back."""
    assert session_id is not None
    return {
        "type": "actions",
        "elements": [button("Take the register", OPEN_REGISTER, str(session_id))],
    }


def reminders_of(stack: LocalStack, session_ids: list[int]) -> list[tuple[str, str, datetime]]:
    with transaction(runtime_of(stack).factory) as db:
        return sorted(
            (d.kind, d.target, d.due_at)
            for d in db.scalars(
                select(Delivery).where(
                    Delivery.subject_type == "session",
                    Delivery.subject_id.in_(session_ids),
                    Delivery.status == "scheduled",
                )
            )
        )


def test_slowing_down_by_two_weeks_moves_everything_once_and_oversight_hears_why(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator
) -> None:
    project_id = seed(stack, sessions=2)
    make_plan(driver, emulator, project_id)
    # the timeline picture draws the plan's dated milestones with the sessions
    runtime = runtime_of(stack)
    timelines = Timelines(factory=runtime.factory, clock=runtime.clock)
    planned = timelines.plan(team_id=TEAM, user_id="UCOORD", channel_id=CHANNEL)
    assert len(planned.milestones) == 11 and len(planned.sessions) == 2
    assert timelines.draw(planned).content.startswith(b"\x89PNG")
    with transaction(runtime_of(stack).factory) as db:
        sessions = {s.id: s.starts_at for s in db.scalars(select(CoSession))}
    ids = sorted(sessions)
    before_reminders = reminders_of(stack, ids)
    before_dues = [m.due_on for m in milestones(stack)]
    assert before_reminders

    # only coordinators
    refused = driver.command("UPART", "slow down", channel_id=CHANNEL)
    assert "Only coordinators" in refused["text"]
    modal = driver.command_modal("UCOORD", "slow down", channel_id=CHANNEL)
    bad = driver.submit_modal(
        "UCOORD",
        modal,
        state("value", mode=chosen("weeks"), amount=typed("two"), reason=typed(" ")),
    )
    assert bad["response_action"] == "errors"
    assert set(bad["errors"]) == {"amount", "reason"}
    reason = "Participants asked for more time between sessions <@UF1> & rest"
    answer = driver.submit_modal(
        "UCOORD",
        modal,
        state("value", mode=chosen("weeks"), amount=typed("2"), reason=typed(reason)),
    )
    assert answer["response_action"] == "update"
    preview = emulator.open_views[-1]
    assert preview["id"] == modal["id"] and preview["callback_id"] == "slow_down_confirm"
    shown = json.dumps(preview)
    assert "Interval checks" in shown and "Workshop 1" in shown and "Workshop 2" in shown
    assert "&lt;@UF1&gt; &amp; rest" in shown
    # nothing changed before the confirmation
    with transaction(runtime_of(stack).factory) as db:
        assert {s.id: s.starts_at for s in db.scalars(select(CoSession))} == sessions
        assert db.scalar(select(func.count(SlowDown.id))) == 0
    assert reminders_of(stack, ids) == before_reminders

    # one confirmation moves everything; a second submission of the same view moves nothing
    confirmed = driver.submit_modal("UCOORD", preview, {})
    assert confirmed["response_action"] == "update"
    assert "Moved 2 sessions and 11 milestones" in json.dumps(confirmed["view"])
    again = driver.submit_modal("UCOORD", preview, {})
    assert "errors" not in again
    two_weeks = timedelta(weeks=2)
    with transaction(runtime_of(stack).factory) as db:
        moved = {s.id: (s.starts_at, s.revision) for s in db.scalars(select(CoSession))}
        assert db.scalar(select(func.count(SlowDown.id))) == 1
    assert moved == {i: (sessions[i] + two_weeks, 2) for i in ids}
    assert [m.due_on for m in milestones(stack)] == [
        d + two_weeks if d is not None else None for d in before_dues
    ]
    # the reminders moved with the sessions, once: the same ones, two weeks later
    after = reminders_of(stack, ids)
    assert after == sorted((k, t, due + two_weeks) for k, t, due in before_reminders)

    # each affected person hears their new dates once; oversight and steering hear why
    drive(stack)
    drive(stack)
    for person in ("UF1", "UF2", "UPART"):
        driver.dm_with(person, "Your new dates")
        [dates] = driver.dms(person, "Your new dates")
        assert "Workshop 1" in json.dumps(dates) and "Workshop 2" in json.dumps(dates)
    assert not driver.dms("UP2", "Your new dates")
    for member in ("UOVER", "USTEER"):
        driver.dm_with(member, "is slowing down")
        [told] = driver.dms(member, "is slowing down")
        text = json.dumps(told)
        assert "Participants asked for more time" in text and "&lt;@UF1&gt;" in text
        assert "<@UF1>" not in text
    assert not driver.dms("UPART", "Participants asked for more time")


def test_widening_gaps_previews_and_a_bad_form_changes_nothing(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator
) -> None:
    project_id = seed(stack, sessions=3)
    with transaction(runtime_of(stack).factory) as db:
        sessions = {s.id: s.starts_at for s in db.scalars(select(CoSession))}
    modal = driver.command_modal("UCOORD", "slow down", channel_id=CHANNEL)
    too_far = driver.submit_modal(
        "UCOORD",
        modal,
        state("value", mode=chosen("gaps"), amount=typed("400"), reason=typed("Rest")),
    )
    assert too_far["response_action"] == "errors"
    assert too_far["errors"] == {"amount": "Between 1 and 90 days."}
    answer = driver.submit_modal(
        "UCOORD",
        modal,
        state("value", mode=chosen("gaps"), amount=typed("28"), reason=typed("Rest")),
    )
    assert answer["response_action"] == "update"
    # neither the refused form nor the preview moved anything
    with transaction(runtime_of(stack).factory) as db:
        assert {s.id: s.starts_at for s in db.scalars(select(CoSession))} == sessions
        assert db.scalar(select(func.count(SlowDown.id))) == 0
    confirmed = driver.submit_modal("UCOORD", emulator.open_views[-1], {})
    assert "Moved 2 sessions" in json.dumps(confirmed["view"])
    with transaction(runtime_of(stack).factory) as db:
        rows = list(db.scalars(select(CoSession).order_by(CoSession.starts_at)))
    assert rows[0].starts_at == sessions[rows[0].id]  # the first keeps its date
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert later.starts_at - earlier.ends_at >= timedelta(days=28)
        assert later.starts_at.time() == earlier.starts_at.time()
    assert project_id


def test_coordinators_set_the_digests_cadence_inline_checked_or_stop_it(
    driver: Driver, stack: LocalStack, emulator: SlackEmulator
) -> None:
    seed(stack)
    assert "Only coordinators" in driver.command("UOVER", "digest", channel_id=CHANNEL)["text"]
    modal = driver.command_modal("UCOORD", "digest", channel_id=CHANNEL)
    refused = driver.submit_modal("UCOORD", modal, state("value", every=typed("3")))
    assert refused["response_action"] == "errors" and "every" in refused["errors"]
    with transaction(runtime_of(stack).factory) as db:
        assert db.scalar(select(func.count(Digest.id))) == 0
    saved = driver.submit_modal(
        "UCOORD",
        modal,
        {"every": {"value": typed("21")}, "enabled": {"value": ticked("on")}},
    )
    assert "errors" not in saved
    driver.dm_with("UCOORD", "every 21 days to 2 people")
    with transaction(runtime_of(stack).factory) as db:
        [digest] = db.scalars(select(Digest))
        assert digest.due_at == START + timedelta(days=21)
        targets = sorted(
            db.scalars(
                select(Delivery.target).where(
                    Delivery.kind == "oversight_digest", Delivery.status == "scheduled"
                )
            )
        )
    assert targets == ["UOVER", "USTEER"]
    # stopped: nothing more is owed
    again = driver.command_modal("UCOORD", "digest", channel_id=CHANNEL)
    driver.submit_modal(
        "UCOORD", again, {"every": {"value": typed("21")}, "enabled": {"value": ticked()}}
    )
    driver.dm_with("UCOORD", "digest is off")
    with transaction(runtime_of(stack).factory) as db:
        pending = db.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.kind.in_(("oversight_digest", "digest_preview")),
                Delivery.status == "scheduled",
            )
        )
    assert pending == 0
