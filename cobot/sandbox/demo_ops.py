"""The demo's live calendar: Cora subscribes at the start (her links arrive by DM); at the
end her project feed, fetched as a calendar app fetches it, shows the moved workshop under
its first UID with a raised SEQUENCE, and is written out as calendar-feed.ics."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from icalendar import Calendar

from cobot.sandbox.demo_cast import COORDINATOR
from cobot.sandbox.demo_cast import MOVED

if TYPE_CHECKING:
    from cobot.sandbox.demo import Demo

PUBLIC_URL = "https://cobot.demo.invalid"
FEED_FILE = "calendar-feed.ics"
_LINK = re.compile(re.escape(PUBLIC_URL) + r"/calendar/[A-Za-z0-9_-]+\.ics")


def subscribe(demo: Demo) -> None:
    """Cora asks for calendar links: hers, and the whole project's."""
    demo.say("  Cora subscribes her calendar app to the project (private links, by DM)")
    reply = demo.cora("calendar subscribe")
    if "direct message" not in reply:
        demo.problems.append(f"{COORDINATOR} got no calendar links: {reply[:200]}")


def feed_artefacts(demo: Demo) -> list[Path]:
    """The project feed as it is at the end, checked for the moved workshop."""
    assert demo.stack is not None
    links = [
        link
        for message in demo.stack.emulator.messages(COORDINATOR)
        if "Every session" in json.dumps(message)
        for link in _LINK.findall(json.dumps(message))
    ]
    if not links:
        demo.problems.append("the project's calendar link never reached Cora")
        return []
    url = demo.stack.base_url + urlparse(links[-1]).path
    with urllib.request.urlopen(url, timeout=10) as response:
        content = response.read()
    path = demo.out / FEED_FILE
    path.write_bytes(content)
    moved = [
        event
        for event in Calendar.from_ical(content).walk("VEVENT")
        if str(event.get("SUMMARY")) == MOVED
    ]
    if not moved or int(moved[0].get("SEQUENCE", 0)) < 1:
        demo.problems.append(f"the calendar feed does not show {MOVED} as moved")
    return [path]
