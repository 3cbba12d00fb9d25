"""Block Kit for check-ins: consent, the question, support, modals, history and summaries."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import time
from functools import partial
from typing import Any

from cobot.domain import checkins as rules
from cobot.domain.disclosure import MIN_OTHERS
from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.roles import Role
from cobot.services.checkins import Answer
from cobot.services.checkins import Consented
from cobot.services.checkins import ContactForm
from cobot.services.checkins import ContactNote
from cobot.services.checkins import ContactRequested
from cobot.services.checkins import History
from cobot.services.checkins import NoteForm
from cobot.services.checkins import PeriodFigures
from cobot.services.checkins import PersonSettings
from cobot.services.checkins import Planned
from cobot.services.checkins import Prompt
from cobot.services.checkins import SetupForm
from cobot.services.checkins import SetupSaved
from cobot.services.checkins import Summary
from cobot.services.ports import OutgoingMessage
from cobot.services.privacy import Forgotten
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date

GROUP = "Check-ins"

CONSENT_YES = "checkins_consent_yes"
CONSENT_NO = "checkins_consent_no"
MOOD_PREFIX = "checkins_mood_"
MOOD_PATTERN = re.compile(r"^checkins_mood_[1-5]$")
NOTE = "checkins_note"
CONTACT = "checkins_contact"
NOT_TODAY = "checkins_not_today"
PAUSE = "checkins_pause"
STOP = "checkins_stop"
FORGET = "checkins_forget_confirm"

NOTE_MODAL = "checkins_note_modal"
CONTACT_MODAL = "checkins_contact_modal"
PAUSE_MODAL = "checkins_pause_modal"
SETTINGS_MODAL = "checkins_settings_modal"
SETUP_MODAL = "checkins_setup_modal"
INPUT = "input"

CONTACTS_USAGE = "Usage: `/cobot checkin contacts @a @b` (coordinators)."


def _when(at: datetime | None, zone: str) -> str:
    return slack_date(at, zone) if at is not None else "not planned"


# ---------------------------------------------------------------- the check-in DM


def consent_blocks(prompt: Prompt) -> list[dict[str, Any]]:
    """The first check-in: what is collected, who sees what, how to stop; then a choice."""
    who = mentions(prompt.contacts) if prompt.contacts else "the project's wellbeing contact"
    explain = (
        f":seedling: *Wellbeing check-ins for {escape(prompt.project_name)}*\n"
        "Co-production can be draining as well as rewarding. cobot can ask you now and then, "
        "privately, how you are doing. Before it asks anything, here is exactly what that "
        "means."
    )
    collected = (
        "*What is collected*\n"
        "• How you feel, on a scale of 1 (struggling) to 5 (great), when you choose to answer.\n"
        "• A note, only if you choose to write one.\n"
        "Both are stored encrypted. Nothing is collected unless you press *I agree*."
    )
    sees = (
        "*Who sees what*\n"
        "• Only you see your own answers and notes (`/cobot checkin history`).\n"
        "• Coordinators see only totals for groups of at least "
        f"{rules.MIN_GROUP} people, never your answer.\n"
        f"• If you ask for someone to get in touch, {who} get a message with only what you "
        "choose to share. Nobody else is ever told.\n"
        f"• Your answers are deleted {prompt.retention_days} days after the project ends. "
        "`/cobot my data` sends you a copy; `/cobot forget me` erases them."
    )
    when = (
        "*When and how to stop*\n"
        f"Check-ins come at {prompt.time_of_day} your time, {rules.format_days(prompt.days)}, "
        "and you can change that with `/cobot checkin settings`. Every check-in has *Not "
        "today*, *Pause* and *Stop* buttons, and saying no now is completely fine."
    )
    return [
        section(explain),
        section(collected),
        section(sees),
        section(when),
        actions(
            [
                button("I agree", CONSENT_YES, str(prompt.delivery_id), style="primary"),
                button("No thanks", CONSENT_NO, str(prompt.delivery_id)),
            ],
            block_id="checkins_consent",
        ),
    ]


def question_blocks(prompt: Prompt, *, intro: str | None = None) -> list[dict[str, Any]]:
    """The check-in question: five moods in words, contact, and the one-click controls."""
    value = str(prompt.delivery_id)
    blocks: list[dict[str, Any]] = []
    if intro:
        blocks.append(section(intro))
    blocks.append(
        section(
            f":wave: *How are you feeling today?* ({escape(prompt.project_name)})\n"
            "Only you will see your answer."
        )
    )
    blocks.append(mood_buttons(prompt.delivery_id))
    blocks.append(section("Would you like someone to get in touch?"))
    blocks.append(actions([button("Yes, please", CONTACT, value)], block_id="checkins_contact"))
    blocks.append(_controls(prompt.delivery_id))
    return blocks


def mood_buttons(delivery_id: int, *, block_id: str = "checkins_mood") -> dict[str, Any]:
    """The mood buttons of one check-in (the DM's, or the Home's in its own row)."""
    return actions(
        [
            button(
                f"{rules.MOOD_EMOJI[m]} {rules.mood_label(m)}",
                f"{MOOD_PREFIX}{m}",
                f"{delivery_id}:{m}",
            )
            for m in sorted(rules.MOODS)
        ],
        block_id=block_id,
    )


def _controls(delivery_id: int) -> dict[str, Any]:
    value = str(delivery_id)
    return actions(
        [
            button("Not today", NOT_TODAY, value),
            button("Pause (away until…)", PAUSE, value),
            button("Stop check-ins", STOP, value),
        ],
        block_id="checkins_controls",
    )


def checkin_message(prompt: Prompt) -> OutgoingMessage:
    """A check-in delivery: the consent request first, the question after agreement."""
    if prompt.consent:
        return OutgoingMessage(
            text=(
                f"Wellbeing check-ins for {escape(prompt.project_name)}: may cobot ask how you are?"
            ),
            blocks=consent_blocks(prompt),
        )
    return OutgoingMessage(
        text=f"How are you feeling today? ({escape(prompt.project_name)})",
        blocks=question_blocks(prompt),
    )


def consented_message(result: Consented) -> OutgoingMessage:
    """The consent request replaced by the question (agreed) or a goodbye (declined)."""
    if not result.agreed or result.prompt is None:
        return OutgoingMessage(
            text=(
                "No problem: cobot will not check in with you, and nothing was collected. "
                "If you change your mind, use `/cobot checkin settings` in the project's channel."
            )
        )
    intro = (
        ":white_check_mark: Thank you. Your next check-in: "
        f"{_when(result.next_at, result.timezone)}."
    )
    return OutgoingMessage(
        text="How are you feeling today?", blocks=question_blocks(result.prompt, intro=intro)
    )


def answered_message(answer: Answer) -> OutgoingMessage:
    """The check-in after an answer: thanks, a note, contact; support after a low answer."""
    value = str(answer.delivery_id)
    label = rules.mood_label(answer.mood)
    blocks: list[dict[str, Any]] = [
        section(
            f"{rules.MOOD_EMOJI.get(answer.mood, '')} Thank you. You answered *{label}* "
            f"({escape(answer.project_name)}). Only you can see this; press another answer "
            "to change it."
        ),
        mood_buttons(answer.delivery_id),
    ]
    if answer.low or answer.streak:
        lead = (
            "It sounds like things have been hard for a while."
            if answer.streak
            else "It sounds like today is hard."
        )
        support = (
            escape(answer.support)
            if answer.support.strip()
            else (
                "Talk to someone you trust, your GP, or call NHS 111 (option 2 for mental health). "
                "In an emergency call 999."
            )
        )
        blocks.append(
            section(
                f":yellow_heart: {lead} You do not have to manage on your own. "
                f"*Who you can talk to*\n{support}"
            )
        )
        blocks.append(context("cobot has not told anyone. Only you decide whether anyone hears."))
    note_label = "Edit your note" if answer.has_note else "Anything you want to say?"
    elements = [button(note_label, NOTE, value)]
    if answer.has_contacts:
        elements.append(button("Would you like someone to get in touch?", CONTACT, value))
    blocks.append(actions(elements, block_id="checkins_after"))
    blocks.append(_controls(answer.delivery_id))
    return OutgoingMessage(text=f"Thank you: you answered {label}.", blocks=blocks)


def note_saved_text(answer: Answer) -> str:
    """After the note modal."""
    if answer.has_note:
        return ":lock: Your note is saved, encrypted. Only you can see it."
    return "Your note was removed."


def contact_requested_text(result: ContactRequested) -> str:
    """After asking for contact: who will be told, and what."""
    shared = [
        what
        for what, yes in (
            ("how you feel today", result.shared_mood),
            ("your note", result.shared_note),
            ("your message", result.shared_message),
        )
        if yes
    ]
    what = (
        f"with {' and '.join([', '.join(shared[:-1]), shared[-1]] if len(shared) > 1 else shared)}"
        if shared
        else "and nothing else"
    )
    return (
        f":handshake: {mentions(result.contacts)} will get a message asking them to get "
        f"in touch, {what}. Nobody else is told."
    )


def planned_text(planned: Planned, *, what: str) -> str:
    """After Not today or Pause."""
    back = (
        f" You are away until {planned.paused_until:%A %d %B %Y}."
        if planned.paused_until is not None
        else ""
    )
    return f"{what}{back} Your next check-in: {_when(planned.next_at, planned.timezone)}."


STOPPED_TEXT = (
    ":octagonal_sign: Check-ins are stopped for this project: cobot will not ask again. "
    "Your earlier answers stay private to you (`/cobot forget me` erases them). To start "
    "again, use `/cobot checkin settings` in the project's channel."
)


def contact_message(note: ContactNote) -> OutgoingMessage:
    """The DM to a wellbeing contact: only what the person chose to share."""
    lines = [
        f":handshake: {mention(note.person)} asked for someone to get in touch "
        f"({escape(note.project_name)}, {slack_date(note.requested_at, note.timezone)}).",
    ]
    if note.mood is not None:
        lines.append(f"*How they feel today:* {rules.mood_label(note.mood)}")
    if note.note:
        lines.append(f"*Their note:*\n{escape(note.note)}")
    if note.message:
        lines.append(f"*Their message to you:*\n{escape(note.message)}")
    blocks = [
        section("\n".join(lines)),
        context(
            "This was shared with you alone, because they asked. Please keep it private and "
            "reach out to them directly."
        ),
    ]
    return OutgoingMessage(
        text=f"{mention(note.person)} asked for someone to get in touch",
        blocks=blocks,
    )


# ---------------------------------------------------------------- modals


def _modal(
    callback_id: str, title: str, submit: str, metadata: str, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    return forms.modal(callback_id, title, blocks, metadata=metadata, submit=submit)


# check-in texts are multi-line and optional unless said otherwise
_text_input = partial(
    forms.text_input, multiline=True, optional=True, max_length=2000, action_id=INPUT
)


# check-in checkboxes are optional unless said otherwise, read under the same action id
_checkboxes = partial(forms.checkboxes, action_id=INPUT)


def note_modal(form: NoteForm) -> dict[str, Any]:
    """Anything you want to say? (encrypted, seen only by you)."""
    return _modal(
        NOTE_MODAL,
        "Your note",
        "Save",
        str(form.delivery_id),
        [
            _text_input(
                "note",
                "Anything you want to say?",
                initial=form.note,
                hint="Only you can see this. It is stored encrypted. Leave it empty to remove it.",
            )
        ],
    )


def contact_modal(form: ContactForm) -> dict[str, Any]:
    """Choose what to share with the wellbeing contacts."""
    options = []
    if form.mood is not None:
        options.append(("mood", f"How I feel today ({rules.mood_label(form.mood)})"))
    if form.has_note:
        options.append(("note", "My note"))
    blocks: list[dict[str, Any]] = [
        section(
            f"{mentions(form.contacts)} will get a message asking them to get in touch "
            "with you. They see only what you choose below; nobody else is told."
        )
    ]
    if options:
        blocks.append(_checkboxes("share", "Share with them (optional)", options))
    blocks.append(
        _text_input("message", "A message for them (optional)", hint="For example, a good time.")
    )
    return _modal(CONTACT_MODAL, "Get in touch", "Ask them", str(form.delivery_id), blocks)


def pause_modal(delivery_id: int) -> dict[str, Any]:
    """Away until <date>."""
    return _modal(
        PAUSE_MODAL,
        "Pause check-ins",
        "Pause",
        str(delivery_id),
        [
            forms.datepicker(
                "until", "Away until (check-ins start again on this day)", action_id=INPUT
            )
        ],
    )


def settings_modal(found: PersonSettings) -> dict[str, Any]:
    """The person's own settings: time, days, after sessions, pause, taking part."""
    day_options = [(str(i), name) for i, name in enumerate(rules.DAY_NAMES)]
    chosen_days = frozenset(str(i) for i in found.days)
    status = {
        "active": f"You are taking part. Next check-in: {_when(found.next_at, found.timezone)}.",
        "invited": "cobot will ask for your consent at your next check-in time.",
        "declined": "You said no thanks to check-ins.",
        "stopped": "Your check-ins are stopped.",
        "not_enrolled": "You are not taking part in check-ins yet.",
    }.get(found.status, "")
    taking_part = found.status in ("active", "invited")
    blocks = [
        section(
            f"*{escape(found.project_name)}*\n{status}\nTimes are in your Slack time zone "
            f"(now {escape(found.timezone)}); if you travel, check-ins follow you."
        ),
        _checkboxes(
            "taking_part",
            "Taking part",
            [("yes", "Send me check-ins")],
            checked=_yes(taking_part),
        ),
        forms.timepicker(
            "time",
            "Time of day",
            initial=_time_of_day(found.time_of_day),
            hint=f"Between {rules.EARLIEST:%H:%M} and {rules.LATEST:%H:%M}.",
            action_id=INPUT,
        ),
        _checkboxes("days", "Your working days", day_options, checked=chosen_days, optional=False),
        _checkboxes(
            "after_sessions",
            "After sessions",
            [("yes", "Also check in after each session I took part in")],
            checked=_yes(found.after_sessions),
        ),
        forms.datepicker(
            "pause",
            "Away until (optional)",
            initial=found.paused_until,
            optional=True,
            action_id=INPUT,
        ),
    ]
    return _modal(SETTINGS_MODAL, "Check-in settings", "Save", str(found.project_id), blocks)


