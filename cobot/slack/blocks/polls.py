"""Block Kit for finding a time: the find-time and availability forms, each person's
invitation (every slot in their own zone, a select per slot), the live tally, the ranking
with its one-click choice, the nudge and the outcome.

Every slot is one block: the invitation and the tally stay under Slack's 50 blocks a message
up to MAX_SLOTS; text that could grow with people (the notes) is split across sections and
never cut."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from cobot.domain.durations import format_duration
from cobot.domain.polls import ANSWER_LABELS
from cobot.domain.polls import AUDIENCE_LABELS
from cobot.domain.polls import MAX_NOTE
from cobot.domain.polls import MAX_SLOTS
from cobot.domain.polls import MAX_TITLE
from cobot.domain.polls import MAX_WINDOWS
from cobot.domain.polls import PART_LABELS
from cobot.domain.polls import PURPOSE_LABELS
from cobot.domain.polls import STORED_ANSWERS
from cobot.domain.polls import WEEKDAYS
from cobot.domain.polls import Answer
from cobot.domain.polls import Audience
from cobot.domain.polls import Counts
from cobot.domain.polls import PollStatus
from cobot.services.polls import Choice
from cobot.services.polls import Invitation
from cobot.services.polls import NoteLine
from cobot.services.polls import Nudge
from cobot.services.polls import Outcome
from cobot.services.polls import PollDraft
from cobot.services.polls import PollNote
from cobot.services.polls import StandingView
from cobot.services.polls import Tally
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import SECTION_LIMIT
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import escape_but_mentions
from cobot.slack.blocks.common import header
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import plain
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.renderers import ByKind

FIND_CALLBACK = "poll_start"
NOTE_CALLBACK = "poll_note"
AVAILABILITY_CALLBACK = "availability_save"
ANSWER_ACTION = "poll_answer"
NOTE_ACTION = "poll_note_open"
CHOOSE_NOW_ACTION = "poll_choose_now"
SCHEDULE_ACTION = "poll_schedule"
CANCEL_ACTION = "poll_cancel"
NOTES_ACTION = "poll_notes"

# hand-picked slots on the form; more come from the generator
PICKED_SLOTS = 6
SLOT_BLOCKS = ("slots", *(f"slot_{n}" for n in range(2, PICKED_SLOTS + 1)))
EVERY_OPTIONS = (
    ("60", "every hour"),
    ("90", "every 1½ hours"),
    ("120", "every 2 hours"),
    ("180", "every 3 hours"),
    ("240", "every 4 hours"),
)
_ANSWER_EMOJI = {
    Answer.YES: ":white_check_mark:",
    Answer.IF_NEED_BE: ":grey_question:",
    Answer.NO: ":x:",
    Answer.PROBABLY_NO: ":heavy_minus_sign:",
    Answer.PENDING: ":hourglass_flowing_sand:",
}


# ---------------------------------------------------------------- the find-time form


def find_time_modal(draft: PollDraft) -> dict[str, Any]:
    """The form: purpose, title, duration, times (picked or generated), who, when it closes."""
    tz = ZoneInfo(draft.timezone)
    intro = (
        f"Moving *{escape(draft.moving_title)}*: ask its people about new times; the one "
        "you choose moves it (its reminders follow)."
        if draft.session_id
        else f"Ask people in *{escape(draft.project_name)}* which times work. Times you "
        "pick are in your own time zone; generated ones in the project's, "
        f"{draft.timezone}."
    )
    blocks: list[dict[str, Any]] = [
        section(intro),
        forms.select(
            "purpose",
            "What is it for?",
            [(p.value, label) for p, label in PURPOSE_LABELS.items()],
            initial=draft.purpose,
        ),
        forms.text_input(
            "title",
            "Title",
            draft.title,
            optional=True,
            max_length=MAX_TITLE,
            hint="What everyone asked sees; the session gets it too.",
        ),
        forms.text_input(
            "duration",
            "Duration",
            format_duration(draft.duration).replace(" ", ""),
            max_length=30,
            hint="For example 2h, 90m or 1h30m.",
        ),
        header("Pick times…"),
    ]
    for number, block_id in enumerate(SLOT_BLOCKS, start=1):
        blocks.append(
            forms.input_block(block_id, f"Time {number}", {"type": "datetimepicker"}, optional=True)
        )
    blocks += [
        header("…or generate them"),
        forms.datepicker("gen_from", "From", optional=True),
        forms.select(
            "gen_weeks",
            "For",
            [(str(n), f"{n} week{'s' if n > 1 else ''}") for n in (1, 2, 3, 4)],
            initial="3",
            optional=True,
        ),
        forms.select(
            "gen_days",
            "On",
            [("weekdays", "Weekdays"), ("every", "Every day")],
            initial="weekdays",
            optional=True,
        ),
        forms.timepicker("gen_start", "Between", initial=time(10), optional=True),
        forms.timepicker("gen_end", "And", initial=time(16), optional=True),
        forms.select("gen_every", "Starting", list(EVERY_OPTIONS), initial="120", optional=True),
        context(
            f"Generated times are in {draft.timezone}; at most {MAX_SLOTS} times in all, so "
            "everyone can answer them in one message."
        ),
        header("Who is asked"),
        forms.select(
            "audience",
            "Ask",
            [(a.value, label) for a, label in AUDIENCE_LABELS.items()],
            initial=(Audience.NAMED if draft.user_ids else Audience.PARTICIPANTS).value,
        ),
        forms.users_select("asked", "And these people", initial=draft.user_ids, optional=True),
        forms.datepicker(
            "closes",
            "Answers close on",
            initial=draft.closes_on.astimezone(tz).date(),
        ),
    ]
    metadata = f"{draft.project_id}:{draft.session_id or ''}"
    return forms.modal(FIND_CALLBACK, "Find a time", blocks, metadata=metadata, submit="Ask")


def started_modal(tally: Tally) -> dict[str, Any]:
    """After starting: what happens next."""
    return forms.modal(
        "poll_started",
        "Find a time",
        [
            section(
                f":mag: Asking {tally.asked} people about {len(tally.rows)} times for "
                f"*{escape(tally.title)}*. Each gets one message with every time in their own "
                f"time zone. Answers close {slack_date(tally.closes_at, tally.timezone)}; "
                "those who have not answered get one nudge a day before."
            ),
            context("The live tally is in your DM with cobot, and on your App Home."),
        ],
        submit=None,
        close="Done",
    )


# ---------------------------------------------------------------- the invitation


def _local(when: datetime, end: datetime, zone: str) -> str:
    tz = ZoneInfo(zone)
    start, finish = when.astimezone(tz), end.astimezone(tz)
    return f"{start:%a %d %b}, {start:%H:%M}–{finish:%H:%M}"


def _answer_option(answer: Answer) -> dict[str, Any]:
    return {"text": plain(ANSWER_LABELS[answer], 75), "value": answer.value}


def invitation_blocks(inv: Invitation) -> list[dict[str, Any]]:
    """One person's invitation: a select per slot (their answer so far), in their zone."""
    what = PURPOSE_LABELS[inv.purpose].lower()
    moving = f" It is a new time for *{escape(inv.moving_title)}*." if inv.moving_title else ""
    blocks: list[dict[str, Any]] = [
        section(
            f":mag: {mention(inv.by)} is finding a time for *{escape(inv.title)}* "
            f"({what}, {format_duration(inv.duration)}) in *{escape(inv.project_name)}*."
            f"{moving} Which of these times could you come to? Times are in your time "
            f"zone, {inv.timezone}."
        )
    ]
    open_ = inv.status is PollStatus.OPEN
    for line in inv.slots:
        text = f"*{_local(line.starts_at, line.ends_at, inv.timezone)}*"
        if line.answer is Answer.PROBABLY_NO:
            text += f"\n_Probably no: {escape(line.clash or 'your standing availability')}. "
            text += "Answer to change it._"
        elif line.answer is not Answer.PENDING:
            text += f"  {_ANSWER_EMOJI[line.answer]} {ANSWER_LABELS[line.answer]}"
        block = section(text, block_id=f"slot:{inv.poll_id}:{line.slot_id}")
        if open_:
            element: dict[str, Any] = {
                "type": "static_select",
                "action_id": ANSWER_ACTION,
                "placeholder": plain("Your answer", 150),
                "options": [_answer_option(a) for a in STORED_ANSWERS],
            }
            if line.answer in STORED_ANSWERS:
                element["initial_option"] = _answer_option(line.answer)
            block["accessory"] = element
        blocks.append(block)
    if open_:
        label = "Change your note" if inv.has_note else "Anything that would make it easier?"
        blocks.append(
            actions(
                [button(label, NOTE_ACTION, str(inv.poll_id))], block_id=f"poll_note:{inv.poll_id}"
            )
        )
        blocks.append(
            context(
                f"You can change your answers until {slack_date(inv.closes_at, inv.timezone)}. "
                "A note is seen by the project's coordinators only."
            )
        )
    else:
        blocks.append(context("This poll is over: answers can no longer change."))
    return blocks


