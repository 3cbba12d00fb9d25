"""Time zones: the one rule for a usable zone name, and the day an instant falls on."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from zoneinfo import ZoneInfo

import pytest

from cobot.domain.zones import first_valid_timezone
from cobot.domain.zones import local_day
from cobot.domain.zones import valid_timezone


@pytest.mark.parametrize("name", ["Europe/London", "America/New_York", "UTC"])
def test_real_zones_are_valid(name: str) -> None:
    assert valid_timezone(name)


@pytest.mark.parametrize(
    "name",
    ["", " Europe/London", "Europe/London ", "europe/london", "Mars/Olympus", "../etc", "Europe"],
)
def test_unknown_padded_path_like_and_directory_names_are_not(name: str) -> None:
    # "Europe" is a directory of zones: ZoneInfo raises OSError for it, not ZoneInfoNotFoundError
    assert not valid_timezone(name)


def test_the_first_valid_name_wins_and_utc_is_the_last_resort() -> None:
    assert first_valid_timezone("America/Chicago", "Europe/London") == "America/Chicago"
    assert first_valid_timezone(None, "Europe/London") == "Europe/London"
    assert first_valid_timezone("", "Europe/London") == "Europe/London"
    assert first_valid_timezone("Nowhere/Special", "Europe/London") == "Europe/London"
    assert first_valid_timezone("Europe", "Europe/Dublin") == "Europe/Dublin"
    assert first_valid_timezone("Nowhere/Special", "Also/Not") == "UTC"
    assert first_valid_timezone() == "UTC"


def test_local_day_is_the_date_in_the_zone_not_in_utc() -> None:
    late_evening_utc = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert local_day(late_evening_utc, "Europe/London") == date(2026, 3, 2)
    assert local_day(late_evening_utc, "Europe/Berlin") == date(2026, 3, 3)
    assert local_day(late_evening_utc, "America/New_York") == date(2026, 3, 2)
    assert local_day(late_evening_utc, ZoneInfo("Asia/Tokyo")) == date(2026, 3, 3)


def test_local_day_takes_the_offset_in_force_across_a_dst_change() -> None:
    # London goes to BST at 01:00 UTC on 29 March 2026; 23:30 UTC is 00:30 the next day in
    # summer but still the same day the evening before the change
    assert local_day(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "Europe/London") == date(
        2026, 3, 28
    )
    assert local_day(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), "Europe/London") == date(
        2026, 3, 30
    )


def test_local_day_reads_any_aware_datetime_and_refuses_a_naive_one() -> None:
    plus_ten = datetime(2026, 3, 3, 8, 0, tzinfo=timezone(timedelta(hours=10)))
    assert local_day(plus_ten, "Europe/London") == date(2026, 3, 2)
    with pytest.raises(ValueError, match="aware"):
        local_day(datetime(2026, 3, 2, 23, 30), "Europe/London")  # noqa: DTZ001
