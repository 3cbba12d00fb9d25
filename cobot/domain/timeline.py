"""A project's timeline: its phase, the work between sessions, and the deadlines at risk.

Pure rules for the coordinator's Home and the timeline picture. The between-session steps
come from the project's lead times, and a step is "squeezed" exactly when
`cobot.domain.sessions.squeezed_keys` says the gap before the next session cannot hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from cobot.domain.sessions import AGENDA as AGENDA
from cobot.domain.sessions import DEBRIEF as DEBRIEF
from cobot.domain.sessions import FEEDBACK as FEEDBACK
from cobot.domain.sessions import MAX_GROUP
from cobot.domain.sessions import MIN_FACILITATORS
from cobot.domain.sessions import NOTES as NOTES
from cobot.domain.sessions import PLAN as PLAN
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import SessionTimes
from cobot.domain.sessions import squeezed_keys

# the between-session steps (keyed as sessions.squeezed_keys names them), in the order they
# appear in a gap
STEPS = (DEBRIEF, FEEDBACK, PLAN, NOTES, AGENDA)
STEP_LABELS = {
    DEBRIEF: "Debrief",
    FEEDBACK: "Feedback collated",
    PLAN: "Plan next session",
    NOTES: "Notes to participants",
    AGENDA: "Agenda out",
}

# a deadline this close (and its work not done) counts as at risk
AT_RISK_WITHIN = timedelta(days=1)
# work due longer ago than this is history rather than a risk worth a coordinator's eye
RISK_HORIZON = timedelta(days=14)

# phases of a project
SETTING_UP = "setting up"
RUNNING = "running sessions"
CLOSING = "closing"
ENDED = "ended"


@dataclass(frozen=True)
class SessionPoint(SessionTimes):
    """One scheduled session as the timeline needs it (no people's answers)."""

    facilitators: int = 0
    participants: int = 0
    agenda_shared: bool = False
    notes_posted: bool = False
    debriefs_missing: tuple[str, ...] = ()
    debriefs_closed: bool = False


@dataclass(frozen=True)
class MilestonePoint:
    """A milestone of the project plan, as the timeline picture draws it."""

    title: str
    due_on: date
    done: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class Step:
    """One between-session step for one session: when it should happen, and whether the gap
    to the next session squeezes it."""

    session_id: int
    step: str
    start: datetime
    end: datetime
    squeezed: bool


@dataclass(frozen=True)
class Timeline:
    """Where a project stands."""

    phase: str
    held: int
    to_come: int
    next_start: datetime | None
    days_to_end: int | None
    squeezed_gaps: int


@dataclass(frozen=True)
class Risk:
    """A deadline at risk or missed: which session, what, when it is (was) due."""

    session_id: int
    title: str
    what: str  # agenda | notes | debriefs
    due_at: datetime
    overdue: bool
    who: tuple[str, ...] = ()


@dataclass(frozen=True)
class RotaLine:
    """Who facilitates one upcoming session, and how big its group is."""

    session_id: int
    title: str
    starts_at: datetime
    facilitators: tuple[str, ...]
    participants: int

    @property
    def short_of_facilitators(self) -> bool:
        """Fewer than the two facilitators the case study asks for."""
        return len(self.facilitators) < MIN_FACILITATORS

    @property
    def too_big(self) -> bool:
        """More than the group size at which every voice can still be heard."""
        return self.participants > MAX_GROUP


def steps_for(sessions: list[SessionPoint], lead: LeadTimes) -> list[Step]:
    """The between-session steps of every session, oldest first, squeezed ones marked.

    After each session: its debrief, collated feedback, notes; before the next: planning
    (after the feedback) and the agenda. The last session has no planning step.
    """
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.id))
    steps: list[Step] = []
    if ordered:
        first = ordered[0]
        steps.append(
            Step(first.id, AGENDA, first.starts_at - lead.agenda_before, first.starts_at, False)
        )
    for index, session in enumerate(ordered):
        nxt = ordered[index + 1] if index + 1 < len(ordered) else None
        squeezed: set[str] = set()
        if nxt is not None and nxt.starts_at > session.ends_at:
            squeezed = set(squeezed_keys(session.ends_at, nxt.starts_at, lead))
        elif nxt is not None:
            squeezed = set(STEPS)  # overlapping sessions: nothing fits
        end = session.ends_at
        steps.append(Step(session.id, DEBRIEF, end, end + lead.debrief_within, DEBRIEF in squeezed))
        feedback_end = end + lead.feedback_within
        steps.append(Step(session.id, FEEDBACK, end, feedback_end, FEEDBACK in squeezed))
        steps.append(Step(session.id, NOTES, end, end + lead.notes_after, NOTES in squeezed))
        if nxt is not None:
            steps.append(
                Step(
                    session.id,
                    PLAN,
                    feedback_end,
                    feedback_end + lead.plan_time,
                    PLAN in squeezed,
                )
            )
            steps.append(
                Step(
                    nxt.id,
                    AGENDA,
                    nxt.starts_at - lead.agenda_before,
                    nxt.starts_at,
                    AGENDA in squeezed,
                )
            )
    return steps