def _yes(ticked: bool) -> frozenset[str]:
    """A one-box "yes" checkbox's ticked values."""
    return frozenset({"yes"}) if ticked else frozenset()


def _time_of_day(stored: str) -> time | None:
    """The stored "HH:MM" as the picker's initial time (None, the picker empty, if a
    stored value is not a time)."""
    parsed = rules.parse_time(stored)
    return parsed if isinstance(parsed, time) else None


def settings_saved_text(found: PersonSettings) -> str:
    """After saving settings."""
    if found.status not in ("active", "invited"):
        return STOPPED_TEXT
    when = f"{found.time_of_day} your time, {rules.format_days(found.days)}"
    return f":gear: Saved: check-ins at {when}. Next: {_when(found.next_at, found.timezone)}."


def setup_modal(form: SetupForm) -> dict[str, Any]:
    """The coordinators' set-up: on/off, enrolled roles, rhythm, support information."""
    rhythms = [("weekly", "Weekly"), ("fortnightly", "Every two weeks")]
    # a stored rhythm cobot no longer offers shows as the first one
    rhythm = form.rhythm if form.rhythm in dict(rhythms) else rhythms[0][0]
    contacts = (
        mentions(form.contacts)
        if form.contacts
        else "none yet: name them with `/cobot checkin contacts @a @b`"
    )
    blocks = [
        section(
            f"*{escape(form.project_name)}*\nEach person is asked for consent first and picks "
            "their own time; coordinators only ever see totals for groups of at least "
            f"{rules.MIN_GROUP}.\nWellbeing contacts: {contacts}."
        ),
        _checkboxes(
            "enabled",
            "Check-ins",
            [("yes", "Check-ins are on for this project")],
            checked=_yes(form.enabled),
        ),
        _checkboxes(
            "roles",
            "Who is invited",
            [(role.value, role.label) for role in Role],
            checked=frozenset(form.roles),
        ),
        forms.select("rhythm", "How often", rhythms, initial=rhythm, action_id=INPUT),
        _text_input(
            "support",
            "Support information (who to talk to, local services)",
            initial=form.support_text,
            optional=True,
            hint="Shown privately to anyone whose answer is low.",
            max_length=2900,
        ),
        forms.number_input(
            "retention",
            "Delete answers this many days after the project closes",
            initial=form.retention_days,
            minimum=1,
            maximum=rules.MAX_RETENTION_DAYS,
            action_id=INPUT,
        ),
    ]
    return _modal(SETUP_MODAL, "Check-in set-up", "Save", str(form.project_id), blocks)


