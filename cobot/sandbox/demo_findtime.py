"""The demo's poll: instead of knowing the time in advance, Cora finds the time for the last
workshop with `/cobot find time`. Everyone is asked about three times in their own zone,
answers (Priya adds a note), Cora presses "Choose now" and schedules the best time with one
click, through the same path as `/cobot session add`."""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cobot.sandbox.people import Button
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Poll

if TYPE_CHECKING:
    from cobot.sandbox.demo import Demo
    from cobot.sandbox.people import SimPerson

TITLE = "Workshop 5"
NOTE = "A quiet room to step out to would help."
# who finds which of the three times hard (the first suits most, the third few)
CANNOT = {
    "UFEMI": (2,),
    "UPAUL": (1, 2),
    "UPETE": (0,),
    "UPOPPY": (2,),
    "UPIA": (1,),
}


def find_time(demo: Demo, day: date, *, timezone: str, coordinator: str) -> None:
    """Cora polls for the workshop on `day` (10:00 or 14:00) or the day after (10:00)."""
    demo.say(f"  {TITLE}: Cora asks everyone which of three times works (a poll)")
    tz = ZoneInfo(timezone)
    slots = [
        datetime.combine(day, time(10), tz),
        datetime.combine(day, time(14), tz),
        datetime.combine(day + timedelta(days=1), time(10), tz),
    ]
    today = demo.clock.now().astimezone(tz).date()
    demo.cora(
        "find time",
        purpose="workshop",
        title=TITLE,
        duration="2h",
        audience="participants",
        closes={"selected_date": (today + timedelta(days=3)).isoformat()},
        **{
            block: {"selected_date_time": int(when.timestamp())}
            for block, when in zip(("slots", "slot_2", "slot_3"), slots, strict=True)
        },
    )
    demo.drain()  # the invitations go out; people answer (decide() below)
    cora = demo.people[coordinator].driver
    tallies = cora.dms(coordinator, "Finding a time for")
    if not tallies:
        demo.problems.append("the poll's tally did not reach the coordinator")
        return
    cora.press(coordinator, tallies[-1], "poll_choose_now")
    demo.drain()
    ranking = cora.dms(coordinator, "The best times for")
    if not ranking:
        demo.problems.append("the poll's ranking did not reach the coordinator")
        return
    cora.press(coordinator, ranking[-1], "poll_schedule")  # the first: the best
    demo.drain()


def decide(demo: Demo, person: SimPerson, button: Button, *, low: str) -> bool:
    """An invitation's note button stands for the invitation: answer every time on it."""
    person.ignore(button)
    if button.action_id != "poll_note_open":
        return False  # the coordinator's buttons are pressed by find_time()
    blocks = [
        b
        for b in button.message.get("blocks") or []
        if str(b.get("block_id", "")).startswith("slot:") and "accessory" in b
    ]
    cannot = CANNOT.get(person.user_id, ())
    for index, block in enumerate(blocks):
        maybe = demo.random.random() < 0.2
        answer = "no" if index in cannot else "if_need_be" if maybe else "yes"
        block_id = str(block["block_id"])
        person.driver.select(
            person.user_id, button.message, block_id, answer, channel_id=button.channel
        )
    if person.user_id == low:
        person.press(button, {"note": NOTE})
    return True


def check(demo: Demo) -> None:
    """The poll scheduled the workshop."""
    assert demo.stack is not None and demo.stack.runtime is not None
    with transaction(demo.stack.runtime.factory) as db:
        poll = db.scalar(select(Poll).where(Poll.title == TITLE))
        made = db.scalar(select(CoSession).where(CoSession.title == TITLE))
        if poll is None or poll.status != "scheduled" or made is None:
            demo.problems.append(f"the poll did not schedule {TITLE}")
            return
        if poll.session_id != made.id:
            demo.problems.append(f"{TITLE} is not the session the poll made")
    heard = demo.stack.emulator.messages("UPETE")
    if not any("the time that suited most" in json.dumps(m) for m in heard):
        demo.problems.append("Pete did not hear the poll's outcome")
