"""Co-production sessions: the rules a session must meet and the work between sessions.

The case study's interval between sessions must leave time for the practitioners' debrief,
feedback to be collated, the next session to be planned and amended, notes to reach the
participants, and the agenda and materials to go out early enough to digest. Weekly sessions
were too tight; these functions say which of those steps a given gap squeezes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from cobot.domain.durations import format_duration
from cobot.domain.text import TypedText


class SessionKind(StrEnum):
    """What a session is: a co-production workshop (the series the between-session work is
    about), reflective practice for the practitioners, or an ending's celebration."""

    WORKSHOP = "workshop"
    REFLECTIVE = "reflective"
    CELEBRATION = "celebration"
    # a debrief, briefing call or oversight meeting found with a poll: reminded, not debriefed
    MEETING = "meeting"


class SessionStatus(StrEnum):
    """A session is scheduled until cancelled."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SessionRole(StrEnum):
    """A person's place on one session."""

    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"


class SessionChange(StrEnum):
    """How a session changed (the words its announcements use, too)."""

    ADDED = "added"
    EDITED = "edited"
    MOVED = "moved"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionChanged:
    """A session was added, edited (people or details), moved or cancelled; the features
    that owe something about it re-plan (see services/session_changes.py)."""

    session_id: int
    change: SessionChange