def setup_saved_text(saved: SetupSaved) -> str:
    """After the set-up modal."""
    if not saved.enabled:
        return "Check-ins are off for this project: nobody will be asked."
    invited = (
        f" {saved.invited} {'person' if saved.invited == 1 else 'people'} will be asked for "
        "consent at their check-in time."
        if saved.invited
        else ""
    )
    return f":seedling: Check-ins are on.{invited}"


def contacts_text(contacts: tuple[str, ...]) -> str:
    """After `/cobot checkin contacts`."""
    return (
        f"Wellbeing contacts: {mentions(contacts)}. When someone asks for contact, "
        "they get a DM with only what that person chose to share."
    )


# ---------------------------------------------------------------- what people see


def history_text(history: History) -> str:
    """The person's own check-ins: dates, moods, a trend, their notes."""
    if not history.projects:
        return "You have no check-in answers stored."
    parts = []
    for project in history.projects:
        lines = [f"*{escape(project.project_name)}*  trend: `{project.trend}`"]
        for entry in project.entries[-30:]:
            line = f"• {entry.asked_on:%a %d %b %Y}: {rules.mood_label(entry.mood)}"
            if entry.note:
                line += f" (note: {escape(entry.note)})"
            lines.append(line)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def history_blocks(history: History) -> list[dict[str, Any]]:
    """History as sections (one per project), with a privacy line."""
    blocks = [section(":lock: *Your check-ins* (only you can see this)")]
    if not history.projects:
        blocks.append(section("You have no check-in answers stored."))
    for project in history.projects[:40]:
        blocks.append(section(history_text(History(projects=(project,)))))
    return blocks[:50]


