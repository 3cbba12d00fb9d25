"""The timeline rules: squeezed steps, phases and deadlines at risk."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from cobot.domain.sessions import LeadTimes
from cobot.domain.timeline import AGENDA
from cobot.domain.timeline import CLOSING
from cobot.domain.timeline import DEBRIEF
from cobot.domain.timeline import ENDED
from cobot.domain.timeline import NOTES
from cobot.domain.timeline import PLAN
from cobot.domain.timeline import RUNNING
from cobot.domain.timeline import SETTING_UP
from cobot.domain.timeline import RotaLine
from cobot.domain.timeline import SessionPoint
from cobot.domain.timeline import risks
from cobot.domain.timeline import steps_for
from cobot.domain.timeline import timeline

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEAD = LeadTimes()


def point(
    i: int,
    starts: datetime,
    *,
    debriefs_missing: tuple[str, ...] = (),
    notes_posted: bool = False,
    debriefs_closed: bool = False,
) -> SessionPoint:
    return SessionPoint(
        id=i,
        title=f"S{i}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        debriefs_missing=debriefs_missing,
        notes_posted=notes_posted,
        debriefs_closed=debriefs_closed,
    )


def test_weekly_gaps_squeeze_planning_and_fortnightly_ones_do_not() -> None:
    weekly = [point(1, NOW), point(2, NOW + timedelta(days=7))]
    squeezed = {(s.session_id, s.step) for s in steps_for(weekly, LEAD) if s.squeezed}
    assert squeezed == {(1, PLAN)}
    fortnightly = [point(1, NOW), point(2, NOW + timedelta(days=14))]
    assert not any(s.squeezed for s in steps_for(fortnightly, LEAD))
    two_days = [point(1, NOW), point(2, NOW + timedelta(days=2))]
    tight = {s.step for s in steps_for(two_days, LEAD) if s.squeezed}
    assert {DEBRIEF, PLAN, NOTES, AGENDA} <= tight


def test_every_session_has_its_steps_and_the_last_has_no_planning() -> None:
    steps = steps_for([point(1, NOW), point(2, NOW + timedelta(days=14))], LEAD)
    assert [(s.session_id, s.step) for s in steps if s.step in (PLAN, AGENDA)] == [
        (1, AGENDA),
        (1, PLAN),
        (2, AGENDA),
    ]


def test_phases() -> None:
    today = NOW.date()
    future = [point(1, NOW + timedelta(days=3))]
    assert timeline(future, now=NOW, today=today, end_date=None, lead=LEAD).phase == SETTING_UP
    mixed = [point(1, NOW - timedelta(days=3)), *future]
    line = timeline(mixed, now=NOW, today=today, end_date=date(2026, 3, 12), lead=LEAD)
    assert (line.phase, line.held, line.to_come, line.days_to_end) == (RUNNING, 1, 1, 10)
    past = [point(1, NOW - timedelta(days=3))]
    assert timeline(past, now=NOW, today=today, end_date=None, lead=LEAD).phase == CLOSING
    ended = timeline(past, now=NOW, today=today, end_date=date(2026, 3, 1), lead=LEAD)
    assert (ended.phase, ended.days_to_end) == (ENDED, -1)


def test_risks_are_work_not_done_near_or_past_its_deadline() -> None:
    sessions = [
        point(1, NOW - timedelta(days=5), debriefs_missing=("UF2",)),  # notes overdue
        point(2, NOW + timedelta(days=2)),  # agenda overdue (due 3 days before)
        point(3, NOW + timedelta(days=3, hours=12)),  # agenda due within a day
        point(4, NOW + timedelta(days=10)),  # fine
        point(5, NOW - timedelta(days=40)),  # old history: not a risk any more
        point(
            6,
            NOW - timedelta(days=5),
            notes_posted=True,
            debriefs_closed=True,
            debriefs_missing=("UF1",),
        ),
    ]
    found = [(r.session_id, r.what, r.overdue) for r in risks(sessions, now=NOW, lead=LEAD)]
    assert sorted(found) == [
        (1, "debriefs", True),
        (1, NOTES, True),
        (2, AGENDA, True),
        (3, AGENDA, False),
    ]


def test_rota_flags() -> None:
    line = RotaLine(1, "S1", NOW, ("UF1",), 13)
    assert line.short_of_facilitators and line.too_big
    assert not RotaLine(1, "S1", NOW, ("UF1", "UF2"), 12).too_big