def invitation_text(inv: Invitation) -> str:
    """The notification text of an invitation."""
    return f"Which times could you come to for “{escape(inv.title)}”?"


def note_modal(poll_id: int, note: str) -> dict[str, Any]:
    """ "Anything that would make it easier to come?" (coordinators only)."""
    return forms.modal(
        NOTE_CALLBACK,
        "Making it easier",
        [
            section(
                "Anything that would make it easier to come: travel, timing, a quiet room, "
                "someone to come with? Only the project's coordinators see this."
            ),
            forms.text_input(
                "note", "Your note", note, multiline=True, optional=True, max_length=MAX_NOTE
            ),
        ],
        metadata=str(poll_id),
    )


# ---------------------------------------------------------------- the tally


def _counts(label: str, c: Counts) -> str:
    return f"{label}: {c.yes} yes · {c.if_need_be} if need be · {c.no} no · {c.pending} not yet"


def tally_blocks(t: Tally) -> list[dict[str, Any]]:
    """The live tally: per slot, facilitators apart; Choose now, notes, cancel."""
    state = {
        PollStatus.OPEN: f"answers close {slack_date(t.closes_at, t.timezone)}",
        PollStatus.CLOSED: "answers have closed: choose a time",
        PollStatus.SCHEDULED: "the time is chosen",
        PollStatus.CANCELLED: "cancelled",
    }[t.status]
    blocks: list[dict[str, Any]] = [
        section(
            f":bar_chart: *Finding a time for {escape(t.title)}* ({escape(t.project_name)}): "
            f"{t.answered} of {t.asked} answered; {state}."
        )
    ]
    for row in t.rows:
        blocks.append(
            section(
                f"*{slack_date(row.starts_at, t.timezone)}*\n"
                f"{_counts('Facilitators', row.facilitators)}\n"
                f"{_counts('Participants', row.participants)}"
            )
        )
    if t.status in (PollStatus.OPEN, PollStatus.CLOSED):
        elements = [button("Choose now", CHOOSE_NOW_ACTION, str(t.poll_id), style="primary")]
        if t.notes:
            elements.append(button(f"Read notes ({t.notes})", NOTES_ACTION, str(t.poll_id)))
        elements.append(button("Cancel poll", CANCEL_ACTION, str(t.poll_id), style="danger"))
        blocks.append(actions(elements, block_id=f"poll:{t.poll_id}"))
    blocks.append(
        context(
            "“No” includes people whose standing availability says probably not, until they "
            "answer. Notes on what would make it easier to come are for coordinators only."
        )
    )
    return blocks


