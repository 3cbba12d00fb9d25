"""Finding a time that works: availability polls, standing availability, and the ranking.

The case study's first administrative "stone in the shoe" was scheduling across many diaries.
A co-production poll differs from a generic one: a workshop needs at least two facilitators
able to come, should suit as many participants as possible, and should not squeeze the
interval before the next session. Pure rules only: no storage, no Slack.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cobot.domain.sessions import MAX_DURATION
from cobot.domain.sessions import MAX_TITLE as MAX_TITLE  # a poll's title is its session's
from cobot.domain.sessions import MIN_DURATION
from cobot.domain.sessions import MIN_FACILITATORS
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import to_utc
from cobot.domain.text import TypedText
from cobot.domain.vocabulary import Labelled
from cobot.domain.vocabulary import labels


class PollPurpose(Labelled):
    """What a poll finds a time for."""

    WORKSHOP = "workshop", "A co-production workshop"
    DEBRIEF = "debrief", "A practitioners' debrief"
    REFLECTIVE = "reflective", "Reflective practice"
    BRIEFING = "briefing", "A one-to-one briefing call"
    OVERSIGHT = "oversight", "An oversight meeting"


PURPOSE_LABELS = labels(PollPurpose)


def session_kind(purpose: PollPurpose) -> SessionKind:
    """The kind of session a poll's chosen time becomes (reusing SessionKind where it
    matches; the others are meetings: reminded of, not debriefed like a workshop)."""
    if purpose is PollPurpose.WORKSHOP:
        return SessionKind.WORKSHOP
    if purpose is PollPurpose.REFLECTIVE:
        return SessionKind.REFLECTIVE
    return SessionKind.MEETING


class PollStatus(StrEnum):
    """A poll is open for answers, closed (answers in, awaiting the choice), scheduled
    (a session was made or moved from it) or cancelled."""

    OPEN = "open"
    CLOSED = "closed"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Audience(Labelled):
    """Who a poll asks (besides anyone named)."""

    FACILITATORS = "facilitators", "The project's facilitators (practitioners)"
    PARTICIPANTS = "participants", "Facilitators and participants"
    EVERYONE = "everyone", "Anyone in the project"
    NAMED = "named", "Only the people I name below"


AUDIENCE_LABELS = labels(Audience)


class Answer(Labelled):
    """One person's answer for one slot; PROBABLY_NO and PENDING are never stored: they are
    what an unanswered slot shows (a standing-availability clash, or nothing yet)."""

    YES = "yes", "Yes"
    IF_NEED_BE = "if_need_be", "If need be"
    NO = "no", "No"
    PROBABLY_NO = "probably_no", "Probably no"
    PENDING = "pending", "Not yet"


STORED_ANSWERS = (Answer.YES, Answer.IF_NEED_BE, Answer.NO)
ANSWER_LABELS = labels(Answer)
ABLE = frozenset({Answer.YES, Answer.IF_NEED_BE})

# every slot is one block in the invitation DM (Slack: 50 blocks a message) and one in the
# tally: 40 leaves room for the header, the note button and the footer in both
MAX_SLOTS = 40
MAX_NOTE = 500
DEFAULT_CLOSE = timedelta(days=3)
NUDGE_BEFORE = timedelta(days=1)
TOP = 3
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


# ---------------------------------------------------------------- slots


@dataclass(frozen=True)
class Generator:
    """ "Weekdays, 10:00–16:00, the next 3 weeks, every 2 hours", in the project's zone."""

    first_day: date
    weeks: int
    day_start: time
    day_end: time
    every: timedelta
    weekdays_only: bool = True


def generate_slots(gen: Generator, *, duration: timedelta, tz: ZoneInfo) -> list[datetime]:
    """The UTC start of every slot the generator describes that fits (start plus duration
    by the day's end); local times the clocks skip are left out."""
    starts: list[datetime] = []
    if gen.every <= timedelta(0) or gen.weeks <= 0:
        return starts
    for offset in range(gen.weeks * 7):
        day = gen.first_day + timedelta(days=offset)
        if gen.weekdays_only and day.weekday() >= 5:
            continue
        at = datetime.combine(day, gen.day_start)
        end = datetime.combine(day, gen.day_end)
        while at + duration <= end:
            with contextlib.suppress(ValueError):
                starts.append(to_utc(day, at.time(), tz)[0])
            at += gen.every
            if len(starts) > MAX_SLOTS * 10:  # far past any limit: stop counting
                return starts
    return starts


@dataclass(frozen=True)
class PollInput:
    """A poll as the form gave it."""

    purpose: PollPurpose
    title: str
    duration: timedelta
    starts: tuple[datetime, ...]
    asked: tuple[str, ...]
    closes_at: datetime