def _figures(f: rules.GroupFigures) -> str:
    return (
        f"{f.people} people, {f.answers} answers, average {f.average:.1f} of 5, "
        f"{f.low_answers} low answer{'' if f.low_answers == 1 else 's'}"
    )


def _group_label(value: str) -> str:
    try:
        return Role(value).label
    except ValueError:
        return "Former members"


def figures_lines(aggregate: rules.Aggregate) -> list[str]:
    """One closed month's published figures as lines (the summary, Home): the whole project,
    the groups shown on their own, which groups are only in the total."""
    if aggregate.total is None:
        return [
            f"Fewer than {MIN_PEOPLE} people answered, so nothing is shown: with fewer than "
            f"{MIN_OTHERS} people besides whoever looks, figures could reveal someone's answers."
        ]
    lines = [f"*Whole project:* {_figures(aggregate.total)}"]
    lines.extend(f"• {_group_label(g.group)}: {_figures(g)}" for g in aggregate.groups)
    if aggregate.hidden:
        lines.append(
            f"Counted only in the whole (groups under {MIN_PEOPLE} people, and any group "
            "that would let them be worked out): "
            + ", ".join(_group_label(g) for g in aggregate.hidden)
            + "."
        )
    return lines


def _open_line(summary: Summary) -> str:
    return (
        f"_Figures for {escape(summary.open_period)} appear once it ends "
        f"({slack_date(summary.open_until, summary.timezone, with_time=False)}), and never "
        "change afterwards._"
    )


