"""`cobot demo`: a whole co-production project played forward at high speed.

A coordinator, three practitioners, eight participants and an oversight member use cobot
through the real Bolt app (signed requests from the emulator's client); the real scheduler's
sweep and deliveries ledger send every message through the real Web API client to the
emulator. Only the clock is simulated, and the demo moves it. So that one seed gives one
project however busy the machine is, nothing runs behind the demo's back: it runs the sweep
itself once the clock has moved (the scheduler's own timer is held), and each person's action
is handled to the end before anything else happens. Simulated people act as people would:
most answer their check-ins, one asks for contact, a facilitator forgets a debrief and is
nudged, one agenda is late, one session is rescheduled, and the ending collects feelings.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from cobot.domain.endings import QUESTION_KEYS
from cobot.sandbox import demo_findtime
from cobot.sandbox import demo_gov
from cobot.sandbox import demo_ops
from cobot.sandbox import demo_pay
from cobot.sandbox import demo_review
from cobot.sandbox.client import SlackClient
from cobot.sandbox.demo_cast import CAST
from cobot.sandbox.demo_cast import COORDINATOR
from cobot.sandbox.demo_cast import FACILITATORS
from cobot.sandbox.demo_cast import FORGETFUL
from cobot.sandbox.demo_cast import LATE_AGENDA
from cobot.sandbox.demo_cast import LOW_PARTICIPANT
from cobot.sandbox.demo_cast import MOVED
from cobot.sandbox.demo_cast import NAMES
from cobot.sandbox.demo_cast import PARTICIPANTS
from cobot.sandbox.demo_cast import PRACTITIONERS_CHANNEL
from cobot.sandbox.demo_cast import PROJECT_CHANNEL
from cobot.sandbox.demo_cast import PROJECT_TZ
from cobot.sandbox.demo_cast import TEAM_ID
from cobot.sandbox.people import Button
from cobot.sandbox.people import SimPerson
from cobot.sandbox.people import buttons_in
from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.transcript import blocks_to_text
from cobot.sandbox.webapi import SlackEmulator
from cobot.services.timeline import Timelines
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery

# simulated time runs about 100 000 times faster than the wall clock; Slack's limits, a
# thousand times faster, still pace a burst but never the project's trickle
RATE_SCALE = 1000.0

# weighted like the case study's cloud: humble, grateful, valued and inspired most of all
FEELINGS = (
    ["grateful"] * 5
    + ["valued"] * 4
    + ["inspired"] * 4
    + ["humble"] * 4
    + ["hopeful"] * 2
    + ["Greatful!", "tired", "proud", "heard", "connected", "relieved", "emotional"]
)
BOATS = {
    "practitioner": "A dinghy in choppy waters that became a steady boat: we learned to sail it.",
    "participant": "A rowing boat: everyone pulling together, sometimes out of time.",
    "coordinator": "A lifeboat: a working boat with a purpose.",
    "oversight": "A warship always under construction, but steady in rough water.",
}
AGENDA = (
    "Agenda: welcome and names round (10 min); recap of the last session and the group "
    "agreement; small groups on today's objective; feedback and close. Slides: "
    "https://example.org/slides"
)
EVALUATION = [
    "Being listened to, and the practitioners creating a safe space.",
    "Longer gaps between sessions; the weekly pace in the middle was tight.",
    "Tiring at times, but I felt valued and I learned a lot.",
    "That changing a service takes time, and that my experience counts.",
]
AIMS = (
    "Co-produce how carers are involved when the person they care for is in crisis. "
    "Objectives: map what happens today; agree principles; draft a carers' pathway."
)


@dataclass
class DemoResult:
    """What the demo did and whether everything arrived."""

    transcript: str
    summary: str
    artefacts: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    delivered: int = 0
    out: Path | None = None


def start_time(now: datetime) -> datetime:
    """The Monday 09:00 (London) after `now`: the project's first simulated day."""
    local = now.astimezone(ZoneInfo(PROJECT_TZ))
    monday = (local + timedelta(days=7 - local.weekday())).date()
    return datetime.combine(monday, datetime.min.time().replace(hour=9), ZoneInfo(PROJECT_TZ))


