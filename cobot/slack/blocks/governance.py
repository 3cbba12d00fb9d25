"""Block Kit for governance: the plan, the milestone form, nudges, the oversight digest and
its preview, and slowing down (the form, the preview with its checks, the notices)."""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from typing import Any

from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.governance import MAX_LINE
from cobot.domain.governance import MAX_REASON
from cobot.domain.governance import MAX_TITLE
from cobot.domain.governance import SlowDownInput
from cobot.domain.governance import SlowDownMode
from cobot.services.governance import DigestFacts
from cobot.services.governance import DigestSetup
from cobot.services.governance import GovernanceNote
from cobot.services.governance import LineForm
from cobot.services.governance import MilestoneView
from cobot.services.governance import NewDates
from cobot.services.governance import Nudge
from cobot.services.governance import PlanView
from cobot.services.governance import SessionAttendance
from cobot.services.governance import SlowDownNotice
from cobot.services.governance import SlowDownPreview
from cobot.services.governance import SlowedDown
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.renderers import ByKind

CREATE_DATED = "milestones_create_dated"
CREATE_BLANK = "milestones_create_blank"
EDIT_MILESTONE = "milestone_edit"
DONE_MILESTONE = "milestone_done"
ADD_LINE = "digest_add_line"
MILESTONE_CALLBACK = "milestone_form"
LINE_CALLBACK = "digest_line_form"
DIGEST_CALLBACK = "digest_settings_form"
SLOW_CALLBACK = "slow_down_form"
SLOW_CONFIRM_CALLBACK = "slow_down_confirm"
# the slow-down preview shows this many moves of each kind before summarising
SHOWN_MOVES = 12


def _day(value: date | None) -> str:
    return f"{value:%a %d %b %Y}" if value is not None else "no date yet"


def milestone_line(m: MilestoneView) -> str:
    """One milestone in words: done or not, title, owner, due date (overdue marked)."""
    mark = ":white_check_mark:" if m.done else (":red_circle:" if m.overdue else ":white_circle:")
    owner = mention(m.owner) if m.owner else "no owner yet"
    late = " · *overdue*" if m.overdue else ""
    return f"{mark} *{escape(m.title)}* · {owner} · due {_day(m.due_on)}{late}"


# ---------------------------------------------------------------- the plan


def plan_text(view: PlanView) -> str:
    """The plan as plain text (the notification fallback)."""
    if not view.milestones:
        return f"{escape(view.project_name)} has no project plan yet."
    done = sum(1 for m in view.milestones if m.done)
    return f"{escape(view.project_name)}: {done} of {len(view.milestones)} milestones done."


def plan_blocks(view: PlanView) -> list[dict[str, Any]]:
    """The plan: each milestone with Edit and Done (coordinators), or the template offer."""
    blocks: list[dict[str, Any]] = []
    if view.created:
        blocks.append(
            section(
                f":spiral_calendar_pad: Made the plan from the case study's {view.created} "
                "steps. Give each an owner and a date with *Edit*. The oversight and steering "
                "members get a digest every two weeks. Use `/cobot digest` to change that."
            )
        )
    if not view.milestones:
        blocks.append(
            section(
                f"*{escape(view.project_name)}* has no project plan yet. The case study's "
                "steps: oversight group formed, project team recruited, stakeholders mapped, "
                "evaluation measures agreed, risks assessed, practitioners and participants "
                "trained, participants recruited and briefed, co-production sessions, draft "
                "produced, participants' review, launch."
            )
        )
        if view.can_change:
            blocks.append(
                actions(
                    [
                        button(
                            "Make the plan, dates spread over the project",
                            CREATE_DATED,
                            str(view.project_id),
                            style="primary",
                        ),
                        button("Make the plan without dates", CREATE_BLANK, str(view.project_id)),
                    ]
                )
            )
        return blocks
    done = sum(1 for m in view.milestones if m.done)
    blocks.append(
        section(
            f"*Project plan · {escape(view.project_name)}* · {done} of {len(view.milestones)} done"
        )
    )
    for m in view.milestones[:22]:
        blocks.append(section(milestone_line(m)))
        if view.can_change:
            elements = [button("Edit", EDIT_MILESTONE, str(m.id))]
            if not m.done:
                elements.append(button("Done", DONE_MILESTONE, str(m.id), style="primary"))
            blocks.append(actions(elements))
    return blocks


