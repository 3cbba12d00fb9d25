"""Block Kit for the App Home tab: my sessions, my open items, my check-ins, my projects,
and for coordinators one project in detail (the others one click away).

Buttons reuse the action ids of the features that own them (sharing an agenda, writing a
debrief...), so the same handlers run; values carry ids only. A Home holds at most 100
blocks: each section is capped, and `fit()` summarises whatever would still overflow.
"""

from __future__ import annotations

from typing import Any

from cobot.domain import timeline as rules
from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.involvement import hours_text
from cobot.services.home import ITEM_ACTION
from cobot.services.home import ITEM_AGENDA
from cobot.services.home import ITEM_CHECKIN
from cobot.services.home import ITEM_DEBRIEF
from cobot.services.home import ITEM_FEEDBACK
from cobot.services.home import ITEM_MILESTONE
from cobot.services.home import ITEM_NOTES
from cobot.services.home import AgreementView
from cobot.services.home import CheckinLine
from cobot.services.home import CoordinatorView
from cobot.services.home import HomeView
from cobot.services.home import OpenItem
from cobot.services.home import ProjectCard
from cobot.services.home import Retried
from cobot.services.timeline import TimelinePicture
from cobot.slack.blocks import checkins as checkin_blocks
from cobot.slack.blocks import debriefs as debrief_blocks
from cobot.slack.blocks import forms
from cobot.slack.blocks import governance as governance_blocks
from cobot.slack.blocks import perspectives as perspective_blocks
from cobot.slack.blocks import reminders as reminder_blocks
from cobot.slack.blocks import reviews as review_blocks
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import cut
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import header
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import role_in_sentence
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.involvement import record_blocks

HOME_LIMIT = 100
MAX_PROJECTS = 10
MAX_OTHERS = 8
MAX_AIMS = 300

# this feature's own buttons
AGREEMENT = "home_agreement"
CHECKIN_SETTINGS = "home_checkin_settings"
RETRY = "home_retry_delivery"
TIMELINE = "home_timeline"
EXPORT = "home_export"
FOCUS = "home_focus"
GROUP = "Home and timeline"

PHASE_WORDS = {
    rules.SETTING_UP: ":seedling: Setting up: no session held yet",
    rules.RUNNING: ":arrows_counterclockwise: Running sessions",
    rules.CLOSING: ":checkered_flag: Closing: every session held",
    rules.ENDED: ":white_check_mark: Ended",
}
RISK_WORDS = {
    rules.AGENDA: "agenda not shared",
    rules.NOTES: "notes not posted",
    "debriefs": "debriefs missing",
}


def welcome_home() -> dict[str, Any]:
    """The Home tab before someone belongs to any project."""
    return {
        "type": "home",
        "blocks": [
            header("Welcome to cobot"),
            section(
                "cobot keeps your co-production project on time and looks after the "
                "people in it. Your sessions, the things you owe before and after "
                "them, and your private check-ins will appear here."
            ),
            context("Type `/cobot help` in any channel to start."),
        ],
    }


