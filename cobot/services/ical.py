"""iCalendar (RFC 5545) documents, written with icalendar: the `/cobot calendar` file and
the live feeds share this one writer (stable UIDs, UTC times, SEQUENCE, STATUS)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar
from icalendar import Event
from icalendar import vDuration

from cobot.domain.sessions import SessionStatus
from cobot.storage.models import CoSession

if TYPE_CHECKING:
    from cobot.services.sessions import SessionView

PRODID = "-//cobot//co-production sessions//EN"


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT. `uid` never changes for the thing it shows; `sequence` grows with every
    change, so calendar apps take the update; a cancelled entry stays, marked CANCELLED."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    sequence: int
    cancelled: bool = False
    location: str = ""
    description: str = ""
    # a deadline marks a moment, not busy time
    transparent: bool = False
    # when this version was made (DTSTAMP); the document's time when None. A stable stamp
    # keeps a feed's bytes (and its ETag) the same until something in it changes
    stamp: datetime | None = None


def session_uid(session_id: int, team_id: str) -> str:
    """A session's UID, the same in the file and in every feed."""
    return f"cobot-session-{session_id}@{team_id}"


def session_entry(
    item: CoSession | SessionView, team_id: str, *, sequence: int, stamp: datetime | None = None
) -> CalendarEntry:
    """A session's VEVENT (from its row, or the view of it the file is written from), the
    same in the file and in every feed."""
    return CalendarEntry(
        uid=session_uid(item.id, team_id),
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        summary=item.title,
        location=item.venue,
        description=item.objectives,
        sequence=sequence,
        cancelled=item.status == SessionStatus.CANCELLED,
        stamp=stamp,
    )


def calendar_document(
    name: str,
    entries: Iterable[CalendarEntry],
    *,
    now: datetime,
    refresh: timedelta | None = None,
) -> bytes:
    """The document; `refresh` asks subscribed calendars to poll that often (Outlook and
    Apple read it; Google polls on its own schedule)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", entry.stamp or now)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", entry.summary)
        if entry.location:
            event.add("location", entry.location)
        if entry.description:
            event.add("description", entry.description)
        event.add("sequence", entry.sequence)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        if entry.transparent:
            event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