def milestone_modal(m: MilestoneView) -> dict[str, Any]:
    """Edit a milestone: title, owner, due date."""
    return forms.modal(
        MILESTONE_CALLBACK,
        "Milestone",
        [
            forms.text_input("title", "Title", m.title, max_length=MAX_TITLE),
            forms.user_select("owner", "Owner", initial=m.owner, optional=True),
            forms.datepicker("due", "Due", initial=m.due_on, optional=True),
        ],
        metadata=str(m.id),
    )


def milestone_saved_text(m: MilestoneView) -> str:
    """What the coordinator is told after a change."""
    return f"Saved: {milestone_line(m)}"


# ---------------------------------------------------------------- the digest


def digest_setup_modal(setup: DigestSetup) -> dict[str, Any]:
    """How often the oversight and steering members get the digest."""
    nxt = (
        f"The next one goes {slack_date(setup.next_at, setup.timezone)}."
        if setup.next_at is not None
        else "No digest is planned yet."
    )
    return forms.modal(
        DIGEST_CALLBACK,
        "Oversight digest",
        [
            section(
                f"Every few weeks cobot sends the {setup.recipients} oversight and steering "
                "members a digest. It has milestones, sessions, debrief counts and the "
                "wellbeing totals you see. It never has anyone's answers. You get a preview "
                f"a day before, to add a line. {nxt}"
            ),
            forms.text_input("every", "Every how many days", str(setup.every_days)),
            forms.checkboxes(
                "enabled",
                "Send it",
                [("on", "Send the digest")],
                checked=frozenset({"on"}) if setup.enabled else frozenset(),
            ),
        ],
        metadata=str(setup.project_id),
    )


def digest_setup_text(setup: DigestSetup) -> str:
    """The settings in a sentence."""
    if not setup.enabled or setup.next_at is None:
        return "The oversight digest is off."
    return (
        f"The oversight digest goes every {setup.every_days} days to "
        f"{setup.recipients} people; the next {slack_date(setup.next_at, setup.timezone)}."
    )


def line_modal(form: LineForm) -> dict[str, Any]:
    """The coordinator's line for one digest."""
    return forms.modal(
        LINE_CALLBACK,
        "Add a line",
        [
            section(
                f"The digest for *{escape(form.project_name)}* goes "
                f"{slack_date(form.due_at, form.timezone)}. Say how it is going: "
                "“on track”, or “slipping because…”."
            ),
            forms.text_input(
                "line", "Your line", form.line, multiline=True, max_length=MAX_LINE, optional=True
            ),
        ],
        metadata=str(form.digest_id),
    )


def _wellbeing(facts: DigestFacts) -> str:
    if facts.wellbeing is None:
        return "*Wellbeing* · no check-in figures published yet."
    total = facts.wellbeing.aggregate.total if facts.wellbeing.aggregate else None
    period = escape(facts.wellbeing.period)
    if total is None:
        return f"*Wellbeing* · {period}: not shown (fewer than {MIN_PEOPLE} people answered)."
    return (
        f"*Wellbeing* · {period}, totals only: {total.people} people, {total.answers} "
        f"check-ins, average {total.average} of 5, {total.low_answers} low."
    )


def _came(one: SessionAttendance) -> str:
    """One session's attendance, in counts only."""
    if not one.saved:
        return f"{escape(one.title)}: no register saved"
    if not one.counted:
        return (
            f"{escape(one.title)}: register saved; fewer than {MIN_PEOPLE} participants were "
            "asked, so no count is shown"
        )
    more = f", and {one.extra} more who were not on the list" if one.extra else ""
    return f"{escape(one.title)}: {one.came} of {one.asked} came{more}"


def _attendance(facts: DigestFacts) -> str:
    """Participants who came to the held sessions, by the saved registers."""
    if not facts.attendance:
        return "*Attendance* · no sessions held yet"
    lines = [_came(one) for one in facts.attendance]
    if facts.attendance_earlier:
        lines.insert(0, f"{facts.attendance_earlier} earlier sessions are not listed")
    return "*Attendance* · participants, from the saved registers\n" + "\n".join(lines)


