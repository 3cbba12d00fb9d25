"""The session rules: facilitators, group size, time zones across DST, squeezed intervals."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import LocalTimeError
from cobot.domain.sessions import Neighbour
from cobot.domain.sessions import SessionCheck
from cobot.domain.sessions import SessionInput
from cobot.domain.sessions import check_session
from cobot.domain.sessions import minimum_gap
from cobot.domain.sessions import squeezed_steps
from cobot.domain.sessions import to_utc

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def session(**overrides: object) -> SessionInput:
    values: dict[str, object] = {
        "title": "Kick-off",
        "day": date(2027, 1, 14),
        "start": time(10, 0),
        "duration": timedelta(hours=2),
        "facilitators": ("UF1", "UF2"),
        "participants": tuple(f"UP{i}" for i in range(8)),
    }
    values.update(overrides)
    return SessionInput(**values)  # type: ignore[arg-type]


def check(data: SessionInput, neighbours: list[Neighbour] | None = None) -> SessionCheck:
    return check_session(data, tz=LONDON, now=NOW, neighbours=neighbours or [], lead=LeadTimes())


def test_local_times_become_utc_on_both_sides_of_the_spring_change() -> None:
    assert to_utc(date(2027, 3, 27), time(10), LONDON) == (
        datetime(2027, 3, 27, 10, tzinfo=UTC),
        False,
    )
    assert to_utc(date(2027, 3, 28), time(10), LONDON) == (
        datetime(2027, 3, 28, 9, tzinfo=UTC),
        False,
    )


def test_a_skipped_time_raises_and_a_repeated_one_is_ambiguous() -> None:
    with pytest.raises(LocalTimeError):
        to_utc(date(2027, 3, 28), time(1, 30), LONDON)
    instant, ambiguous = to_utc(date(2027, 10, 31), time(1, 30), LONDON)
    assert ambiguous and instant == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_a_good_session_has_no_problems_and_utc_times() -> None:
    result = check(session())
    assert result.ok and result.warnings == []
    assert result.starts_at == datetime(2027, 1, 14, 10, tzinfo=UTC)
    assert result.ends_at == datetime(2027, 1, 14, 12, tzinfo=UTC)


def test_one_facilitator_is_an_error_that_explains_why() -> None:
    result = check(session(facilitators=("UF1", "UF1")))
    [error] = result.errors
    assert error.field == "facilitators" and "at least two" in error.message


def test_thirteen_participants_warn_but_facilitators_do_not_count() -> None:
    result = check(session(participants=("UF1",) + tuple(f"UP{i}" for i in range(13))))
    assert result.ok and len(result.participants) == 13
    [warning] = result.warnings
    assert warning.field == "participants" and "13 participants" in warning.message


def test_past_skipped_and_too_long_sessions_are_errors() -> None:
    assert [e.field for e in check(session(day=date(2027, 1, 1))).errors] == ["date"]
    assert [e.field for e in check(session(day=date(2027, 3, 28), start=time(1, 30))).errors] == [
        "time"
    ]
    assert [e.field for e in check(session(duration=timedelta(hours=9))).errors] == ["duration"]
    assert [e.field for e in check(session(venue="x" * 301)).errors] == ["venue"]


def test_weekly_sessions_squeeze_the_planning_and_name_it() -> None:
    first = Neighbour(
        id=1,
        title="Session 1",
        starts_at=datetime(2027, 1, 7, 10, tzinfo=UTC),
        ends_at=datetime(2027, 1, 7, 12, tzinfo=UTC),
    )
    [warning] = check(session(title="Session 2"), [first]).warnings
    assert "planning and amending the next session" in warning.message
    assert "“Session 1” and “Session 2”" in warning.message
    assert "debrief" not in warning.message


def test_squeezed_steps_and_the_minimum_gap_agree() -> None:
    lead = LeadTimes()
    end = datetime(2027, 1, 7, 12, tzinfo=UTC)
    assert squeezed_steps(end, end + minimum_gap(lead), lead) == []
    assert "sending the agenda and materials early enough to digest" in squeezed_steps(
        end, end + timedelta(days=2), lead
    )


def test_an_overlap_warns() -> None:
    other = Neighbour(
        id=1,
        title="Other",
        starts_at=datetime(2027, 1, 14, 11, tzinfo=UTC),
        ends_at=datetime(2027, 1, 14, 13, tzinfo=UTC),
    )
    assert any("overlaps “Other”" in w.message for w in check(session(), [other]).warnings)


def test_lead_times_round_trip_and_ignore_bad_entries() -> None:
    lead = LeadTimes(agenda_before=timedelta(days=5))
    assert LeadTimes.from_json(lead.to_json()) == lead
    assert LeadTimes.from_json({"agenda_before": "soon", "plan_time": -1}) == LeadTimes()


def test_shift_keeps_the_local_time_for_whole_days_across_a_clock_change() -> None:
    from datetime import UTC
    from datetime import datetime
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from cobot.domain.sessions import shift

    london = ZoneInfo("Europe/London")
    session = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)  # 10:00 BST, the day the clocks change
    day_before = shift(session, -timedelta(days=1), london)
    assert day_before.astimezone(london).hour == 10
    assert session - day_before == timedelta(hours=23)
    assert shift(session, -timedelta(hours=1), london) == session - timedelta(hours=1)