def timeline(
    sessions: list[SessionPoint],
    *,
    now: datetime,
    today: date,
    end_date: date | None,
    lead: LeadTimes,
) -> Timeline:
    """The phase (setting up, running sessions, closing, ended), sessions held and to come,
    days to the project's end date, and how many gaps between sessions squeeze a step."""
    held = [s for s in sessions if s.ends_at <= now]
    to_come = sorted((s for s in sessions if s.ends_at > now), key=lambda s: s.starts_at)
    if end_date is not None and today > end_date:
        phase = ENDED
    elif not held:
        phase = SETTING_UP
    elif to_come:
        phase = RUNNING
    else:
        phase = CLOSING
    gaps = {s.session_id for s in steps_for(sessions, lead) if s.squeezed and s.step != AGENDA}
    return Timeline(
        phase=phase,
        held=len(held),
        to_come=len(to_come),
        next_start=to_come[0].starts_at if to_come else None,
        days_to_end=(end_date - today).days if end_date is not None else None,
        squeezed_gaps=len(gaps),
    )


def risks(
    sessions: list[SessionPoint],
    *,
    now: datetime,
    lead: LeadTimes,
    agenda_due: dict[int, datetime] | None = None,
    notes_due: dict[int, datetime] | None = None,
    debriefs_due: dict[int, datetime] | None = None,
) -> list[Risk]:
    """Deadlines missed or due within a day with their work not done: agendas not shared,
    notes not posted, debriefs missing. Due times default to the lead times; callers pass
    the project's DST-aware ones. Sorted with the soonest (or most overdue) first."""
    found: list[Risk] = []
    for s in sessions:
        agenda_at = (agenda_due or {}).get(s.id, s.starts_at - lead.agenda_before)
        if not s.agenda_shared and s.starts_at > now and agenda_at - AT_RISK_WITHIN <= now:
            found.append(Risk(s.id, s.title, AGENDA, agenda_at, overdue=agenda_at <= now))
        notes_at = (notes_due or {}).get(s.id, s.ends_at + lead.notes_after)
        if (
            not s.notes_posted
            and s.ends_at <= now
            and notes_at - AT_RISK_WITHIN <= now
            and now - notes_at <= RISK_HORIZON
        ):
            found.append(Risk(s.id, s.title, NOTES, notes_at, overdue=notes_at <= now))
        debrief_at = (debriefs_due or {}).get(s.id, s.ends_at + lead.debrief_within)
        if (
            s.debriefs_missing
            and not s.debriefs_closed
            and s.ends_at <= now
            and now - debrief_at <= RISK_HORIZON
        ):
            found.append(
                Risk(
                    s.id,
                    s.title,
                    "debriefs",
                    debrief_at,
                    overdue=debrief_at <= now,
                    who=s.debriefs_missing,
                )
            )
    return sorted(found, key=lambda r: (r.due_at, r.session_id, r.what))