def digest_blocks(facts: DigestFacts) -> list[dict[str, Any]]:
    """The digest: counts and published totals, and the coordinator's line."""
    head = (
        f":bar_chart: *{escape(facts.project_name)}* · update for the oversight and steering groups"
    )
    blocks: list[dict[str, Any]] = []
    if facts.preview:
        blocks.append(
            section(
                ":eyes: *Preview* of the digest going "
                f"{slack_date(facts.due_at, facts.timezone)} to the oversight and steering "
                "members. Add a line if you like; if you do nothing it goes as it is "
                "(its figures as they are then)."
            )
        )
        blocks.append(
            actions([button("Add a line", ADD_LINE, str(facts.digest_id), style="primary")])
        )
    blocks.append(section(head))
    if facts.line:
        blocks.append(section(f"*From the coordinator* · {escape(facts.line)}"))
    done = ", ".join(escape(m.title) for m in facts.done[:6]) or "none"
    due = (
        "; ".join(f"{escape(m.title)} ({_day(m.due_on)})" for m in facts.due[:6])
        or "none in the coming weeks"
    )
    blocks.append(
        section(
            f"*Milestones* · done since the last update: {done}\n"
            f"Due next: {due}\n"
            f"{facts.overdue} overdue, of {facts.milestones_total} in the plan."
        )
    )
    nxt = f", next {slack_date(facts.next_session, facts.timezone)}" if facts.next_session else ""
    blocks.append(
        section(
            f"*Sessions* · {facts.sessions_held} held, {facts.sessions_planned} planned{nxt}\n"
            f"{_attendance(facts)}\n"
            f"*Debriefs* · {facts.debriefs_done} of {facts.debriefs_expected} written"
        )
    )
    blocks.append(section(_wellbeing(facts)))
    blocks.append(
        context(
            "Counts and published totals only: never anyone's answers. Groups under 3 "
            "people are never shown."
        )
    )
    return blocks


def digest_text(facts: DigestFacts) -> str:
    """The notification fallback."""
    what = "Preview: update" if facts.preview else "Update"
    return f"{what} on {escape(facts.project_name)} for the oversight and steering groups"


# ---------------------------------------------------------------- slowing down


def slow_down_modal(project_id: int) -> dict[str, Any]:
    """Slow down: how, by how much, and why."""
    return forms.modal(
        SLOW_CALLBACK,
        "Slow down",
        [
            section(
                "Slowing down to protect wellbeing is legitimate; the case study asks that it "
                "is said openly. Nothing changes until you confirm on the next screen."
            ),
            forms.select(
                "mode",
                "How",
                [
                    (SlowDownMode.WEEKS, "Move every future session and milestone by N weeks"),
                    (SlowDownMode.GAPS, "Widen the gaps between sessions to at least N days"),
                ],
                initial=SlowDownMode.WEEKS,
            ),
            forms.text_input("amount", "N (weeks, or days for gaps)", "2"),
            forms.text_input(
                "reason",
                "Why (told to the oversight and steering members)",
                multiline=True,
                max_length=MAX_REASON,
            ),
        ],
        metadata=str(project_id),
        submit="Preview",
    )


def _slow_down_metadata(project_id: int, plan: SlowDownInput) -> str:
    """What the confirmation carries (nothing is stored before it)."""
    return json.dumps(
        {"project": project_id, "mode": plan.mode, "amount": plan.amount, "reason": plan.reason}
    )


def read_slow_down_metadata(raw: str) -> tuple[int, SlowDownInput] | None:
    """The confirmation's project and plan; None when forged or outdated."""
    try:
        data = json.loads(raw)
        plan = SlowDownInput(
            mode=SlowDownMode(data["mode"]), amount=int(data["amount"]), reason=str(data["reason"])
        )
        return int(data["project"]), plan
    except (ValueError, KeyError, TypeError):
        return None


def _when(value: datetime, tz: str) -> str:
    return slack_date(value, tz)