def _period_text(period: PeriodFigures) -> str:
    return "\n".join([f"*{period.label}*", *figures_lines(period.aggregate)])


def _contacts_text(summary: Summary) -> str | None:
    if not summary.is_contact:
        return None
    if not summary.contact_requests:
        return "Nobody asked for someone to get in touch in these months."
    return "\n".join(
        ["*Asked for someone to get in touch* (you are a named wellbeing contact)"]
        + [
            f"• {mention(c.user_id)}, {slack_date(c.requested_at, summary.timezone)}"
            for c in summary.contact_requests[:50]
        ]
    )


def summary_text(summary: Summary) -> str:
    """Published figures of closed months for coordinators; never one person's answer."""
    lines = [f"*Check-ins in {escape(summary.project_name)}*"]
    if not summary.periods:
        lines.append("No month has ended since check-ins started, so there are no figures yet.")
    lines.extend(_period_text(p) for p in summary.periods)
    lines.append(_open_line(summary))
    contacts = _contacts_text(summary)
    if contacts:
        lines.append(contacts)
    return "\n".join(lines)


def summary_blocks(summary: Summary) -> list[dict[str, Any]]:
    """The summary: a heading, one section per closed month, the open month, the contact
    requests (wellbeing contacts only) and a privacy line."""
    blocks = [section(f"*Check-ins in {escape(summary.project_name)}*")]
    if not summary.periods:
        blocks.append(
            section("No month has ended since check-ins started, so there are no figures yet.")
        )
    blocks.extend(section(_period_text(p)) for p in summary.periods[:12])
    blocks.append(context(_open_line(summary)))
    contacts = _contacts_text(summary)
    if contacts:
        blocks.append(section(contacts))
    blocks.append(
        context(
            f"Figures are published once per calendar month, for groups of at least "
            f"{MIN_PEOPLE} people, and never change; individual answers and notes are seen "
            "only by the person who gave them."
        )
    )
    return blocks