class Demo:
    """Plays the scenario; `run()` returns the transcript, artefacts and any problems."""

    def __init__(
        self, *, out: Path, seed: int = 7, speed: float = 1.0, progress: TextIO | None = None
    ) -> None:
        self.out = out
        self.random = random.Random(seed)
        self.step = timedelta(hours=6 * max(speed, 0.1))
        self.batch = timedelta(minutes=15 * max(speed, 0.1))
        self.progress = progress
        self.clock = SimClock(start_time(datetime.now(UTC)).astimezone(UTC))
        self.problems: list[str] = []
        self.people: dict[str, SimPerson] = {}
        self.phase = "setting up"
        self._last_report = ""
        self.stack: LocalStack | None = None
        self._forgot: list[str] = []

    # -- running -------------------------------------------------------------------------

    def run(self) -> DemoResult:
        """Set everything up, play the project through, collect the artefacts."""
        # the scheduler's jobs are held (the demo sweeps itself); APScheduler's notes are noise
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.out.mkdir(parents=True, exist_ok=True)
        database = self.out / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        # Slack's limits (one message per second per channel, each method's calls per
        # minute) count wall-clock seconds; with weeks squeezed into a minute they would
        # throttle what, in simulated time, is a trickle: both Slack's side and cobot's own
        # rate gate keep their limits, RATE_SCALE times faster
        emulator = SlackEmulator(
            bot_token=BOT_TOKEN,
            app_token=APP_TOKEN,
            channel_rate_per_second=0,
            rate_limit_scale=RATE_SCALE,
        )
        with LocalStack(
            database_url=f"sqlite:///{database}",
            clock=self.clock,
            stepped=True,
            emulator=emulator,
            public_url=demo_ops.PUBLIC_URL,
            rate_limit_scale=RATE_SCALE,
        ) as stack:
            self.stack = stack
            self._cast(stack)
            self._set_up()
            self._play()
            artefacts = self._artefacts()
            delivered = self._count_sent()
            self._check_outcomes()
            transcript = self._transcript(delivered)
            summary = self._summary(delivered)
        (self.out / "transcript.txt").write_text(transcript, encoding="utf-8")
        for person in self.people.values():
            self.problems.extend(person.problems)
        return DemoResult(
            transcript=transcript,
            summary=summary,
            artefacts=[self.out / "transcript.txt", *artefacts],
            problems=self.problems,
            delivered=delivered,
            out=self.out,
        )

    def say(self, line: str) -> None:
        """Progress for the person watching."""
        if self.progress is not None:
            self.progress.write(line + "\n")
            self.progress.flush()

    def report(self) -> None:
        """One progress line per simulated day."""
        day = self.clock.now().astimezone(ZoneInfo(PROJECT_TZ)).strftime("%a %d %b %Y")
        line = f"  {day:<16} {self.phase:<34} {self._count_sent():>4} messages delivered"
        if line != self._last_report and day not in self._last_report:
            self._last_report = line
            self.say(line)

    # -- the cast and the set-up ---------------------------------------------------------

    def _cast(self, stack: LocalStack) -> None:
        assert stack.client is not None
        for user, name, _role, tz in CAST:
            stack.emulator.add_user(user, name=name.lower(), real_name=name, tz=tz)
            self.people[user] = SimPerson(
                user_id=user,
                name=name,
                role=_role,
                tz=tz,
                slack=stack.client,
                emulator=stack.emulator,
            )
        stack.emulator.add_channel(
            PROJECT_CHANNEL, name="carers-in-crisis", members=[u for u, *_ in CAST]
        )
        stack.emulator.add_channel(
            PRACTITIONERS_CHANNEL,
            name="practitioners",
            members=[COORDINATOR, *FACILITATORS],
            is_private=True,
        )

    def cora(self, text: str, **answers: Any) -> str:
        """The coordinator types a command in the project channel."""
        return self.people[COORDINATOR].command(
            text, channel_id=PROJECT_CHANNEL, answers=answers if answers else None
        )

    def _set_up(self) -> None:
        self.say("Setting up: a project, its people, five sessions and wellbeing check-ins")
        self.cora("project new Carers in Crisis")
        self.cora("project edit", aims=AIMS)
        mention = {u: f"<@{u}|{n.lower()}>" for u, n, _r, _t in CAST}
        self.cora("add " + " ".join(mention[u] for u in FACILITATORS) + " as practitioner")
        self.cora("add " + " ".join(mention[u] for u in PARTICIPANTS) + " as participant")
        self.cora(f"add {mention['UOLIVE']} as oversight")
        self.cora(f"debrief channel <#{PRACTITIONERS_CHANNEL}|practitioners>")
        self.cora(f"checkin contacts {mention[COORDINATOR]}")
        self.cora(
            "checkin setup",
            enabled=["yes"],
            support=(
                "You can talk to Cora (coordinator) any time, or call the Samaritans on 116 123 "
                "(free, 24 hours). Your GP and the Recovery College can also help."
            ),
        )
        self._tick_onboarding(all_but=1)
        demo_ops.subscribe(self)
        demo_pay.set_up(self)
        first = self.clock.now().astimezone(ZoneInfo(PROJECT_TZ)) + timedelta(days=8, hours=1)
        facilitators = " ".join(mention[u] for u in FACILITATORS[:2])
        for n in range(4):
            day = (first + timedelta(weeks=2 * n)).date()
            reply = self.cora(
                f'session add "Workshop {n + 1}" {day.isoformat()} 10:00 2h with {facilitators}'
            )
            if "Saved" not in reply:
                self.problems.append(f"Workshop {n + 1} was not scheduled: {reply[:200]}")
        demo_gov.set_up(self)
        self.drain()
        # the last workshop's time is found with a poll (cobot/sandbox/demo_findtime.py)
        last_day = (first + timedelta(weeks=8)).date()
        demo_findtime.find_time(self, last_day, timezone=PROJECT_TZ, coordinator=COORDINATOR)

    def _tick_onboarding(self, *, all_but: int) -> None:
        """The coordinator ticks the checklist for all participants but the last `all_but`."""
        cora = self.people[COORDINATOR]
        # the onboarding list is an ephemeral answer: press its buttons from there
        answer = self._last_ephemeral_blocks(cora)
        buttons = [b for b in answer if b.action_id.endswith("onboarding_open")]
        for button in buttons[: max(len(buttons) - all_but, 0)]:
            cora.press(button, {"items": ["briefing", "training", "access"]})

    def _last_ephemeral_blocks(self, person: SimPerson) -> list[Button]:
        said = person.slack.slash_command(
            user_id=person.user_id, text="onboarding", channel_id=PROJECT_CHANNEL
        )
        try:
            body = said.json()
        except ValueError:
            return []
        return list(buttons_in(PROJECT_CHANNEL, {"ts": "0", **body}))

    # -- the simulation loop -------------------------------------------------------------

    def _play(self) -> None:
        last = self._last_session_end()
        events: list[tuple[datetime, str, Callable[[], None]]] = [
            (
                self._session_start(2) + timedelta(days=2),
                "sessions and the work between them",
                self._reschedule,
            ),
            (last + timedelta(days=1), "the participants' review", self._start_review),
            (last + timedelta(hours=12), "the ending", lambda: demo_gov.slow_down(self)),
            (last + timedelta(days=1), "the ending", self._start_ending),
            (last + timedelta(days=2), "the ending", partial(demo_pay.send_claims, self)),
            (last + timedelta(days=5), "the ending", self._close_ending),
        ]
        self.phase = "sessions and the work between them"
        self.say("Playing the project forward (simulated time):")
        finish = last + timedelta(days=6)
        while self.clock.now() < finish:
            upcoming = [when for when, _p, _f in events]
            nxt = self._next_due()
            target = self.clock.now() + self.step
            for candidate in [nxt, *upcoming]:
                if candidate is not None and candidate > self.clock.now():
                    # what falls due within a few minutes goes out together (fewer rounds)
                    target = min(target, candidate + self.batch)
            self.clock.set(target)
            while events and events[0][0] <= self.clock.now():
                _when, phase, action = events.pop(0)
                self.phase = phase
                action()
            self.drain()
            self.report()
        self.phase = "done"

    def drain(self, rounds: int = 6) -> None:
        """Let the scheduler send what is due, and people react, until things are quiet."""
        for _ in range(rounds):
            self.clock.advance(timedelta(seconds=6))  # past the sweep's grace for new rows
            self._wait_sent()
            acted = self._react()
            if not acted:
                return

    def _wait_sent(self, limit: float = 30) -> None:
        assert self.stack is not None and self.stack.runtime is not None
        grace = self.clock.now() - timedelta(seconds=5)
        deadline = time.monotonic() + limit
        # the scheduler's sweep, run here once the clock has moved (on its own timer it could
        # run while the demo is half-way through a step, or twice at once, sending in a
        # different order); it returns once what it drove is posted and recorded
        while time.monotonic() < deadline:
            self.stack.runtime.sweep()
            with transaction(self.stack.runtime.factory) as session:
                waiting = session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        or_(
                            Delivery.status == "sending",
                            and_(
                                Delivery.status == "scheduled",
                                Delivery.due_at <= grace,
                                or_(Delivery.retry_at.is_(None), Delivery.retry_at <= grace),
                            ),
                        )
                    )
                )
            if not waiting:
                return
            time.sleep(0.005)
        self.problems.append(f"deliveries still waiting at {self.clock.now():%d %b %H:%M}")

    def _next_due(self) -> datetime | None:
        assert self.stack is not None and self.stack.runtime is not None
        with transaction(self.stack.runtime.factory) as session:
            return session.scalar(
                select(func.min(Delivery.due_at)).where(Delivery.status == "scheduled")
            )

    def _count_sent(self) -> int:
        assert self.stack is not None and self.stack.runtime is not None
        with transaction(self.stack.runtime.factory) as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
                )
                or 0
            )

    def _sessions(self) -> list[CoSession]:
        assert self.stack is not None and self.stack.runtime is not None
        with transaction(self.stack.runtime.factory) as session:
            return list(
                session.scalars(
                    select(CoSession)
                    .where(CoSession.status == "scheduled", CoSession.kind == "workshop")
                    .order_by(CoSession.starts_at)
                )
            )

    def _session_start(self, index: int) -> datetime:
        return self._sessions()[index - 1].starts_at

    def _last_session_end(self) -> datetime:
        sessions = self._sessions()
        # the rescheduled session moves a week later, still before the last one
        return max(s.ends_at for s in sessions)

    # -- people's behaviour --------------------------------------------------------------

    def _react(self) -> bool:
        acted = False
        for person in self.people.values():
            for button in person.new_buttons():
                acted |= self._decide(person, button)
        return acted

    def _feature_decides(self, person: SimPerson, button: Button) -> bool | None:
        """The features' own people (cobot/sandbox/demo_<feature>.py): the first that knows
        the button decides; None when none does."""
        deciders: tuple[Callable[[], bool | None], ...] = (
            lambda: demo_gov.decide(self, person, button),
            lambda: (
                demo_findtime.decide(self, person, button, low=LOW_PARTICIPANT)
                if button.action_id.startswith("poll_")
                else None
            ),
            lambda: demo_review.decide(person, button),
            lambda: demo_pay.decide(person, button),
        )
        for decide in deciders:
            decided = decide()
            if decided is not None:
                return decided
        return None

    def _decide(self, person: SimPerson, button: Button) -> bool:
        action, text = button.action_id, button.text
        decided = self._feature_decides(person, button)
        if decided is not None:
            return decided
        if action == "checkins_consent_yes":
            person.press(button)
            return True
        if action.startswith("checkins_mood_"):
            return self._mood(person, button)
        if action == "checkins_contact" and person.user_id == LOW_PARTICIPANT:
            person.press(button, {"share": ["mood", "note"], "message": "Evenings are best."})
            return True
        if action == "reminders_share_agenda":
            if LATE_AGENDA in text and "was due" not in text and "were due" not in text:
                person.ignore(button)  # busy this week: the agenda goes out late
                return False
            if person.user_id != FACILITATORS[0] and LATE_AGENDA not in text:
                person.ignore(button)  # one facilitator shares for both
                return False
            person.press(button, {"text": AGENDA})
            return True
        if action in ("reminders_accessibility_done", "reminders_plan_done"):
            person.press(button)
            return True
        if action == "reminders_post_notes":
            person.press(button, {"text": "Notes: what we heard, what we agreed, what is next."})
            return True
        if action == "debrief_open":
            forgetful = person.user_id == FORGETFUL[0] and FORGETFUL[1] in text
            if forgetful and not self._forgot:
                self._forgot.append(text)  # the first prompt slips by; the nudge works
                person.ignore(button)
                return False
            person.press(
                button,
                {
                    "went_well": "People spoke up more than last time.",
                    "change": "Shorter ice breaker; more time in small groups.",
                    "voices": "Two of the quieter carers; we will check in with them.",
                },
            )
            return True
        if action.startswith("feedback_heard_"):
            wanted = str(self.random.choice([3, 4, 4, 5]))
            if not action.endswith(wanted) or self.random.random() < 0.2:
                person.ignore(button)
                return False
            person.press(button)
            return True
        return self._decide_ending(person, button)

    def _mood(self, person: SimPerson, button: Button) -> bool:
        if person.user_id == LOW_PARTICIPANT:
            wanted = "2"
        elif self.random.random() < 0.15:
            person.ignore(button)  # not everyone answers every check-in
            return False
        else:
            wanted = str(self.random.choice([3, 4, 4, 5]))
        if not button.action_id.endswith(wanted):
            person.ignore(button)
            return False
        person.press(button)
        return True

    # -- scripted events -----------------------------------------------------------------

    def _reschedule(self) -> None:
        self.say(f"  {MOVED} is moved a week later (a venue fell through)")
        cora = self.people[COORDINATOR]
        listing = cora.slack.slash_command(
            user_id=COORDINATOR, text="sessions", channel_id=PROJECT_CHANNEL
        )
        body = listing.json()
        moves = [
            b
            for b in buttons_in(PROJECT_CHANNEL, {"ts": "0", **body})
            if b.action_id == "session_move"
        ]
        target = next((s for s in self._sessions() if s.title == MOVED), None)
        button = next(
            (b for b in moves if target is not None and b.value.endswith(str(target.id))), None
        )
        if target is None or button is None:
            self.problems.append(f"could not find the Move button for {MOVED}")
            return
        new_day = (target.starts_at + timedelta(weeks=1)).astimezone(ZoneInfo(PROJECT_TZ))
        cora.press(button, {"date": {"selected_date": new_day.date().isoformat()}})

    def _start_review(self) -> None:
        demo_review.start(self)

    def _start_ending(self) -> None:
        self.say("  The ending: everyone is asked how they feel and what boat they were")
        today = self.clock.now().astimezone(ZoneInfo(PROJECT_TZ)).date()
        reply = self.cora(
            "ending start",
            deadline={"selected_date": (today + timedelta(days=4)).isoformat()},
            celebration_day={"selected_date": (today + timedelta(days=9)).isoformat()},
            celebration_time={"selected_time": "18:00"},
            venue="The town hall, with food",
            follow_up="4",
        )
        del reply

    def _close_ending(self) -> None:
        self.say("  The collection closes: the word cloud goes to the channel")
        self.cora("ending close")

    def _decide_ending(self, person: SimPerson, button: Button) -> bool:
        if button.action_id == "endings_open_feelings":
            words = " ".join(self.random.sample(FEELINGS, 3))
            person.press(
                button, {"words": words, "boat": BOATS.get(person.role, BOATS["participant"])}
            )
            return True
        if button.action_id == "endings_open_evaluation":
            if self.random.random() < 0.25:
                person.ignore(button)
                return False
            person.press(button, dict(zip(QUESTION_KEYS, EVALUATION, strict=False)))
            return True
        person.ignore(button)
        return False

    # -- results -------------------------------------------------------------------------

    def _artefacts(self) -> list[Path]:
        """The coordinator's exports and the timeline picture, written to the out folder."""
        assert self.stack is not None and self.stack.runtime is not None
        runtime = self.stack.runtime
        with transaction(runtime.factory) as session:
            project_id = session.scalar(select(func.min(CoSession.project_id)))
        if project_id is None:
            self.problems.append("no project was created")
            return []
        written = []
        files = runtime.reports.artefacts(project_id)
        timelines = Timelines(factory=runtime.factory, clock=self.clock)
        plan = timelines.plan(team_id=TEAM_ID, user_id=COORDINATOR, project_id=project_id)
        picture = timelines.draw(plan)
        files.append((picture.filename, picture.content))
        for name, content in files:
            path = self.out / name
            path.write_bytes(content)
            written.append(path)
        written.extend(demo_ops.feed_artefacts(self))
        names = {path.name for path in written}
        for wanted in ("timeline.png", "project-report.md", "sessions.csv"):
            if wanted not in names:
                self.problems.append(f"{wanted} was not produced")
        if not any(name.endswith(".png") and "cloud" in name for name in names):
            self.problems.append("the word cloud image was not produced")
        return written

    def _check_outcomes(self) -> None:
        assert self.stack is not None and self.stack.runtime is not None
        emulator = self.stack.emulator
        with transaction(self.stack.runtime.factory) as session:
            failed = session.scalars(select(Delivery).where(Delivery.status == "failed")).all()
            for row in failed:
                self.problems.append(f"a {row.kind} delivery failed: {row.last_error}")
        practice = emulator.messages(PRACTITIONERS_CHANNEL)
        if sum(1 for m in practice if "ebrief" in str(m.get("text", ""))) < 5:
            self.problems.append("fewer than five debrief summaries reached the practitioners")
        if not any("in touch" in str(m.get("text", "")) for m in emulator.messages(COORDINATOR)):
            self.problems.append("the wellbeing contact was not asked to get in touch")
        demo_review.check(self)
        demo_gov.check(self)
        demo_findtime.check(self)
        demo_pay.check(self)

    def _summary(self, delivered: int) -> str:
        """One line per message, per channel and per person: the readable short version."""
        assert self.stack is not None
        emulator = self.stack.emulator
        lines = ["What each person saw in Slack (first line of each message)", ""]
        labels = [(PROJECT_CHANNEL, "#carers-in-crisis"), (PRACTITIONERS_CHANNEL, "#practitioners")]
        sources = labels + [(user, f"{name} ({role})") for user, name, role, _tz in CAST]
        for channel, label in sources:
            messages = emulator.messages(channel)
            lines.append(f"{label}: {len(messages)} message(s)")
            shown = messages if len(messages) <= 12 else messages[:6] + messages[-6:]
            for index, message in enumerate(shown):
                if len(messages) > 12 and index == 6:
                    lines.append(f"    \u2026 {len(messages) - 12} more \u2026")
                lines.append(f"    {_first_line(message)}")
        lines.append("")
        lines.append(f"Deliveries sent: {delivered}. Files: {len(emulator.files)} uploaded.")
        return "\n".join(lines) + "\n"

    def _transcript(self, delivered: int) -> str:
        assert self.stack is not None
        emulator = self.stack.emulator
        lines = ["What each person saw in Slack", "=" * 29, ""]
        channels = [
            (PROJECT_CHANNEL, "#carers-in-crisis"),
            (PRACTITIONERS_CHANNEL, "#practitioners"),
        ]
        for channel, label in channels:
            lines.append(f"--- {label} ---")
            for message in emulator.messages(channel):
                lines.append(_render(message))
        for user, name, role, _tz in CAST:
            lines.append(f"--- {name} ({role}), direct messages from cobot ---")
            person = self.people[user]
            for said in person.said:
                lines.append("(only you can see this) " + said.replace("\n", "\n  "))
            for message in emulator.messages(user):
                lines.append(_render(message))
        lines.append(f"Deliveries sent: {delivered}.")
        return "\n".join(lines) + "\n"


def _first_line(message: dict[str, Any], width: int = 96) -> str:
    text = blocks_to_text(message.get("blocks"), str(message.get("text", "")), NAMES)
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = line.replace("*", "")
    return line if len(line) <= width else line[: width - 1] + "\u2026"


def _render(message: dict[str, Any]) -> str:
    text = blocks_to_text(message.get("blocks"), str(message.get("text", "")), NAMES)
    return "* " + text.replace("\n", "\n  ") + "\n"


def run_demo(
    *, out: Path, seed: int = 7, speed: float = 1.0, progress: TextIO | None = None
) -> DemoResult:
    """Play the demo project; see the module docstring."""
    return Demo(out=out, seed=seed, speed=speed, progress=progress).run()


__all__ = ["Demo", "DemoResult", "SlackClient", "run_demo"]
