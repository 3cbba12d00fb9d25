"""Governance without extra layers: the project plan (milestones), the oversight digest's
cadence, and slowing down (pure rules: no database, no Slack).

The case study's set-up took seven months (oversight group, recruitment, stakeholder
mapping, evaluation metrics, risk plan, training) before five workshops, a draft and the
participants' review. It asks for aims and deadlines "repeated for reinforcement" and for
being "transparent with those who have commissioned the project if timeframes need to slip
to prioritise wellbeing": slowing down is legitimate and is said openly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import Problem
from cobot.domain.sessions import SessionTimes
from cobot.domain.sessions import interval_warnings
from cobot.domain.sessions import shift
from cobot.domain.text import TypedText


class MilestoneStatus(StrEnum):
    """A milestone is open until someone marks it done."""

    OPEN = "open"
    DONE = "done"


class SlowDownMode(StrEnum):
    """How a slow-down moves things: everything later by N weeks, or the gaps between
    sessions widened to at least N days."""

    WEEKS = "weeks"
    GAPS = "gaps"


# the case study's steps, in order: (key, title, share of the project's span when it is due)
TEMPLATE: tuple[tuple[str, str, float], ...] = (
    ("oversight", "Oversight group formed", 0.05),
    ("team", "Project team recruited", 0.10),
    ("stakeholders", "Stakeholders mapped", 0.15),
    ("evaluation", "Evaluation measures agreed", 0.20),
    ("risks", "Risks assessed", 0.25),
    ("training", "Practitioners and participants trained", 0.35),
    ("recruitment", "Participants recruited and briefed", 0.45),
    ("sessions", "Co-production sessions", 0.70),
    ("draft", "Draft produced", 0.80),
    ("review", "Participants' review", 0.90),
    ("launch", "Launch", 1.00),
)
CUSTOM = "custom"

MAX_TITLE = 150
MAX_LINE = 500
MAX_REASON = 1000
MAX_WEEKS = 26
MAX_GAP_DAYS = 90
DEFAULT_DIGEST_DAYS = 14
MIN_DIGEST_DAYS = 7
MAX_DIGEST_DAYS = 91
PREVIEW_BEFORE = timedelta(days=1)
# with no end date, the template spreads over this long from the start
DEFAULT_SPAN = timedelta(days=300)


def spread_due_dates(start: date, end: date | None) -> list[date]:
    """A due date for each template step, spread over the project from `start` to `end`
    (or DEFAULT_SPAN when it has no end date), in the template's order."""
    finish = end if end is not None and end > start else start + DEFAULT_SPAN
    span = (finish - start).days
    return [start + timedelta(days=max(1, round(span * share))) for _k, _t, share in TEMPLATE]


def overdue(due_on: date | None, status: str, today: date) -> bool:
    """Whether a milestone is past its due date and not done."""
    return due_on is not None and status == MilestoneStatus.OPEN and due_on < today


def check_milestone(title: str) -> dict[str, str]:
    """Field errors for a milestone's title (block id "title")."""
    return TypedText(MAX_TITLE, "the title", "Give the milestone a title.").problems(
        {"title": title}
    )


def check_line(line: str) -> dict[str, str]:
    """Field errors for the coordinator's line in the digest (block id "line")."""
    return TypedText(MAX_LINE, "the line").problems({"line": line})


def check_digest_every(days: int | None) -> dict[str, str]:
    """Field errors for the digest's cadence in days (block id "every")."""
    if days is None or not MIN_DIGEST_DAYS <= days <= MAX_DIGEST_DAYS:
        return {
            "every": f"Send it every {MIN_DIGEST_DAYS} to {MAX_DIGEST_DAYS} days "
            "(14 is every two weeks)."
        }
    return {}


@dataclass(frozen=True)
class SlowDownInput:
    """What the coordinator asked for: a mode, its amount and why."""

    mode: SlowDownMode
    amount: int
    reason: str


_REASON = TypedText(
    MAX_REASON,
    "the reason",
    "Say why: the oversight and steering groups are told, so the slip is open.",
)


def check_slow_down(mode: str, amount_text: str, reason: str) -> SlowDownInput | dict[str, str]:
    """The slow-down form read and checked: its input, or field errors by block id."""
    errors: dict[str, str] = {}
    chosen: SlowDownMode | None = None
    try:
        chosen = SlowDownMode(mode)
    except ValueError:
        errors["mode"] = "Choose how to slow down."
    amount: int | None = None
    try:
        amount = int(amount_text.strip())
    except ValueError:
        errors["amount"] = "Write a whole number, for example 2."
    limit = MAX_GAP_DAYS if chosen is SlowDownMode.GAPS else MAX_WEEKS
    unit = "days" if chosen is SlowDownMode.GAPS else "weeks"
    if amount is not None and not 1 <= amount <= limit:
        errors["amount"] = f"Between 1 and {limit} {unit}."
    problem = _REASON.problem(reason)
    if problem is not None:
        errors["reason"] = problem
    if errors or chosen is None or amount is None:
        return errors
    return SlowDownInput(mode=chosen, amount=amount, reason=reason.strip())


@dataclass(frozen=True)
class Moved:
    """A session's old and new start (and new end)."""

    id: int
    title: str
    old_start: datetime
    new_start: datetime
    new_end: datetime


def slow_sessions(
    sessions: Sequence[SessionTimes], plan: SlowDownInput, *, tz: ZoneInfo
) -> list[Moved]:
    """Where each future session goes (soonest first): N weeks later, keeping the local
    time of day; or, widening gaps, each session no sooner than N days after the previous
    one ends (the moves add up: a session keeps its distance from the one before it)."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.id))
    moved: list[Moved] = []
    if plan.mode is SlowDownMode.WEEKS:
        delta = timedelta(weeks=plan.amount)
        for s in ordered:
            start = shift(s.starts_at, delta, tz)
            moved.append(
                Moved(s.id, s.title, s.starts_at, start, start + (s.ends_at - s.starts_at))
            )
        return moved
    gap = timedelta(days=plan.amount)
    previous_end: datetime | None = None
    for s in ordered:
        start = s.starts_at
        if previous_end is not None and start < previous_end + gap:
            # whole days later, so the session keeps its local time of day
            days = (previous_end + gap - start + timedelta(days=1) - timedelta(seconds=1)).days
            start = shift(start, timedelta(days=days), tz)
        moved.append(Moved(s.id, s.title, s.starts_at, start, start + (s.ends_at - s.starts_at)))
        previous_end = moved[-1].new_end
    return moved


def slow_milestone(due_on: date, plan: SlowDownInput, *, moved_by: timedelta) -> date:
    """A future milestone's new due date: N weeks later; widening gaps, as far as the
    sessions moved in total (the plan slips with its sessions)."""
    if plan.mode is SlowDownMode.WEEKS:
        return due_on + timedelta(weeks=plan.amount)
    return due_on + timedelta(days=moved_by.days)


def interval_checks(
    moved: Sequence[Moved], others: Sequence[SessionTimes], lead: LeadTimes
) -> list[Problem]:
    """The interval rule of cobot/domain/sessions.py applied to the new dates: overlaps and
    squeezed gaps between the moved sessions and with the sessions that stay put."""
    after = [SessionTimes(m.id, m.title, m.new_start, m.new_end) for m in moved]
    problems: list[Problem] = []
    seen: set[str] = set()
    for m in moved:
        neighbours = [n for n in after if n.id != m.id] + list(others)
        for problem in interval_warnings(m.title, m.new_start, m.new_end, neighbours, lead):
            if problem.message not in seen:
                seen.add(problem.message)
                problems.append(problem)
    return problems