@dataclass(frozen=True)
class SessionTimes:
    """A session's id, title and UTC times: what every rule about one session starts from."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SessionFacts(SessionTimes):
    """What every message about a session shows of it and its project (reminders use all of
    it, debriefs the first six)."""

    timezone: str
    project_name: str
    venue: str = ""
    objectives: str = ""
    aims: str = ""


MIN_FACILITATORS = 2
MAX_GROUP = 12
MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=8)
MAX_TITLE = 150
MAX_VENUE = 300


@dataclass(frozen=True)
class LeadTimes:
    """A project's lead times, defaults from the case study; coordinators can change them."""

    agenda_before: timedelta = timedelta(days=3)
    debrief_within: timedelta = timedelta(days=1)
    feedback_within: timedelta = timedelta(days=2)
    plan_time: timedelta = timedelta(days=2)
    notes_after: timedelta = timedelta(days=2)
    accessibility_before: timedelta = timedelta(days=1)
    onboarding_before: timedelta = timedelta(days=3)

    def to_json(self) -> dict[str, int]:
        """Seconds per lead time, for storage."""
        return {f.name: int(getattr(self, f.name).total_seconds()) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LeadTimes:
        """Stored seconds back to lead times; unknown or bad entries fall back to defaults."""
        values: dict[str, timedelta] = {}
        for f in fields(cls):
            raw = (data or {}).get(f.name)
            if isinstance(raw, int) and raw >= 0:
                values[f.name] = timedelta(seconds=raw)
        return replace(cls(), **values)


LEAD_TIME_LABELS = {
    "agenda_before": "Agenda and materials go to participants, before the session",
    "debrief_within": "Practitioners debrief, within this time after the session",
    "feedback_within": "Feedback is collated for practitioners, within this time after",
    "plan_time": "Practitioners need this long to plan and amend the next session",
    "notes_after": "Notes go to participants, within this time after the session",
    "accessibility_before": "Accessibility checklist for facilitators, before the session",
    "onboarding_before": "Remind the coordinator of unfinished onboarding, before session 1",
}


@dataclass(frozen=True)
class Problem:
    """Something wrong (or worth a second look) about one field of a session."""

    field: str
    message: str


@dataclass(frozen=True)
class SessionInput:
    """A session as someone typed it, in the project's local time."""

    title: str
    day: date
    start: time
    duration: timedelta
    facilitators: tuple[str, ...]
    participants: tuple[str, ...]
    venue: str = ""
    objectives: str = ""


@dataclass(frozen=True)
class Neighbour(SessionTimes):
    """Another session of the same project."""


@dataclass(frozen=True)
class SessionCheck:
    """What the rules say about a session: errors refuse it, warnings inform."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    participants: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors


class LocalTimeError(ValueError):
    """A wall-clock time that does not exist in the zone that day (clocks went forward)."""


def to_utc(day: date, start: time, tz: ZoneInfo) -> tuple[datetime, bool]:
    """The UTC instant of a local wall-clock time; True when it was ambiguous (clocks back).

    An ambiguous time takes its first occurrence; a skipped one raises LocalTimeError.
    """
    naive = datetime.combine(day, start)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise LocalTimeError(f"{start:%H:%M} does not exist on {day:%d %B %Y} in {tz.key}")
    return first.astimezone(UTC), first.utcoffset() != second.utcoffset()


def shift(when: datetime, delta: timedelta, tz: ZoneInfo) -> datetime:
    """`when` moved by `delta`; whole days keep the local time of day across DST changes.

    "The day before" a 10:00 session is 10:00 the previous day in the project's zone,
    which is 23 or 25 hours before when the clocks change in between.
    """
    if delta % timedelta(days=1) != timedelta(0):
        return when + delta
    local = when.astimezone(tz).replace(tzinfo=None) + delta
    return local.replace(tzinfo=tz).astimezone(UTC)


def agenda_deadline(starts_at: datetime, lead: LeadTimes, tz: ZoneInfo) -> datetime:
    """When the agenda and materials should reach participants."""
    return shift(starts_at, -lead.agenda_before, tz)


def check_session(
    data: SessionInput,
    *,
    tz: ZoneInfo,
    now: datetime,
    neighbours: list[Neighbour],
    lead: LeadTimes,
) -> SessionCheck:
    """Apply every rule; the result carries the UTC times when they could be worked out."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    title = data.title.strip()
    typed = {
        "title": TypedText(MAX_TITLE, "the title", "Give the session a title.").problem(title),
        "venue": TypedText(MAX_VENUE, "the venue or link").problem(data.venue),
    }
    errors.extend(Problem(name, message) for name, message in typed.items() if message)
    facilitators = tuple(dict.fromkeys(data.facilitators))
    if len(facilitators) < MIN_FACILITATORS:
        errors.append(
            Problem(
                "facilitators",
                "Choose at least two facilitators. Co-production sessions can be emotionally "
                "charged and draining; two facilitators support each other and the group.",
            )
        )
    participants = tuple(p for p in dict.fromkeys(data.participants) if p not in facilitators)
    if len(participants) > MAX_GROUP:
        warnings.append(
            Problem(
                "participants",
                f"{len(participants)} participants. Groups of more than {MAX_GROUP} make it "
                "hard for every voice to be heard and for trust to build; consider two "
                "groups, or other ways to include more people.",
            )
        )
    if not MIN_DURATION <= data.duration <= MAX_DURATION:
        errors.append(
            Problem(
                "duration",
                f"A session lasts between {format_duration(MIN_DURATION)} and "
                f"{format_duration(MAX_DURATION)}.",
            )
        )
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    try:
        starts_at, ambiguous = to_utc(data.day, data.start, tz)
    except LocalTimeError as exc:
        errors.append(Problem("time", f"{exc} (the clocks go forward); pick another time."))
    else:
        ends_at = starts_at + data.duration
        if ambiguous:
            warnings.append(
                Problem(
                    "time",
                    f"{data.start:%H:%M} happens twice on {data.day:%d %B} in {tz.key} (the "
                    "clocks go back); cobot uses the first.",
                )
            )
        if starts_at <= now:
            errors.append(Problem("date", "That time has already passed; pick a future date."))
        else:
            warnings.extend(interval_warnings(title, starts_at, ends_at, neighbours, lead))
    return SessionCheck(
        errors=errors,
        warnings=warnings,
        starts_at=starts_at,
        ends_at=ends_at,
        participants=participants,
    )


# the between-session steps a gap must hold (the timeline draws them by these keys), and
# how the interval warning names each
DEBRIEF = "debrief"
FEEDBACK = "feedback"
PLAN = "plan"
NOTES = "notes"
AGENDA = "agenda"
STEP_WORDS = {
    DEBRIEF: "the practitioners' debrief",
    FEEDBACK: "collating feedback for the practitioners",
    NOTES: "notes to the participants",
    PLAN: "planning and amending the next session",
    AGENDA: "sending the agenda and materials early enough to digest",
}


def squeezed_keys(prev_end: datetime, next_start: datetime, lead: LeadTimes) -> list[str]:
    """The keys of the between-session steps that do not fit between one session and the
    next: those done after the session that end after the agenda must go out, then the
    agenda itself when it would have to go out before the first session ends."""
    agenda_out = next_start - lead.agenda_before
    after = {
        DEBRIEF: lead.debrief_within,
        FEEDBACK: lead.feedback_within,
        NOTES: lead.notes_after,
        PLAN: lead.feedback_within + lead.plan_time,
    }
    squeezed = [key for key, within in after.items() if prev_end + within > agenda_out]
    if agenda_out < prev_end:
        squeezed.append(AGENDA)
    return squeezed


def squeezed_steps(prev_end: datetime, next_start: datetime, lead: LeadTimes) -> list[str]:
    """The between-session steps that do not fit between one session and the next, in words."""
    return [STEP_WORDS[key] for key in squeezed_keys(prev_end, next_start, lead)]


def minimum_gap(lead: LeadTimes) -> timedelta:
    """The shortest gap between sessions that squeezes nothing."""
    longest = max(lead.debrief_within, lead.feedback_within + lead.plan_time, lead.notes_after)
    return longest + lead.agenda_before


def interval_warnings(
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    neighbours: Sequence[SessionTimes],
    lead: LeadTimes,
) -> list[Problem]:
    """Warnings about overlaps and squeezed intervals with the sessions either side."""
    problems: list[Problem] = []
    before = [n for n in neighbours if n.starts_at < starts_at]
    after = [n for n in neighbours if n.starts_at >= starts_at]
    for other in neighbours:
        if other.starts_at < ends_at and starts_at < other.ends_at:
            problems.append(Problem("date", f"This overlaps “{other.title}”."))
    pairs = []
    if before:
        prev = max(before, key=lambda n: n.starts_at)
        pairs.append((prev.title, prev.ends_at, title or "this session", starts_at))
    if after:
        nxt = min(after, key=lambda n: n.starts_at)
        pairs.append((title or "this session", ends_at, nxt.title, nxt.starts_at))
    for first, first_end, second, second_start in pairs:
        if second_start <= first_end:
            continue
        squeezed = squeezed_steps(first_end, second_start, lead)
        if squeezed:
            problems.append(
                Problem(
                    "date",
                    f"The gap between “{first}” and “{second}” "
                    f"({format_duration(_round_hours(second_start - first_end))}) squeezes "
                    f"{_join(squeezed)}. The case study found weekly sessions too tight; "
                    f"with this project's lead times allow at least "
                    f"{format_duration(minimum_gap(lead))} between sessions.",
                )
            )
    return problems


def _round_hours(value: timedelta) -> timedelta:
    return timedelta(hours=round(value.total_seconds() / 3600))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