def check_poll(data: PollInput, *, now: datetime) -> dict[str, str]:
    """The form's problems by field: no slots, slots in the past, too many, a duration under
    15 minutes, nobody asked, a close that is not before the first slot."""
    problems: dict[str, str] = {}
    title = TypedText(MAX_TITLE, "the title").problem(data.title)
    if title is not None:
        problems["title"] = title
    if data.duration < MIN_DURATION:
        problems["duration"] = "A session lasts at least 15 minutes."
    elif data.duration > MAX_DURATION:
        problems["duration"] = "A session lasts at most 8 hours."
    if not data.starts:
        problems["slots"] = "Give at least one time, or generate them below."
    elif any(s <= now for s in data.starts):
        problems["slots"] = "Some of those times have already passed; pick future times."
    elif len(set(data.starts)) > MAX_SLOTS:
        problems["slots"] = (
            f"That makes {len(set(data.starts))} times; ask about {MAX_SLOTS} at most "
            "(fewer weeks, a shorter day or a longer step) so everyone can answer them all."
        )
    if not data.asked:
        problems["asked"] = "Nobody would be asked: choose who, or name people."
    if data.closes_at <= now:
        problems["closes"] = "Answers must close in the future."
    elif data.starts and data.closes_at > min(data.starts):
        problems["closes"] = "Answers must close before the first time asked about."
    return problems


# ---------------------------------------------------------------- standing availability


class PartOfDay(Labelled):
    """A standing preference for part of the day."""

    ANY = "any", "Any time of day"
    MORNINGS = "mornings", "Mornings only (until 13:00)"
    AFTERNOONS = "afternoons", "Afternoons only (from 12:00)"


PART_LABELS = labels(PartOfDay)
NOON = time(12, 0)
MORNING_END = time(13, 0)
MAX_WINDOWS = 3


@dataclass(frozen=True)
class BusyWindow:
    """A recurring weekday window someone is busy ("school run 15:00–16:00")."""

    start: time
    end: time
    label: str = ""


@dataclass(frozen=True)
class Standing:
    """One person's standing availability, in their own zone."""

    timezone: str
    weekdays_off: frozenset[int] = frozenset()
    part: PartOfDay = PartOfDay.ANY
    windows: tuple[BusyWindow, ...] = ()


