"""The governance rules: the template's dates, the forms' checks and where a slow-down moves
things (across a clock change too)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from cobot.domain.governance import TEMPLATE
from cobot.domain.governance import SlowDownInput
from cobot.domain.governance import SlowDownMode
from cobot.domain.governance import check_digest_every
from cobot.domain.governance import check_line
from cobot.domain.governance import check_slow_down
from cobot.domain.governance import interval_checks
from cobot.domain.governance import overdue
from cobot.domain.governance import slow_milestone
from cobot.domain.governance import slow_sessions
from cobot.domain.governance import spread_due_dates
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import SessionTimes

LONDON = ZoneInfo("Europe/London")


def test_the_template_spreads_over_the_project_in_order_and_ends_on_its_last_day() -> None:
    start, end = date(2027, 1, 4), date(2027, 7, 30)
    dates = spread_due_dates(start, end)
    assert len(dates) == len(TEMPLATE) == 11
    assert dates == sorted(dates) and start < dates[0] and dates[-1] == end
    # no end date: the default span, still in order
    open_ended = spread_due_dates(start, None)
    assert open_ended == sorted(open_ended) and open_ended[-1] == start + timedelta(days=300)


def test_overdue_is_past_due_and_not_done() -> None:
    today = date(2027, 3, 2)
    assert overdue(date(2027, 3, 1), "open", today)
    assert not overdue(date(2027, 3, 2), "open", today)
    assert not overdue(date(2027, 3, 1), "done", today)
    assert not overdue(None, "open", today)


def _fields(found: SlowDownInput | dict[str, str]) -> set[str]:
    assert isinstance(found, dict), found
    return set(found)


def test_the_forms_are_checked_field_by_field() -> None:
    assert _fields(check_slow_down("sideways", "x", "")) == {"mode", "amount", "reason"}
    assert _fields(check_slow_down("weeks", "27", "Rest")) == {"amount"}
    assert _fields(check_slow_down("gaps", "91", "Rest")) == {"amount"}
    assert check_slow_down("gaps", " 28 ", " Rest ") == SlowDownInput(SlowDownMode.GAPS, 28, "Rest")
    assert check_line("x" * 501) and not check_line("On track")
    assert check_digest_every(None) and check_digest_every(6) and not check_digest_every(14)


def _session(n: int, start: datetime) -> SessionTimes:
    return SessionTimes(n, f"Workshop {n}", start, start + timedelta(hours=2))


def test_moving_by_weeks_keeps_the_local_time_across_the_clock_change() -> None:
    # 10:00 GMT on 20 March; two weeks later London is on BST
    before = datetime(2027, 3, 20, 10, tzinfo=UTC)
    [moved] = slow_sessions(
        [_session(1, before)], SlowDownInput(SlowDownMode.WEEKS, 2, "Rest"), tz=LONDON
    )
    assert moved.new_start.astimezone(LONDON).hour == 10
    assert moved.new_start - moved.old_start == timedelta(weeks=2, hours=-1)
    assert moved.new_end - moved.new_start == timedelta(hours=2)


def test_widening_gaps_moves_each_session_as_far_as_needed_and_adds_up() -> None:
    first = datetime(2027, 5, 3, 9, tzinfo=UTC)
    weekly = [_session(n, first + timedelta(weeks=n)) for n in range(3)]
    moved = slow_sessions(weekly, SlowDownInput(SlowDownMode.GAPS, 14, "Rest"), tz=LONDON)
    assert moved[0].new_start == first
    for earlier, later in zip(moved, moved[1:], strict=False):
        assert later.new_start - earlier.new_end >= timedelta(days=14)
        assert later.new_start - earlier.new_end < timedelta(days=15)
        assert later.new_start.astimezone(LONDON).time() == first.astimezone(LONDON).time()
    # milestones slip as far as the sessions did in all
    total = moved[-1].new_start - moved[-1].old_start
    plan = SlowDownInput(SlowDownMode.GAPS, 14, "Rest")
    assert slow_milestone(date(2027, 6, 1), plan, moved_by=total) == date(2027, 6, 1) + timedelta(
        days=total.days
    )


def test_the_interval_checks_use_the_sessions_rule_on_the_new_dates() -> None:
    first = datetime(2027, 5, 3, 9, tzinfo=UTC)
    weekly = [_session(n, first + timedelta(weeks=n)) for n in range(2)]
    plan = SlowDownInput(SlowDownMode.WEEKS, 1, "Rest")
    squeezed = interval_checks(slow_sessions(weekly, plan, tz=LONDON), [], LeadTimes())
    assert squeezed and "squeezes" in squeezed[0].message
    widened = slow_sessions(weekly, SlowDownInput(SlowDownMode.GAPS, 14, "Rest"), tz=LONDON)
    assert interval_checks(widened, [], LeadTimes()) == []