def tally_text(t: Tally) -> str:
    """The tally's notification text."""
    return f"Finding a time for “{escape(t.title)}”: {t.answered} of {t.asked} answered"


def home_poll_blocks(tallies: Sequence[Tally]) -> list[dict[str, Any]]:
    """The App Home's lines for polls the person runs: one section each (best slot so far)."""
    if not tallies:
        return []
    blocks: list[dict[str, Any]] = [header("Finding a time")]
    for t in tallies[:5]:
        best = max(
            t.rows,
            key=lambda r: (r.facilitators.able, r.participants.able, -r.starts_at.timestamp()),
            default=None,
        )
        lead = (
            f" Most can come {slack_date(best.starts_at, t.timezone)}: "
            f"{best.facilitators.able} facilitators, {best.participants.able} participants."
            if best is not None
            else ""
        )
        blocks.append(
            section(
                f"*{escape(t.title)}* ({escape(t.project_name)}): {t.answered} of {t.asked} "
                f"answered.{lead}",
                accessory=button("Choose now", CHOOSE_NOW_ACTION, str(t.poll_id)),
            )
        )
    return blocks


def notes_modal(title: str, notes: Sequence[NoteLine]) -> dict[str, Any]:
    """Every note, split across sections (never cut)."""
    lines = [f"{mention(n.user_id)}: {escape(n.text)}" for n in notes] or ["No notes yet."]
    return forms.modal(
        "poll_notes",
        "Notes",
        [
            section(f"What would make it easier to come to *{escape(title)}* (coordinators only):"),
            *[section(chunk) for chunk in _split_lines(lines)],
        ],
        submit=None,
        close="Close",
    )