def _count(n: int, noun: str) -> str:
    """'1 week', '2 weeks', '0 sessions'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def slow_down_preview_modal(preview: SlowDownPreview) -> dict[str, Any]:
    """The new dates and the interval checks, with one confirmation."""
    plan = preview.plan
    how = (
        f"everything {_count(plan.amount, 'week')} later"
        if plan.mode is SlowDownMode.WEEKS
        else f"gaps between sessions of at least {plan.amount} days"
    )
    blocks: list[dict[str, Any]] = [
        section(f"*Slowing down {escape(preview.project_name)}*: {how}.")
    ]
    moves = [m for m in preview.sessions if m.new_start != m.old_start]
    lines = [
        f"• {escape(m.title)}: {_when(m.old_start, preview.timezone)} → "
        f"*{_when(m.new_start, preview.timezone)}*"
        for m in moves[:SHOWN_MOVES]
    ]
    if len(moves) > SHOWN_MOVES:
        lines.append(f"…and {len(moves) - SHOWN_MOVES} more")
    blocks.append(section("*Sessions*\n" + ("\n".join(lines) or "none move")))
    mlines = [
        f"• {escape(m.title)}: {_day(m.due_on)} → *{_day(new)}*"
        for m, new in preview.milestones[:SHOWN_MOVES]
        if new != m.due_on
    ]
    blocks.append(section("*Milestones*\n" + ("\n".join(mlines) or "none move")))
    if preview.checks:
        checks = "\n".join(f":warning: {escape(p.message)}" for p in preview.checks[:8])
        blocks.append(section(f"*Interval checks on the new dates*\n{checks}"))
    else:
        blocks.append(
            section("*Interval checks on the new dates* · :large_green_circle: every gap fits.")
        )
    blocks.append(
        section(f"*Why* (told to the oversight and steering members)\n>{escape(plan.reason)}")
    )
    blocks.append(
        context(
            f"{preview.people} people will be told their new dates, once each. Reminders "
            "and debrief prompts move with the sessions."
        )
    )
    view = forms.modal(
        SLOW_CONFIRM_CALLBACK,
        "Slow down",
        blocks,
        metadata=_slow_down_metadata(preview.project_id, plan),
        submit="Confirm",
    )
    return view


def slowed_down_modal(done: SlowedDown) -> dict[str, Any]:
    """The result."""
    return forms.modal(
        "slow_down_done",
        "Slowed down",
        [
            section(
                f":turtle: Moved {_count(done.sessions_moved, 'session')} and "
                f"{_count(done.milestones_moved, 'milestone')}. {done.people_told} people are "
                "told their new dates and "
                f"{done.oversight_told} oversight and steering members the reason."
            )
        ],
        submit=None,
        close="Done",
    )


# ---------------------------------------------------------------- messages at send time


def _nudge(note: Nudge) -> OutgoingMessage:
    m = note.milestone
    text = (
        f":alarm_clock: *{escape(m.title)}* in {escape(note.project_name)} was due "
        f"{_day(m.due_on)} and isn't marked done yet. If it is done, press Done; if it needs "
        "more time, ask a coordinator to move its date."
    )
    return OutgoingMessage(
        text=f"{escape(m.title)} is overdue",
        blocks=[
            section(text),
            actions([button("Done", DONE_MILESTONE, str(m.id), style="primary")]),
        ],
    )


def _new_dates(note: NewDates) -> OutgoingMessage:
    lines = [f"• {escape(t)}: *{slack_date(s, note.timezone)}*" for t, s in note.sessions]
    lines += [f"• {escape(t)} (milestone): due *{_day(d)}*" for t, d in note.milestones]
    text = (
        f":turtle: *{escape(note.project_name)}* is slowing down, to leave more room. "
        "Your new dates:\n" + "\n".join(lines[:40])
    )
    return OutgoingMessage(text="Your new dates", blocks=[section(text)])


def _notice(note: SlowDownNotice) -> OutgoingMessage:
    how = (
        f"moved everything {_count(note.amount, 'week')} later"
        if note.mode == SlowDownMode.WEEKS
        else f"widened the gaps between sessions to at least {note.amount} days"
    )
    text = (
        f":turtle: {mention(note.by)} {how} in *{escape(note.project_name)}*: "
        f"{_count(note.sessions_moved, 'session')} and "
        f"{_count(note.milestones_moved, 'milestone')} moved.\n"
        f"*Why*\n>{escape(note.reason)}"
    )
    return OutgoingMessage(
        text=f"{escape(note.project_name)} is slowing down", blocks=[section(text)]
    )


def governance_message(note: GovernanceNote) -> OutgoingMessage:
    """Any governance delivery as Slack shows it."""
    return _BY_KIND(note)


def _digest(note: DigestFacts) -> OutgoingMessage:
    return OutgoingMessage(text=digest_text(note), blocks=digest_blocks(note))


def home_lines(milestones: tuple[MilestoneView, ...], *, limit: int = 6) -> str:
    """The plan on a coordinator's Home: overdue first, then the next open ones."""
    if not milestones:
        return "*Project plan* · none yet: `/cobot milestones` makes one from the case study."
    open_ = [m for m in milestones if not m.done]
    overdue = [m for m in open_ if m.overdue]
    rest = [m for m in open_ if not m.overdue]
    done = len(milestones) - len(open_)
    lines = [f"*Project plan* · {done} of {len(milestones)} milestones done"]
    if overdue:
        lines[0] += f", :red_circle: {len(overdue)} overdue"
    lines += [milestone_line(m) for m in (overdue + rest)[:limit]]
    return "\n".join(lines)


_BY_KIND = ByKind(_nudge, _new_dates, _notice, _digest)
