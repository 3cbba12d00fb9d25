"""What may be published about a group of people: one rule and one partition of time.

Every figure cobot shows about people's answers (check-in moods in the summary, Home, the
report and its CSVs; feeling words, boats and evaluation themes) goes through `disclose`,
so one function decides what is safe everywhere.

The rule (statistical disclosure control, the "threshold rule" with a complementary check):

- A figure (the whole project, or one role group) is shown only when at least
  MIN_OTHERS people *other than the viewer* are in it. The viewer may be anyone who can
  see the figure, and we cannot know at read time whether a viewer answered: `forget me`
  and retention delete answer rows while the published figure stays, and keeping a list of
  who answered each period would itself be personal data outliving the erasure. So the
  rule is applied for the worst viewer, one who answered: a figure needs MIN_PEOPLE =
  MIN_OTHERS + 1 people. Then every viewer, member or not, before or after erasing their
  own answers, finds at least MIN_OTHERS other people behind it. The threshold does not
  depend on the viewer, so a stored figure is the same for everyone and stays sound for
  ever.
- A split (role groups shown beside the total) never leaves a remainder, the total minus
  the shown groups, that is non-empty and smaller than MIN_PEOPLE: more groups are held
  back (smallest first) until the remainder is empty or large enough, else only the total
  is shown. This is the idea of the feelings tally in endings, with the same threshold.
- Figures exist only for fixed, closed, non-overlapping periods of one granularity,
  calendar months in the project's time zone (`Period`). A month's figures are computed
  once after it ends and stored; they never change afterwards. There are no free window
  lengths and no two granularities (a year minus its months would reveal a suppressed
  month), so two figures a viewer can obtain are either the same figure, a total and its
  groups (guarded by the remainder rule), or figures over disjoint answers.

An answer belongs to the month of the day it was asked for (`asked_on`), which does not
move when the person changes their answer later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

# at least this many people other than whoever is looking
MIN_OTHERS = 3
# so a figure needs this many people in it: the viewer may be one of them
MIN_PEOPLE = MIN_OTHERS + 1

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_KEY = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Disclosure:
    """What may be shown: the total or not, the groups shown on their own, the groups held
    back (counted only in the total, or in one combined "others" figure)."""

    total: bool
    shown: tuple[str, ...]
    held: tuple[str, ...]


def disclose(people: Mapping[str, int]) -> Disclosure:
    """Decide, from how many people are in each group, what may be shown.

    The total needs MIN_PEOPLE people; a group is shown on its own with MIN_PEOPLE people;
    the held-back groups together are empty or at least MIN_PEOPLE people (shown groups
    are held back, smallest first, until they are), so no subtraction of shown figures
    from the total isolates fewer than MIN_OTHERS people besides the viewer. Groups come
    back sorted by name.
    """
    present = {g: n for g, n in people.items() if n > 0}
    if sum(present.values()) < MIN_PEOPLE:
        return Disclosure(total=False, shown=(), held=tuple(sorted(present)))
    shown = {g for g, n in present.items() if n >= MIN_PEOPLE}
    held = set(present) - shown
    while held and sum(present[g] for g in held) < MIN_PEOPLE and shown:
        smallest = min(shown, key=lambda g: (present[g], g))
        shown.discard(smallest)
        held.add(smallest)
    return Disclosure(total=True, shown=tuple(sorted(shown)), held=tuple(sorted(held)))


# ---------------------------------------------------------------- the one partition


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month: the only period figures are published for."""

    year: int
    month: int

    @property
    def key(self) -> str:
        """How it is stored and typed: "2026-11"."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """How people read it: "November 2026"."""
        return f"{MONTHS[self.month - 1].capitalize()} {self.year}"

    @property
    def first_day(self) -> date:
        """Its first day."""
        return date(self.year, self.month, 1)

    def next(self) -> Period:
        """The month after."""
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def ends(self, tz: ZoneInfo) -> datetime:
        """When it closes: midnight starting the next month, in the project's zone (UTC)."""
        return datetime.combine(self.next().first_day, time()).replace(tzinfo=tz).astimezone(UTC)

    @staticmethod
    def of(day: date) -> Period:
        """The month a day falls in."""
        return Period(day.year, day.month)

    @staticmethod
    def from_key(key: str) -> Period:
        """The period stored as `key` ("2026-11")."""
        found = _KEY.match(key)
        if found is None or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"not a period: {key!r}")
        return Period(int(found.group(1)), int(found.group(2)))


def current_period(now: datetime, tz: ZoneInfo) -> Period:
    """The open month at `now` in the project's zone."""
    return Period.of(now.astimezone(tz).date())


def closed_periods(since: date, now: datetime, tz: ZoneInfo) -> tuple[Period, ...]:
    """Every month from the one holding `since` that has ended by `now`, oldest first."""
    last = current_period(now, tz)
    found: list[Period] = []
    period = Period.of(since)
    while period < last:
        found.append(period)
        period = period.next()
    return tuple(found)


PERIOD_USAGE = "Name a month that has ended, e.g. `november`, `november 2026` or `2026-11`."


def parse_period(text: str, *, closed: Sequence[Period], current: Period) -> Period | str:
    """The month a person typed, among the closed ones, or a clear message why not.

    A month name without a year means its latest closed occurrence.
    """
    words = text.strip().lower().split()
    wanted: Period | None = None
    name: int | None = None
    if len(words) == 1 and _KEY.match(words[0]):
        try:
            wanted = Period.from_key(words[0])
        except ValueError:
            return PERIOD_USAGE
    elif 1 <= len(words) <= 2:
        matches = [
            i for i, m in enumerate(MONTHS, 1) if len(words[0]) >= 3 and m.startswith(words[0])
        ]
        if len(matches) != 1:
            return PERIOD_USAGE
        name = matches[0]
        if len(words) == 2:
            if not (words[1].isascii() and words[1].isdigit() and len(words[1]) == 4):
                return PERIOD_USAGE
            wanted = Period(int(words[1]), name)
    else:
        return PERIOD_USAGE
    if wanted is None:
        assert name is not None
        same = [p for p in closed if p.month == name]
        if not same:
            return f"There are no figures for {MONTHS[name - 1].capitalize()} yet. {PERIOD_USAGE}"
        return max(same)
    if wanted >= current:
        return (
            f"{wanted.label} has not ended yet: its figures appear once it ends, so that "
            "they never change afterwards."
        )
    if wanted not in closed:
        return f"There are no figures for {wanted.label}: the project had not started."
    return wanted


__all__ = [
    "MIN_OTHERS",
    "MIN_PEOPLE",
    "PERIOD_USAGE",
    "Disclosure",
    "Period",
    "closed_periods",
    "current_period",
    "disclose",
    "parse_period",
]