def home_view(view: HomeView, *, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The whole Home tab for one person; `extra` are other features' sections (polls)."""
    if view.empty:
        return welcome_home()
    blocks: list[dict[str, Any]] = [
        header("Your cobot Home"),
        context(
            f"Updated {slack_date(view.now, view.projects[0].timezone)}. Only you see this "
            "page; your check-in answers are never shown to anyone else."
        ),
    ]
    blocks += _sessions(view)
    blocks += review_blocks.home_blocks(view.reviews)
    blocks += _items(view)
    blocks += extra or []
    blocks += _checkins(view.checkins)
    blocks += record_blocks(list(view.involvement))
    blocks += _projects(view.projects)
    mine = perspective_blocks.home_button([(c.id, c.name) for c in view.projects])
    if mine is not None:
        blocks.append(mine)
    for detail in view.coordinating:
        blocks += coordinator_blocks(detail)
    if view.other_coordinated:
        blocks += _others(view.other_coordinated)
    return {"type": "home", "blocks": fit(blocks)}


def fit(blocks: list[dict[str, Any]], limit: int = HOME_LIMIT) -> list[dict[str, Any]]:
    """At most `limit` blocks: the rest summarised in one closing line."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    left = len(blocks) - len(kept)
    return [
        *kept,
        context(
            f"…and {left} more lines that do not fit on one page. The `/cobot` commands "
            "in each project's channel show everything."
        ),
    ]


# ---------------------------------------------------------------- everyone


def _sessions(view: HomeView) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [header(":calendar: Your next sessions")]
    if not view.sessions:
        return [*blocks, context("No sessions coming up for you.")]
    lines = []
    for s in view.sessions:
        venue = f" · {escape(cut(s.venue, 80))}" if s.venue else ""
        lines.append(
            f"• *{escape(s.title)}* ({escape(s.project_name)}): "
            f"{slack_date(s.starts_at, s.timezone)}, you are *{s.role_words}*{venue}"
            + (" · :page_facing_up: agenda out" if s.agenda_shared else "")
        )
    return [*blocks, section("\n".join(lines))]


ITEM_TEXT = {
    ITEM_DEBRIEF: ":memo: Write your debrief of *{title}*",
    ITEM_FEEDBACK: ":speech_balloon: Say how *{title}* went for you (optional)",
    ITEM_AGENDA: ":page_facing_up: Share the agenda of *{title}*",
    ITEM_NOTES: ":notebook: Post the notes of *{title}*",
    ITEM_ACTION: ":ballot_box_with_check: Action: {title}",
    ITEM_CHECKIN: ":seedling: Your check-in is waiting: how are you?",
    ITEM_MILESTONE: ":spiral_calendar_pad: Milestone: {title}",
}


def item_button(item: OpenItem) -> dict[str, Any] | None:
    """The button that does the item, with its owning feature's action id."""
    value = str(item.target_id)
    if item.kind == ITEM_DEBRIEF:
        return button("Write debrief", debrief_blocks.OPEN_DEBRIEF, value, style="primary")
    if item.kind == ITEM_FEEDBACK:
        return button("Give feedback", debrief_blocks.FEEDBACK_OPEN, value)
    if item.kind == ITEM_AGENDA:
        return button("Share agenda", reminder_blocks.SHARE_AGENDA, value, style="primary")
    if item.kind == ITEM_NOTES:
        return button("Post notes", reminder_blocks.POST_NOTES, value, style="primary")
    if item.kind == ITEM_ACTION:
        return button("Done", debrief_blocks.ACTION_DONE, value)
    if item.kind == ITEM_MILESTONE:
        return button("Done", governance_blocks.DONE_MILESTONE, value)
    return None


def _items(view: HomeView) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [header(":white_check_mark: Your open items")]
    if not view.items:
        return [*blocks, context("Nothing waiting for you. Thank you!")]
    for item in view.items:
        text = ITEM_TEXT[item.kind].format(title=escape(cut(item.title, 500)))
        text += f" · _{escape(item.project_name)}_"
        if item.due_at is not None:
            when = slack_date(item.due_at, item.timezone)
            text += f"\n:red_circle: was due {when}" if item.overdue else f"\nDue {when}"
        action = item_button(item)
        blocks.append(section(text, accessory=action) if action else section(text))
        if item.kind == ITEM_CHECKIN:
            blocks.append(
                checkin_blocks.mood_buttons(
                    item.target_id, block_id=f"home_checkin_{item.target_id}"
                )
            )
    if view.items_total > len(view.items):
        blocks.append(context(f"…and {view.items_total - len(view.items)} more."))
    return blocks


def _checkins(lines: tuple[CheckinLine, ...]) -> list[dict[str, Any]]:
    if not lines:
        return []
    blocks: list[dict[str, Any]] = [header(":seedling: Your check-ins (only you see these)")]
    for line in lines[:MAX_PROJECTS]:
        if line.status in ("declined", "stopped"):
            state = "You are not taking part at the moment."
        elif line.status == "invited":
            state = "cobot has asked whether you would like check-ins."
        else:
            state = f"{line.days} at {line.time_of_day}"
            if line.after_sessions:
                state += ", and after your sessions"
        if line.paused_until is not None:
            state += f" · paused until {line.paused_until:%d %b %Y}"
        if line.next_at is not None:
            state += f"\nNext: {slack_date(line.next_at, line.timezone)}"
        trend = (
            f"\nYour trend (last {line.answers}, oldest first): `{line.trend}`"
            if line.trend
            else ""
        )
        text = f"*{escape(line.project_name)}*: {state}{trend}"
        blocks.append(
            section(
                text,
                accessory=button("Change settings", CHECKIN_SETTINGS, str(line.project_id)),
            )
        )
    return blocks


def _projects(cards: tuple[ProjectCard, ...]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [header(":handshake: Your projects")]
    for card in cards[:MAX_PROJECTS]:
        aims = escape(cut(card.aims.strip(), MAX_AIMS)) if card.aims.strip() else "_No aims yet._"
        dates = ""
        if card.start_date and card.end_date:
            dates = f"\n{card.start_date:%d %b %Y} to {card.end_date:%d %b %Y}"
        text = f"*{escape(card.name)}*, you are {role_in_sentence(card.role, 1)}\n{aims}{dates}"
        label = "Aims and agreement" if card.has_agreement else "Aims"
        blocks.append(section(text, accessory=button(label, AGREEMENT, str(card.id))))
    if len(cards) > MAX_PROJECTS:
        blocks.append(context(f"…and {len(cards) - MAX_PROJECTS} more projects."))
    return blocks


def agreement_modal(view: AgreementView) -> dict[str, Any]:
    """A project's aims and group agreement, read-only."""
    agreement = view.agreement.strip() or (
        "No group agreement has been written yet. Coordinators write it with "
        "`/cobot agreement`, from what the group agrees together at the start."
    )
    return forms.modal(
        None,
        "Group agreement",
        [
            section(f"*{escape(view.name)}*"),
            section(f"*Aims*\n{escape(view.aims.strip()) or '_No aims yet._'}"),
            section(f"*Our agreement*\n{escape(agreement)}"),
        ],
        submit=None,
        close="Close",
    )


# ---------------------------------------------------------------- coordinators


def coordinator_blocks(view: CoordinatorView) -> list[dict[str, Any]]:
    """One project's state for its coordinators: no one's answers, only who and when."""
    value = str(view.project_id)
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        header(f":compass: Coordinating: {view.name}"),
        section(_timeline_text(view)),
        actions(
            [
                button("Timeline picture", TIMELINE, value),
                button("Export report and CSVs", EXPORT, value),
            ],
            block_id=f"home_coordinator_{view.project_id}",
        ),
        section(_risks_text(view)),
        section(governance_blocks.home_lines(view.milestones)),
        section(_onboarding_text(view)),
        section(_rota_text(view)),
    ]
    blocks += _failures(view)
    if view.checkins_on:
        blocks.append(section(_wellbeing_text(view)))
    if view.perspectives is not None:
        blocks.append(section(perspective_blocks.coordinator_text(view.perspectives)))
    review = review_blocks.coordinator_text(view.review_open, view.review_last)
    if review is not None:
        blocks.append(section(review))
    return blocks


def _timeline_text(view: CoordinatorView) -> str:
    line = view.timeline
    parts = [f"*Timeline* · {PHASE_WORDS[line.phase]}"]
    parts.append(f"{line.held} sessions held, {line.to_come} to come")
    if line.next_start is not None:
        parts.append(f"next {slack_date(line.next_start, view.timezone)}")
    if line.days_to_end is not None:
        if line.days_to_end >= 0:
            parts.append(f"{line.days_to_end} days to the end")
        else:
            parts.append(f"ended {-line.days_to_end} days ago")
    text = "\n".join([parts[0], ", ".join(parts[1:])])
    if line.squeezed_gaps:
        text += (
            f"\n:warning: {line.squeezed_gaps} gap(s) between sessions squeeze the work between "
            "them (the picture shows which)."
        )
    return text


def _risks_text(view: CoordinatorView) -> str:
    if not view.risks:
        return "*Deadlines* · :large_green_circle: nothing at risk."
    lines = ["*Deadlines at risk*"]
    for risk in view.risks[:15]:
        mark = ":red_circle: was due" if risk.overdue else ":large_orange_circle: due"
        who = f" ({mentions(risk.who)})" if risk.who else ""
        lines.append(
            f"• {escape(risk.title)}: {RISK_WORDS.get(risk.what, risk.what)}{who}, "
            f"{mark} {slack_date(risk.due_at, view.timezone)}"
        )
    if len(view.risks) > 15:
        lines.append(f"…and {len(view.risks) - 15} more.")
    return "\n".join(lines)


def _onboarding_text(view: CoordinatorView) -> str:
    head = f"*Onboarding* · {view.onboarded} of {view.participants} participants ready"
    if not view.onboarding:
        return head + (" :large_green_circle:" if view.participants else "")
    lines = [head]
    for line in view.onboarding[:15]:
        lines.append(f"• {mention(line.user_id)}: still to do {', '.join(line.missing)}")
    if len(view.onboarding) > 15:
        lines.append(f"…and {len(view.onboarding) - 15} more.")
    return "\n".join(lines)


def _rota_text(view: CoordinatorView) -> str:
    if not view.rota:
        return "*Facilitator rota* · no sessions to come." + _workload_text(view)
    lines = ["*Facilitator rota and group sizes*"]
    for line in view.rota[:20]:
        flags = []
        if line.short_of_facilitators:
            flags.append(":warning: fewer than two facilitators")
        if line.too_big:
            flags.append(":warning: more than 12 participants")
        flag = f" {'; '.join(flags)}" if flags else ""
        lines.append(
            f"• {slack_date(line.starts_at, view.timezone)} *{escape(cut(line.title, 80))}*: "
            f"{mentions(line.facilitators)} · {line.participants} participants{flag}"
        )
    if len(view.rota) > 20:
        lines.append(f"…and {len(view.rota) - 20} more sessions.")
    return "\n".join(lines) + _workload_text(view)


def _workload_text(view: CoordinatorView) -> str:
    """Facilitation so far, by the registers, and who carries much more than the others."""
    if not any(minutes for _user, minutes in view.workload):
        return ""
    shares = ", ".join(f"{mention(u)} {hours_text(m)}" for u, m in view.workload[:12])
    text = f"\n*Facilitation so far* (by the registers) · {shares}"
    if view.overloaded:
        text += (
            f"\n:warning: {mentions(view.overloaded)} carries much more than the others: "
            "share the next sessions out more evenly."
        )
    return text


def _failures(view: CoordinatorView) -> list[dict[str, Any]]:
    if not view.failures:
        return [section("*Messages* · :large_green_circle: every message got through.")]
    blocks = [section(f"*Messages that did not get through* · {view.failures_total}")]
    for failure in view.failures:
        target = (
            mention(failure.target)
            if failure.target.startswith(("U", "W"))
            else f"<#{failure.target}>"
        )
        text = (
            f"{failure.kind.replace('_', ' ')} to {target}, due "
            f"{slack_date(failure.due_at, view.timezone)}\n_{escape(cut(failure.reason, 300))}_"
        )
        blocks.append(section(text, accessory=button("Retry", RETRY, str(failure.id))))
    if view.failures_total > len(view.failures):
        blocks.append(context(f"…and {view.failures_total - len(view.failures)} older ones."))
    return blocks


def _wellbeing_text(view: CoordinatorView) -> str:
    if not view.wellbeing_period or view.wellbeing is None:
        return (
            "*Wellbeing* · totals only\nNo month has ended since check-ins started: figures "
            f"for {escape(view.wellbeing_open or 'this month')} appear once it ends."
        )
    head = f"*Wellbeing* · {escape(view.wellbeing_period)}, totals only"
    found = view.wellbeing
    if found.total is None:
        return (
            f"{head}\nFewer than {MIN_PEOPLE} people answered, so nothing is shown: "
            "this protects each person's answers."
        )
    total = found.total
    lines = [
        head,
        f"{total.people} people, {total.answers} answers, average {total.average} of 5, "
        f"{total.low_answers} low",
    ]
    for group in found.groups:
        lines.append(
            f"• {escape(group.group.replace('_', ' '))}: average {group.average} "
            f"({group.people} people)"
        )
    if found.hidden:
        lines.append(f"_Groups under {MIN_PEOPLE} people are counted only in the total._")
    if view.wellbeing_open:
        lines.append(f"_{escape(view.wellbeing_open)} appears once it ends._")
    return "\n".join(lines)


def _others(cards: tuple[ProjectCard, ...]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        context("You also coordinate these projects; show one to see its state here."),
    ]
    for card in cards[:MAX_OTHERS]:
        blocks.append(
            section(f"*{escape(card.name)}*", accessory=button("Show", FOCUS, str(card.id)))
        )
    if len(cards) > MAX_OTHERS:
        blocks.append(context(f"…and {len(cards) - MAX_OTHERS} more."))
    return blocks


# ---------------------------------------------------------------- answers


def timeline_title(picture: TimelinePicture) -> str:
    """The uploaded picture's title."""
    return f"Timeline: {escape(picture.project_name)}"


def timeline_comment(picture: TimelinePicture) -> str:
    """What goes with the uploaded picture."""
    squeezed = (
        f" {picture.squeezed} step(s) in red are squeezed: the gap before the next session "
        "is too short for them by this project's lead times."
        if picture.squeezed
        else " Every step fits between the sessions."
    )
    return (
        f":bar_chart: The timeline of *{escape(picture.project_name)}*: "
        f"{picture.sessions} sessions and the work between them.{squeezed}"
    )


def retried_text(result: Retried) -> str:
    """The answer to Retry."""
    what = result.kind.replace("_", " ")
    if result.retried:
        return f":repeat: The {what} is queued again and goes out in a moment."
    return f"The {what} is no longer waiting for a retry, so nothing was changed."