def _split_lines(lines: Sequence[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Lines joined into chunks of at most `limit` characters (a longer line alone)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while len(line) > limit:
            chunks.append(line[:limit])
            line = line[limit:]
        current = line
    if current:
        chunks.append(current)
    return chunks


# ---------------------------------------------------------------- the choice


def choice_blocks(c: Choice) -> list[dict[str, Any]]:
    """The top times with why, the interval warnings, and one click to schedule."""
    verb = "Move it here" if c.moving_title else "Schedule this"
    blocks: list[dict[str, Any]] = [
        section(
            f":calendar: *The best times for {escape(c.title)}* ({c.answered} of {c.asked} "
            "answered). Ranked by: at least two facilitators able, then most participants "
            "able, then fewest “if need be”, then earliest."
        )
    ]
    if not c.proposals:
        blocks.append(
            section(
                "No time has two facilitators able to come, so none can be proposed for a "
                "workshop. Try other times with `/cobot find time`."
                if c.purpose == "workshop"
                else "No time is left to propose. Try other times with `/cobot find time`."
            )
        )
    for place, proposal in enumerate(c.proposals, start=1):
        reasons = "\n".join(f"• {escape(r)}" for r in proposal.reasons)
        blocks.append(
            section(
                f"*{place}. {slack_date(proposal.starts_at, c.timezone)}*\n{reasons}",
                accessory=button(
                    verb,
                    SCHEDULE_ACTION,
                    f"{c.poll_id}:{proposal.slot_id}",
                    style="primary" if place == 1 else None,
                ),
            )
        )
        for warning in proposal.warnings:
            blocks.append(section(f":warning: {escape_but_mentions(warning)}"))
    if c.status in (PollStatus.OPEN, PollStatus.CLOSED):
        blocks.append(
            actions(
                [button("Cancel poll", CANCEL_ACTION, str(c.poll_id))],
                block_id=f"poll_choice:{c.poll_id}",
            )
        )
    blocks.append(
        context(
            "Scheduling creates the session through the same checks and reminders as "
            "`/cobot session add`; everyone asked hears the outcome."
        )
    )
    return blocks


def scheduled_text(title: str, starts_at: datetime, timezone: str, warnings: Sequence[str]) -> str:
    """What the coordinator is told after one click."""
    lines = [
        f":white_check_mark: *{escape(title)}* is scheduled for "
        f"{slack_date(starts_at, timezone)}. Everyone asked is being told; the poll is closed."
    ]
    lines += [f":warning: {escape_but_mentions(w)}" for w in warnings]
    return "\n".join(lines)


# ---------------------------------------------------------------- nudge and outcome


def nudge_text(n: Nudge) -> str:
    """The one nudge."""
    return (
        f":wave: A gentle reminder: answers about a time for *{escape(n.title)}* close "
        f"{slack_date(n.closes_at, n.timezone)}. Your invitation is a little further up "
        "this conversation; it only takes a moment, and “if need be” is a fine answer."
    )


def outcome_text(o: Outcome) -> str:
    """What everyone asked hears."""
    if o.status is PollStatus.CANCELLED or o.starts_at is None or o.ends_at is None:
        return f"The poll about a time for *{escape(o.title)}* was cancelled: no need to answer."
    when = f"{_local(o.starts_at, o.ends_at, o.timezone)} ({o.timezone})"
    verb = "moves to" if o.moved else "will be on"
    tail = (
        " You're on it; reminders will follow."
        if o.on_session
        else " You said you couldn't come then: thank you for answering."
    )
    return f":calendar: *{escape(o.title)}* {verb} *{when}*, the time that suited most.{tail}"


# ---------------------------------------------------------------- standing availability


def availability_modal(view: StandingView) -> dict[str, Any]:
    """`/cobot availability`: weekdays off, mornings/afternoons, busy windows, a note."""
    blocks: list[dict[str, Any]] = [
        section(
            f"Your usual availability for *{escape(view.project_name)}* (optional). Polls "
            "mark times that clash as “probably no” until you answer. If you are to run a "
            "session at such a time, the session form warns a coordinator, without saying why. "
            "Times are in your own time zone."
        ),
        forms.checkboxes(
            "weekdays_off",
            "Days you are usually not available",
            [(str(n), name) for n, name in enumerate(WEEKDAYS)],
            checked=frozenset(str(d) for d in view.weekdays_off),
        ),
        forms.select(
            "part",
            "Time of day",
            [(p.value, label) for p, label in PART_LABELS.items()],
            initial=view.part,
        ),
    ]
    for number in range(1, MAX_WINDOWS + 1):
        window = view.windows[number - 1] if number <= len(view.windows) else None
        blocks += [
            forms.text_input(
                f"window{number}_label",
                f"Busy on weekdays ({number}): what",
                window.label if window else "",
                optional=True,
                max_length=60,
                hint="For example: school run. Only you see this.",
            ),
            forms.timepicker(
                f"window{number}_start",
                "From",
                initial=window.start if window else None,
                optional=True,
            ),
            forms.timepicker(
                f"window{number}_end",
                "Until",
                initial=window.end if window else None,
                optional=True,
            ),
        ]
    blocks.append(
        forms.text_input(
            "note",
            "Anything else (only you see it)",
            view.note,
            multiline=True,
            optional=True,
            max_length=MAX_NOTE,
        )
    )
    return forms.modal(
        AVAILABILITY_CALLBACK, "Your availability", blocks, metadata=str(view.project_id)
    )


def availability_saved_text(view: StandingView) -> str:
    """The confirmation."""
    parts = []
    if view.weekdays_off:
        parts.append("not on " + ", ".join(WEEKDAYS[d] for d in sorted(view.weekdays_off)))
    if view.part.value != "any":
        parts.append(PART_LABELS[view.part].lower())
    parts += [
        f"busy {escape(w.label) or 'weekdays'} {w.start:%H:%M}–{w.end:%H:%M}" for w in view.windows
    ]
    said = "; ".join(parts) if parts else "no standing limits"
    return f":white_check_mark: Your availability for *{escape(view.project_name)}*: {said}."


# ---------------------------------------------------------------- the ledger's messages


def poll_message(note: PollNote) -> OutgoingMessage:
    """Any poll delivery, rendered at send time."""
    return _BY_KIND(note)


def _invitation(note: Invitation) -> OutgoingMessage:
    return OutgoingMessage(text=invitation_text(note), blocks=invitation_blocks(note))


def _tally(note: Tally) -> OutgoingMessage:
    return OutgoingMessage(text=tally_text(note), blocks=tally_blocks(note))


def _choice(note: Choice) -> OutgoingMessage:
    return OutgoingMessage(
        text=f"Answers are in: the best times for “{escape(note.title)}”",
        blocks=choice_blocks(note),
    )


_BY_KIND = ByKind(_invitation, _tally, _choice, nudge_text, outcome_text)