def forget_confirm_blocks() -> list[dict[str, Any]]:
    """Ask before erasing."""
    return [
        section(
            ":warning: This erases *all your cobot data* in every project here, now. "
            "That is your check-in answers, notes and contact requests, and your debriefs. "
            "It is the feedback you wrote or were given, your actions and session feedback. "
            "It is your feelings, boat, evaluation and follow-up at the end. Messages cobot "
            "still owes you are cancelled. What others were already shown stays, not linked to "
            "you. That is the word cloud at the end, and your answers in a closed review. "
            "It cannot be undone. (`/cobot my data` sends "
            "you a copy first.)"
        ),
        actions(
            [button("Erase all my cobot data", FORGET, "1", style="danger")],
            block_id="checkins_forget",
        ),
    ]


def forgotten_text(done: Forgotten) -> str:
    """After erasure: what went, what was cancelled, what remains and why."""
    by_feature: dict[str, int] = {}
    for item in done.erased:
        by_feature[item.feature] = by_feature.get(item.feature, 0) + item.rows
    if by_feature:
        parts = ", ".join(
            f"{escape(feature)} ({rows} item{'' if rows == 1 else 's'})"
            for feature, rows in by_feature.items()
        )
        head = f":wastebasket: Erased everything you wrote or chose in cobot here: {parts}."
    elif done.unlinked:
        head = (
            ":wastebasket: What you gave to parts of the project that have closed is no longer "
            "linked to you. cobot held nothing else of yours here."
        )
    else:
        head = ":wastebasket: cobot held no answers of yours here, so nothing needed erasing."
    cancelled = (
        f" Cancelled {done.cancelled} message{'' if done.cancelled == 1 else 's'} cobot "
        "still owed you."
        if done.cancelled
        else ""
    )
    remains = "\n".join(f"• {escape(line)}" for line in done.remains)
    return f"{head}{cancelled}\n*What remains, and why:*\n{remains}"
