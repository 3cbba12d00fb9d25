"""Involvement rules: money in pence, time logs, rates, claims periods, the budget's pace,
HMRC's retention and a fair share of facilitation."""

from __future__ import annotations

from datetime import date

import pytest

from cobot.domain.involvement import Rates
from cobot.domain.involvement import TimeLogInput
from cobot.domain.involvement import budget_pace
from cobot.domain.involvement import check_rates
from cobot.domain.involvement import check_time_log
from cobot.domain.involvement import chunks
from cobot.domain.involvement import finance_keep_until
from cobot.domain.involvement import format_money
from cobot.domain.involvement import last_closed_month
from cobot.domain.involvement import overloaded
from cobot.domain.involvement import parse_money
from cobot.domain.involvement import pay_for

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("12.50", 1250), ("£12.5", 1250), ("1,200", 120000), (" 0.07 ", 7), ("€3", 300)],
)
def test_money_is_read_exactly_as_pence(typed: str, pence: int) -> None:
    assert parse_money(typed) == pence


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-5", "negative"),
        ("abc", "numbers"),
        ("1.234", "two decimal places"),
        ("10000.01", "more than £10,000.00"),
        ("", "Enter an amount"),
        ("nan", "numbers"),
    ],
)
def test_bad_money_says_what_is_wrong(typed: str, problem: str) -> None:
    found = parse_money(typed)
    assert isinstance(found, str) and problem in found


def test_money_is_formatted_per_currency_and_pay_rounds_half_up_to_the_penny() -> None:
    assert format_money(123450) == "£1,234.50"
    assert format_money(5, "EUR") == "€0.05"
    assert format_money(-300, "USD") == "-$3.00"
    assert format_money(100, "JPY") == "1.00 JPY"
    assert pay_for(150, 2000) == 5000
    assert pay_for(1, 1250) == 21  # 20.83 pence rounds to 21
    assert pay_for(1, 30) == 1  # exactly half a penny rounds up


def test_rates_are_equal_by_default_and_a_different_rate_needs_a_reason() -> None:
    equal = Rates(default=2000, by_role={"participant": 2000})
    assert not equal.differ() and check_rates(equal) == {}
    equity = Rates(default=2000, by_activity={"review_draft": 2500})
    assert equity.rate("participant", "review_draft") == 2500
    assert equity.rate("participant", "session") == 2000
    assert "reason" in check_rates(equity)
    assert check_rates(Rates(default=2000, by_activity={"x": 2500}, reason="Longer prep")) == {}
    role = Rates(default=2000, by_role={"practitioner": 0}, by_activity={"session": 2500})
    assert role.rate("practitioner", "session") == 2500  # an activity's rate wins
    assert role.rate("practitioner", "briefing_call") == 0


def _log(**changes: str | date | None) -> TimeLogInput:
    base: dict[str, object] = {
        "activity": "review_draft",
        "day": TODAY,
        "hours": "1",
        "minutes": "30",
        "note": "",
    }
    base.update(changes)
    return TimeLogInput(**base)  # type: ignore[arg-type]


def test_time_logs_are_checked_field_by_field() -> None:
    assert check_time_log(_log(), today=TODAY) == (90, {})
    assert "day" in check_time_log(_log(day=date(2026, 12, 2)), today=TODAY)[1]
    assert "day" in check_time_log(_log(day=None), today=TODAY)[1]
    assert "24 hours" in check_time_log(_log(hours="24", minutes="1"), today=TODAY)[1]["hours"]
    assert check_time_log(_log(hours="24", minutes=""), today=TODAY) == (1440, {})
    assert "negative" in check_time_log(_log(hours="-1"), today=TODAY)[1]["hours"]
    assert "59" in check_time_log(_log(minutes="75"), today=TODAY)[1]["minutes"]
    assert "whole number" in check_time_log(_log(hours="1.5"), today=TODAY)[1]["hours"]
    assert "activity" in check_time_log(_log(activity="session"), today=TODAY)[1]
    assert "note" in check_time_log(_log(note="x" * 501), today=TODAY)[1]
    assert "Enter the time" in check_time_log(_log(hours="0", minutes="0"), today=TODAY)[1]["hours"]


def test_claim_periods_and_hmrc_retention() -> None:
    assert last_closed_month(TODAY) == (date(2026, 11, 1), date(2026, 11, 30))
    assert last_closed_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    # the tax year ends on 5 April; records are kept 6 years from that end
    assert finance_keep_until(date(2026, 4, 5)) == date(2032, 4, 5)
    assert finance_keep_until(date(2026, 4, 6)) == date(2033, 4, 5)
    assert finance_keep_until(TODAY) == date(2033, 4, 5)


def test_spending_ahead_of_the_timeline_is_flagged_past_the_margin() -> None:
    start, end = date(2026, 1, 1), date(2026, 12, 31)  # 364 days
    half = date(2026, 7, 2)  # 182 days: half the time gone
    on_pace = budget_pace(budget=10000, spent=5900, start=start, end=end, today=half)
    assert not on_pace.ahead  # 59% spent, 50% of the time: inside the 10-point margin
    ahead = budget_pace(budget=10000, spent=6100, start=start, end=end, today=half)
    assert ahead.ahead
    over = budget_pace(budget=10000, spent=10001, start=start, end=end, today=end)
    assert over.ahead  # spending past the budget, whatever the date
    assert not budget_pace(budget=0, spent=100, start=start, end=end, today=half).ahead
    undated = budget_pace(budget=10000, spent=9000, start=None, end=None, today=half)
    assert not undated.ahead  # without dates all the time counts as gone


def test_one_facilitator_carrying_much_more_is_flagged() -> None:
    assert overloaded({"UF1": 600, "UF2": 180, "UF3": 200}) == ["UF1"]
    assert overloaded({"UF1": 300, "UF2": 240}) == []
    assert overloaded({"UF1": 600}) == []
    assert overloaded({"UF1": 0, "UF2": 0}) == []


def test_checkbox_inputs_hold_ten_people_at_most() -> None:
    people = [f"U{i}" for i in range(23)]
    assert [len(c) for c in chunks(people)] == [10, 10, 3]
    assert chunks([]) == []
