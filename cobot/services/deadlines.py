"""When the work around a project's sessions is due: its lead times, in its own time zone.

One reading for every feature that speaks of these deadlines (the Home's open items and
coordinator view, the calendar feeds' deadline entries; the reminders and debriefs compute
the same times and can take them from here), so the times they show cannot drift apart.
Whole days keep the local time of day across clock changes (see domain.sessions.shift).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import agenda_deadline
from cobot.domain.sessions import shift
from cobot.storage.models import CoSession
from cobot.storage.models import Project


@dataclass(frozen=True)
class Deadlines:
    """One project's lead times and time zone, and the deadlines they set a session."""

    lead: LeadTimes
    tz: ZoneInfo

    @classmethod
    def of(cls, project: Project) -> Deadlines:
        """The project's own (stored) lead times, in its time zone."""
        return cls(LeadTimes.from_json(project.lead_times), ZoneInfo(project.timezone))

    def agenda(self, cosession: CoSession) -> datetime:
        """When the agenda and materials should reach the participants."""
        return agenda_deadline(cosession.starts_at, self.lead, self.tz)

    def notes(self, cosession: CoSession) -> datetime:
        """When the session's notes are due."""
        return shift(cosession.ends_at, self.lead.notes_after, self.tz)

    def debrief(self, cosession: CoSession) -> datetime:
        """When the practitioners' debriefs of the session are due."""
        return shift(cosession.ends_at, self.lead.debrief_within, self.tz)

    def feedback(self, cosession: CoSession) -> datetime:
        """Until when the participants' feedback on the session is asked for."""
        return shift(cosession.ends_at, self.lead.feedback_within, self.tz)
