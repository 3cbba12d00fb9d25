"""Check-in rules: times, DST, travel, pauses, and aggregates that never reveal one person."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

from cobot.domain import checkins as rules
from cobot.domain.checkins import Answered

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = rules.DEFAULT_DAYS


def local(dt: datetime, tz: ZoneInfo = LONDON) -> datetime:
    return dt.astimezone(tz)


def test_next_weekly_checkin_stays_at_10_local_across_spring_forward() -> None:
    # last check-in Monday 23 March 2026 (GMT); clocks go forward on Sunday 29 March
    after = datetime(2026, 3, 23, 10, 0, tzinfo=UTC)
    due = rules.next_checkin(
        after, tz=LONDON, at=time(10), days=WEEKDAYS, interval_days=7, last_date=date(2026, 3, 23)
    )
    assert local(due).timetuple()[:5] == (2026, 3, 30, 10, 0)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # BST: 10:00 is 09:00 UTC


def test_next_weekly_checkin_stays_at_10_local_across_fall_back() -> None:
    after = datetime(2026, 10, 19, 9, 0, tzinfo=UTC)  # 10:00 BST
    due = rules.next_checkin(
        after, tz=LONDON, at=time(10), days=WEEKDAYS, interval_days=7, last_date=date(2026, 10, 19)
    )
    assert local(due).timetuple()[:5] == (2026, 10, 26, 10, 0)
    assert due == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)  # GMT again


def test_a_time_skipped_by_the_clocks_shifts_forward() -> None:
    # 01:30 does not exist in London on 29 March 2026: it becomes 02:30 BST
    slot = rules.local_slot(date(2026, 3, 29), time(1, 30), LONDON)
    assert local(slot).timetuple()[:5] == (2026, 3, 29, 2, 30)


def test_travel_a_different_zone_gives_a_different_instant_at_the_same_local_time() -> None:
    after = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    here = rules.first_slot(after, tz=LONDON, at=time(10), days=WEEKDAYS)
    there = rules.first_slot(after, tz=ZoneInfo("America/New_York"), at=time(10), days=WEEKDAYS)
    assert local(here).hour == 10 and local(there, ZoneInfo("America/New_York")).hour == 10
    assert there != here


def test_working_days_and_pause_are_honoured() -> None:
    friday = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)
    assert rules.first_slot(friday, tz=LONDON, at=time(10), days=WEEKDAYS).date() == date(
        2026, 3, 9
    )
    paused = rules.first_slot(
        friday, tz=LONDON, at=time(10), days=WEEKDAYS, paused_until=date(2026, 3, 18)
    )
    assert paused.date() == date(2026, 3, 18)


def test_after_a_session_the_next_checkin_comes_sooner() -> None:
    after = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    session_end = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    due = rules.next_checkin(
        after,
        tz=LONDON,
        at=time(10),
        days=WEEKDAYS,
        interval_days=7,
        last_date=date(2026, 3, 2),
        session_ends=[session_end],
    )
    assert due == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_times_at_night_are_refused_with_a_reason() -> None:
    assert rules.parse_time("10:00") == time(10)
    assert rules.parse_time("2pm") == time(14)
    assert rules.parse_time("9.30") == time(9, 30)
    for night in ("03:00", "22:30", "6am"):
        refused = rules.parse_time(night)
        assert isinstance(refused, str) and "never sends check-ins at night" in refused
    assert isinstance(rules.parse_time("tea time"), str)
    assert isinstance(rules.parse_time("25:00"), str)


def test_low_answers_and_streaks() -> None:
    assert rules.is_low(2) and not rules.is_low(3)
    assert rules.low_streak([2, 1, 2])
    assert not rules.low_streak([2, 3, 1])
    assert not rules.low_streak([1, 1])
    assert rules.sparkline([1, 3, 5]) == "\u2581\u2584\u2588"


def rows(group: str, people: int, mood: int = 3, prefix: str = "") -> list[Answered]:
    return [Answered(person=f"{prefix or group}{i}", group=group, mood=mood) for i in range(people)]


def test_nothing_is_shown_below_four_people_three_besides_any_viewer() -> None:
    result = rules.aggregate(rows("participant", 3))
    assert result.total is None and result.groups == () and result.hidden == ()
    assert rules.aggregate(rows("participant", 4)).total is not None


def test_a_small_group_is_hidden_and_one_more_so_subtraction_reveals_nothing() -> None:
    data = rows("participant", 4) + rows("practitioner", 3) + rows("steering", 1, mood=1)
    result = rules.aggregate(data)
    assert result.total is not None and result.total.people == 8
    shown = {g.group for g in result.groups}
    assert "steering" not in shown
    hidden_people = result.total.people - sum(g.people for g in result.groups)
    assert hidden_people >= rules.MIN_GROUP + 1
    assert set(result.hidden) >= {"steering"}


def test_when_no_split_is_safe_only_the_total_is_shown() -> None:
    data = rows("participant", 4) + rows("steering", 1)
    result = rules.aggregate(data)
    assert result.total is not None and result.groups == ()
    assert set(result.hidden) == {"participant", "steering"}


def test_a_person_counts_in_one_group_only() -> None:
    data = [
        Answered("U1", "participant", 3),
        Answered("U1", "practitioner", 4),
        *rows("practitioner", 4),
    ]
    result = rules.aggregate(data)
    assert [g.people for g in result.groups] == [5]
