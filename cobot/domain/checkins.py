"""Wellbeing check-ins: the mood scale, when the next check-in falls, and safe aggregates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from cobot.domain.disclosure import MIN_OTHERS
from cobot.domain.disclosure import disclose

# aggregates only where at least this many people other than the viewer answered
MIN_GROUP = MIN_OTHERS

MOODS: dict[int, str] = {1: "Struggling", 2: "Low", 3: "OK", 4: "Good", 5: "Great"}
MOOD_EMOJI: dict[int, str] = {
    1: ":cloud_with_rain:",
    2: ":cloud:",
    3: ":partly_sunny:",
    4: ":mostly_sunny:",
    5: ":sunny:",
}
# an answer at or below this is low; this many low answers in a row is a low streak
LOW_MOOD = 2
LOW_STREAK = 3

DEFAULT_TIME = time(10, 0)
# no one gets a check-in at night: the time a person picks must fall in this window
EARLIEST = time(7, 0)
LATEST = time(21, 0)
DEFAULT_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# the project's rhythm: days between regular check-ins
RHYTHMS: dict[str, int] = {"weekly": 7, "fortnightly": 14}
DEFAULT_RHYTHM = "weekly"
DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 3650

# a check-in more than this late (cobot was down) is skipped: it may have become night
MAX_LATENESS = timedelta(hours=3)

SPARKS = {1: "\u2581", 2: "\u2582", 3: "\u2584", 4: "\u2586", 5: "\u2588"}

_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)


def mood_label(mood: int) -> str:
    """A mood in words with its number, e.g. "2 Low"."""
    return f"{mood} {MOODS.get(mood, '?')}"


def is_low(mood: int) -> bool:
    """Whether an answer is low enough to offer support."""
    return mood <= LOW_MOOD


def low_streak(recent_newest_first: Sequence[int]) -> bool:
    """Whether the last LOW_STREAK answers were all low."""
    last = list(recent_newest_first[:LOW_STREAK])
    return len(last) == LOW_STREAK and all(is_low(m) for m in last)


def sparkline(moods: Iterable[int]) -> str:
    """A text trend, oldest first: one block per answer, taller for better."""
    return "".join(SPARKS.get(m, "?") for m in moods)


def parse_time(text: str) -> time | str:
    """A time of day people type ("10:00", "9.30", "2pm"), or what is wrong with it."""
    found = _TIME.match(text or "")
    if found is None:
        return "Write the time like 10:00 (24-hour) or 10am."
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    suffix = (found.group(3) or "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            return "Write the time like 10:00 (24-hour) or 10am."
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return "That is not a time of day: write it like 10:00."
    return check_time(time(hour, minute))


def check_time(at: time) -> time | str:
    """The time if it is during the day, or why not."""
    if at < EARLIEST or at > LATEST:
        return (
            f"Pick a time between {EARLIEST:%H:%M} and {LATEST:%H:%M}. cobot never sends "
            "check-ins at night, so they do not wake anyone or find people alone with them."
        )
    return at


def format_days(days: Iterable[int]) -> str:
    """Working days as people read them."""
    chosen = sorted(set(days))
    if chosen == [0, 1, 2, 3, 4]:
        return "Monday to Friday"
    if chosen == list(range(7)):
        return "every day"
    return ", ".join(DAY_NAMES[d] for d in chosen) or "no days"


def local_slot(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on local `day`, in UTC. A time skipped by a DST change moves forward by the gap
    (fold=0 reads it with the offset before the change); a repeated one is the first."""
    return datetime.combine(day, at).replace(tzinfo=tz).astimezone(UTC)


def first_slot(
    after: datetime,
    *,
    tz: ZoneInfo,
    at: time,
    days: Sequence[int],
    from_date: date | None = None,
    paused_until: date | None = None,
) -> datetime:
    """The first check-in time strictly after `after`: `at` local, on a working day, on or
    after `from_date` and `paused_until` (the day the person is back)."""
    working = set(days) or set(DEFAULT_DAYS)
    day = after.astimezone(tz).date()
    for bound in (from_date, paused_until):
        if bound is not None and bound > day:
            day = bound
    for _ in range(800):
        if day.weekday() in working:
            slot = local_slot(day, at, tz)
            if slot > after:
                return slot
        day += timedelta(days=1)
    raise ValueError("no check-in day found")  # unreachable with at least one working day


def next_checkin(
    after: datetime,
    *,
    tz: ZoneInfo,
    at: time,
    days: Sequence[int],
    interval_days: int,
    last_date: date | None,
    session_ends: Sequence[datetime] = (),
    paused_until: date | None = None,
) -> datetime:
    """When the next check-in is due: the regular one `interval_days` after the last (the
    first working-day slot from then), or sooner after a session the person took part in."""
    start = last_date + timedelta(days=interval_days) if last_date is not None else None
    best = first_slot(after, tz=tz, at=at, days=days, from_date=start, paused_until=paused_until)
    for end in session_ends:
        if end < after:
            continue
        slot = first_slot(end, tz=tz, at=at, days=days, paused_until=paused_until)
        best = min(best, slot)
    return best


# ---------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class Answered:
    """One answer as an aggregate sees it: whose (to count people), which group, the mood."""

    person: str
    group: str
    mood: int


@dataclass(frozen=True)
class GroupFigures:
    """What a coordinator may see about one group in one period."""

    group: str
    people: int
    answers: int
    average: float
    low_answers: int


@dataclass(frozen=True)
class Aggregate:
    """The figures safe to show: the total, the groups, and the groups held back."""

    total: GroupFigures | None
    groups: tuple[GroupFigures, ...]
    hidden: tuple[str, ...]


def _figures(group: str, rows: Sequence[Answered]) -> GroupFigures:
    moods = [r.mood for r in rows]
    return GroupFigures(
        group=group,
        people=len({r.person for r in rows}),
        answers=len(moods),
        average=round(sum(moods) / len(moods), 1),
        low_answers=sum(1 for m in moods if is_low(m)),
    )


def aggregate(rows: Sequence[Answered]) -> Aggregate:
    """Figures for the whole and per group, as `disclosure.disclose` allows: nothing under
    MIN_PEOPLE people, and never a breakdown whose held-back part (total minus the shown
    groups) is non-empty and under MIN_PEOPLE.

    Each person counts in one group (the group of their latest answer in `rows`, which are
    oldest first), so a person who changed role cannot be split across two groups.
    """
    group_of = {r.person: r.group for r in rows}
    by_group: dict[str, list[Answered]] = {}
    for row in rows:
        by_group.setdefault(group_of[row.person], []).append(row)
    figures = {g: _figures(g, rs) for g, rs in by_group.items()}
    decided = disclose({g: f.people for g, f in figures.items()})
    if not decided.total:
        return Aggregate(total=None, groups=(), hidden=())
    return Aggregate(
        total=_figures("all", rows),
        groups=tuple(figures[g] for g in decided.shown),
        hidden=decided.held,
    )
