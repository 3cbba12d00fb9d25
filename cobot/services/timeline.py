"""The timeline picture: a project's sessions and the work between them, as a PNG.

Drawn with matplotlib's Agg canvas directly (no pyplot, no display, no global state, so
threads can draw at once). Squeezed steps, those the gap to the next session cannot hold by
the project's lead times, are drawn in a warning colour.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from typing import Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cobot.domain import timeline as rules
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionStatus
from cobot.services import access
from cobot.services.access import AccessError
from cobot.services.base import Service
from cobot.services.governance import milestones_of
from cobot.storage.db import read_only
from cobot.storage.models import CoSession

MAX_SESSIONS = 60
SESSION_COLOUR = "#1f4e79"
STEP_COLOUR = "#8fb8de"
SQUEEZED_COLOUR = "#d9534f"
NOW_COLOUR = "#555555"
MILESTONE_COLOUR = "#2e7d32"


@dataclass(frozen=True)
class TimelinePicture:
    """A PNG of a project's timeline, ready to upload."""

    project_name: str
    filename: str
    content: bytes
    sessions: int
    squeezed: int


@dataclass(frozen=True)
class TimelinePlan:
    """What a timeline picture shows: the sessions and their between-session steps."""

    project_name: str
    timezone: str
    now: datetime
    sessions: tuple[rules.SessionPoint, ...]
    steps: tuple[rules.Step, ...]
    # the project plan's dated milestones (services/governance.py), drawn on their own lane
    milestones: tuple[rules.MilestonePoint, ...] = ()


class Timelines(Service):
    """Draws a project's timeline for its coordinators."""

    def plan(self, **asks: Unpack[access.CoordinatorAsks]) -> TimelinePlan:
        """What the picture of the project in `channel_id` (or `project_id`) shows:
        coordinators only; refuses a project with no sessions yet. Cheap: draw() draws."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.coordinators_project(db, **asks)
            rows = db.scalars(
                select(CoSession)
                .where(
                    CoSession.project_id == project.id,
                    CoSession.status == SessionStatus.SCHEDULED,
                    CoSession.kind != SessionKind.REFLECTIVE,
                )
                .order_by(CoSession.starts_at, CoSession.id)
                .limit(MAX_SESSIONS)
            ).all()
            points = tuple(
                rules.SessionPoint(id=s.id, title=s.title, starts_at=s.starts_at, ends_at=s.ends_at)
                for s in rows
            )
            lead = LeadTimes.from_json(project.lead_times)
            name, zone = project.name, project.timezone
            milestones = tuple(
                rules.MilestonePoint(m.title, m.due_on, m.done, m.overdue)
                for m in milestones_of(db, project, now)
                if m.due_on is not None
            )
        if not points:
            raise AccessError(
                "This project has no sessions yet, so there is no timeline to draw. "
                "Add one with `/cobot session add`."
            )
        steps = tuple(rules.steps_for(list(points), lead))
        return TimelinePlan(name, zone, now, points, steps, milestones)

    def draw(self, plan: TimelinePlan) -> TimelinePicture:
        """The PNG of a planned timeline (no database, no Slack)."""
        content = render_png(
            list(plan.sessions),
            list(plan.steps),
            now=plan.now,
            timezone=plan.timezone,
            title=plan.project_name,
            milestones=list(plan.milestones),
        )
        return TimelinePicture(
            project_name=plan.project_name,
            filename="timeline.png",
            content=content,
            sessions=len(plan.sessions),
            squeezed=sum(1 for s in plan.steps if s.squeezed),
        )

    def picture(self, **asks: Unpack[access.CoordinatorAsks]) -> TimelinePicture:
        """plan() then draw()."""
        return self.draw(self.plan(**asks))


def render_png(
    sessions: list[rules.SessionPoint],
    steps: list[rules.Step],
    *,
    now: datetime,
    timezone: str,
    title: str,
    milestones: list[rules.MilestonePoint] | None = None,
) -> bytes:
    """Sessions on the top lane, each between-session step on its own lane below; squeezed
    steps in red; a line for now. Dates in the project's zone."""
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    tz = ZoneInfo(timezone)
    lanes = ["Sessions", *(rules.STEP_LABELS[s] for s in rules.STEPS)]
    if milestones:
        lanes.append("Milestones")
    lane_of = {step: index + 1 for index, step in enumerate(rules.STEPS)}
    figure = Figure(figsize=(11, 4.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)

    def local(when: datetime) -> float:
        naive = when.astimezone(tz).replace(tzinfo=None)
        return float(mdates.date2num(naive))  # type: ignore[no-untyped-call]

    for index, session in enumerate(sessions, start=1):
        start, end = local(session.starts_at), local(session.ends_at)
        # a session lasts hours: widen it so it shows at a scale of weeks
        width = max(end - start, 0.3)
        axes.barh(0, width, left=start, height=0.6, color=SESSION_COLOUR)
        axes.annotate(
            str(index),
            (start + width / 2, 0),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    for step in steps:
        start, end = local(step.start), local(step.end)
        axes.barh(
            lane_of[step.step],
            max(end - start, 0.05),
            left=start,
            height=0.5,
            color=SQUEEZED_COLOUR if step.squeezed else STEP_COLOUR,
            edgecolor="white",
            linewidth=0.5,
        )
    for milestone in milestones or []:
        when = local(datetime.combine(milestone.due_on, time(12), tzinfo=tz))
        colour = SQUEEZED_COLOUR if milestone.overdue else MILESTONE_COLOUR
        axes.plot(
            [when], [len(lanes) - 1], marker="D", color=colour, alpha=0.4 if milestone.done else 1
        )
    axes.axvline(local(now), color=NOW_COLOUR, linestyle="--", linewidth=1)
    axes.set_yticks(range(len(lanes)), labels=lanes)
    axes.invert_yaxis()
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axes.set_title(f"{title}: sessions and the work between them ({timezone})", fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(
        handles=[
            Patch(color=SESSION_COLOUR, label="session"),
            Patch(color=STEP_COLOUR, label="step fits"),
            Patch(color=SQUEEZED_COLOUR, label="squeezed: the gap is too short"),
            Patch(color=NOW_COLOUR, label="now"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