def clash(standing: Standing, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a slot clashes with someone's standing availability (for them to read), or None."""
    tz = ZoneInfo(standing.timezone)
    start = starts_at.astimezone(tz)
    end = ends_at.astimezone(tz)
    if start.weekday() in standing.weekdays_off:
        return f"you are usually not available on {WEEKDAYS[start.weekday()]}"
    if standing.part is PartOfDay.MORNINGS and (
        end.date() > start.date() or end.time() > MORNING_END
    ):
        return "you are usually available in the mornings only"
    if standing.part is PartOfDay.AFTERNOONS and start.time() < NOON:
        return "you are usually available in the afternoons only"
    if start.weekday() < 5:
        for window in standing.windows:
            w_start = start.replace(hour=window.start.hour, minute=window.start.minute)
            w_end = start.replace(hour=window.end.hour, minute=window.end.minute)
            if w_start < end and start < w_end:
                what = window.label or "a busy time"
                return f"{what} {window.start:%H:%M}–{window.end:%H:%M}"
    return None


# ---------------------------------------------------------------- the ranking


@dataclass(frozen=True)
class Counts:
    """How one group answered one slot."""

    yes: int = 0
    if_need_be: int = 0
    no: int = 0
    pending: int = 0

    @property
    def able(self) -> int:
        """Yes or if need be."""
        return self.yes + self.if_need_be

    @property
    def total(self) -> int:
        """Everyone in the group."""
        return self.yes + self.if_need_be + self.no + self.pending


def count(answers: Iterable[Answer]) -> Counts:
    """Tally answers; "probably no" (a standing clash, unanswered) counts as no."""
    yes = maybe = no = pending = 0
    for answer in answers:
        if answer is Answer.YES:
            yes += 1
        elif answer is Answer.IF_NEED_BE:
            maybe += 1
        elif answer in (Answer.NO, Answer.PROBABLY_NO):
            no += 1
        else:
            pending += 1
    return Counts(yes=yes, if_need_be=maybe, no=no, pending=pending)


@dataclass(frozen=True)
class SlotTally:
    """One slot with how facilitators and participants answered it."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    facilitators: Counts
    participants: Counts


@dataclass(frozen=True)
class Ranked:
    """A proposed slot, with why it ranks where it does."""

    tally: SlotTally
    reasons: tuple[str, ...]


def needs_facilitators(purpose: PollPurpose) -> bool:
    """A workshop slot without two facilitators able is never proposed."""
    return purpose is PollPurpose.WORKSHOP


def rank(
    slots: Sequence[SlotTally], *, purpose: PollPurpose, now: datetime, top: int = TOP
) -> list[Ranked]:
    """The best slots, best first: at least two facilitators able (required for a workshop,
    preferred otherwise), then most participants able, then fewest "if need be", then
    earliest. Slots already started are never proposed."""
    future = [s for s in slots if s.starts_at > now]
    if needs_facilitators(purpose):
        future = [s for s in future if s.facilitators.able >= MIN_FACILITATORS]

    def key(s: SlotTally) -> tuple[int, int, int, datetime, int]:
        enough = s.facilitators.able >= MIN_FACILITATORS
        maybe = s.facilitators.if_need_be + s.participants.if_need_be
        return (0 if enough else 1, -s.participants.able, maybe, s.starts_at, s.slot_id)

    ordered = sorted(future, key=key)
    chosen = ordered[:top]
    result = []
    for place, slot in enumerate(chosen):
        runner_up = ordered[place + 1] if place + 1 < len(ordered) else None
        result.append(Ranked(tally=slot, reasons=tuple(_reasons(slot, runner_up))))
    return result


def _reasons(slot: SlotTally, nxt: SlotTally | None) -> list[str]:
    f, p = slot.facilitators, slot.participants
    reasons = []
    if f.able >= MIN_FACILITATORS:
        extra = f" ({f.if_need_be} only if need be)" if f.if_need_be else ""
        reasons.append(f"{f.able} of {f.total} facilitators can come{extra}")
    else:
        reasons.append(
            f"only {f.able} of {f.total} facilitators can come: a session needs "
            f"{MIN_FACILITATORS} to support each other and the group"
        )
    if p.total:
        extra = f", {p.if_need_be} of them only if need be" if p.if_need_be else ""
        reasons.append(f"{p.able} of {p.total} participants can come{extra}")
    if f.pending + p.pending:
        reasons.append(f"{f.pending + p.pending} not answered yet")
    if nxt is not None:
        same = (
            (f.able >= MIN_FACILITATORS) == (nxt.facilitators.able >= MIN_FACILITATORS)
            and p.able == nxt.participants.able
            and f.if_need_be + p.if_need_be
            == nxt.facilitators.if_need_be + nxt.participants.if_need_be
        )
        if same:
            reasons.append("as good as the next, and earlier")
    return reasons


def poll_from_form(
    *,
    purpose: str,
    title: str,
    duration: timedelta | None,
    starts: Sequence[datetime],
    generate_from: date | None,
    weeks: str,
    every_minutes: str,
    day_start: time | None,
    day_end: time | None,
    weekdays_only: bool,
    audience: str,
    asked: tuple[str, ...],
    closes_on: date | None,
    timezone: str,
    today: date,
    now: datetime,
) -> tuple[PollInput, Audience, dict[str, str]]:
    """The find-time form's values as typed, with its defaults (a workshop, for 2 hours,
    asking facilitators and participants; generated times: 3 weeks of weekdays 10:00–16:00,
    every 2 hours, from `generate_from`, added to the picked `starts`), the poll closing at
    this time of day on `closes_on`; and the problems by block id (a generator whose day
    ends before it starts, no closing day). `duration` None is one that could not be read
    (its problem is the caller's): 2 hours, so the generated times can still be checked."""
    problems: dict[str, str] = {}
    try:
        chosen = PollPurpose(purpose or PollPurpose.WORKSHOP)
    except ValueError:
        chosen = PollPurpose.WORKSHOP
    length = timedelta(hours=2) if duration is None else duration
    slots = list(starts)
    if generate_from is not None:
        try:
            span, step = int(weeks or "3"), timedelta(minutes=int(every_minutes or "120"))
        except ValueError:
            span, step = 3, timedelta(hours=2)
        gen = Generator(
            first_day=generate_from,
            weeks=span,
            day_start=day_start or time(10),
            day_end=day_end or time(16),
            every=step,
            weekdays_only=weekdays_only,
        )
        if gen.day_end <= gen.day_start:
            problems["gen_end"] = "End the day after it starts."
        slots += generate_slots(gen, duration=length, tz=ZoneInfo(timezone))
    try:
        who = Audience(audience or Audience.PARTICIPANTS)
    except ValueError:
        who = Audience.PARTICIPANTS
    closes_at = now + DEFAULT_CLOSE
    if closes_on is None:
        problems["closes"] = "Pick the day answers close."
    else:
        closes_at = now + timedelta(days=(closes_on - today).days)
    data = PollInput(
        purpose=chosen,
        title=title,
        duration=length,
        starts=tuple(slots),
        asked=asked,
        closes_at=closes_at,
    )
    return data, who, problems
