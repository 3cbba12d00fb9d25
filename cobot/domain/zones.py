"""Time zones: which names are real, which zone to fall back on, and the day an instant is."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

LAST_RESORT = "UTC"


def valid_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    # ValueError for a path-like name, OSError for a directory of zones such as "Europe"
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def first_valid_timezone(*names: str | None) -> str:
    """The first of `names` that is a time zone this machine knows (a person's Slack zone,
    then their project's, say), or UTC when none is."""
    for name in names:
        if name and valid_timezone(name):
            return name
    return LAST_RESORT


def local_day(when: datetime, zone: str | ZoneInfo) -> date:
    """The date it is in `zone` at the aware instant `when`: `local_day(now,
    project.timezone)` is today in the project's zone (across a DST change too, since the
    offset is the one in force at `when`)."""
    if when.tzinfo is None:
        # astimezone() would read a naive time as the machine's local time
        raise ValueError("local_day needs an aware datetime")
    return when.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)).date()
