"""Block Kit for projects and people: overview, aims, agreement, people, onboarding, settings."""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from zoneinfo import available_timezones

from cobot.domain.durations import format_duration
from cobot.domain.roles import Role
from cobot.domain.sessions import LEAD_TIME_LABELS
from cobot.domain.sessions import MAX_GROUP
from cobot.domain.sessions import LeadTimes
from cobot.domain.sessions import minimum_gap
from cobot.services.projects import MAX_AGREEMENT
from cobot.services.projects import MAX_AIMS
from cobot.services.projects import MAX_NAME
from cobot.services.projects import ONBOARDING_ITEMS
from cobot.services.projects import LeadTimeSettings
from cobot.services.projects import Onboarding
from cobot.services.projects import People
from cobot.services.projects import PeopleChange
from cobot.services.projects import ProjectView
from cobot.services.projects import Removal
from cobot.slack.blocks import forms
from cobot.slack.blocks import perspectives as perspective_blocks
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import role_in_sentence
from cobot.slack.blocks.common import role_name
from cobot.slack.blocks.common import section

GROUP = "Projects and people"

# modals (callback ids) and buttons (action ids)
PROJECT_MODAL = "projects_edit"
AGREEMENT_MODAL = "projects_agreement"
ONBOARDING_MODAL = "projects_onboarding"
SETTINGS_MODAL = "projects_settings"
EDIT_PROJECT = "projects_edit_open"
EDIT_AGREEMENT = "projects_agreement_open"
EDIT_ONBOARDING = "projects_onboarding_open"
# every input's action id; the block id names the field
INPUT = forms.INPUT

MAX_MESSAGE_BLOCKS = 50

ROLE_CHOICES = (
    "coordinator, practitioner (or facilitator), participant, project team, "
    "steering group, oversight group"
)
ADD_USAGE = (
    "Usage: `/cobot add @person [@person …] as <role>`, for example "
    f"`/cobot add @sam @ali as participant`. Roles: {ROLE_CHOICES}."
)
REMOVE_USAGE = "Usage: `/cobot remove @person [@person …]`, for example `/cobot remove @sam`."
NEW_USAGE = "Usage: `/cobot project new <name>`, for example `/cobot project new Carers network`."

AGREEMENT_EXPLAINED = (
    "A group agreement sets out the group's terms of reference (why it meets, how decisions "
    "are made, what stays in the room) and its values (how people treat each other). The "
    "case study found it essential for psychological safety: co-produce it with everyone at "
    "the outset, then refer back to it when needed, for instance when opinions differ."
)
LEAD_TIMES_HINT = (
    "The defaults come from the case study: the interval between sessions has to leave time "
    "for the practitioners' debrief, collating feedback, planning and amending the next "
    "session, sending notes, and sending the agenda and materials early enough to digest. "
    "Weekly sessions were too tight. Type durations like `90m`, `36h`, `3 days` or `1w`."
)


# ---------------------------------------------------------------- messages


def created_blocks(view: ProjectView) -> list[dict[str, Any]]:
    """What the coordinator sees after `/cobot project new`: what happens next."""
    steps = "\n".join(
        [
            "*Next steps*",
            "1. `/cobot project edit`: the aims and objectives (shown at the top of every "
            "session reminder), start and end dates, and the time zone.",
            "2. `/cobot agreement`: write up the group agreement you co-produce at the first "
            "meeting.",
            "3. `/cobot add @a @b as participant` (and `as practitioner`, `as project team`, "
            "`as steering group`, `as oversight group`, `as coordinator`).",
            "4. `/cobot onboarding`: tick off each participant's briefing call, training and "
            "access needs.",
            "5. `/cobot session add`: schedule the sessions. `/cobot settings` changes the "
            "lead times between them.",
        ]
    )
    return [
        section(
            f"*{escape(view.name)}* now lives in this channel, and you are its coordinator. "
            f"Its time zone is *{view.timezone}* (from your Slack profile); change it with "
            "`/cobot project edit`."
        ),
        section(steps),
        context(
            "Only you see this. Tell the channel yourself when you are ready: the project "
            "is yours to introduce."
        ),
    ]


def created_text(view: ProjectView) -> str:
    """The notification fallback of `created_blocks`."""
    return f"{escape(view.name)} now lives in this channel, and you are its coordinator."


def project_blocks(view: ProjectView) -> list[dict[str, Any]]:
    """`/cobot project`: the overview of the channel's project."""
    dates = _dates(view)
    lines = [
        f"*{escape(view.name)}*",
        f"Coordinators: {mentions(view.coordinators)}",
        f"Time zone: {view.timezone}",
        f"Dates: {dates}",
        "People: "
        + (", ".join(f"{count} {role.label.lower()}" for role, count in view.counts) or "none"),
    ]
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    missing = []
    if not view.aims:
        missing.append("aims and objectives")
    if not view.agreement:
        missing.append("a group agreement")
    if missing:
        blocks.append(context("Still to write: " + " and ".join(missing) + "."))
    if view.perspectives is not None:
        blocks.append(section(perspective_blocks.mix_text(view.perspectives)))
    if view.viewer_is_coordinator:
        blocks.append(actions([button("Edit project", EDIT_PROJECT, str(view.id))]))
    return blocks


def aims_blocks(view: ProjectView) -> list[dict[str, Any]]:
    """`/cobot aims`: the aims and objectives, or who can set them."""
    if not view.aims:
        blocks = [
            section(
                f"*{escape(view.name)}* has no aims and objectives yet. The coordinators "
                f"({mentions(view.coordinators)}) can set them with "
                "`/cobot project edit`; they then head every session reminder."
            )
        ]
    else:
        blocks = [
            section(f"*Aims and objectives of {escape(view.name)}*"),
            section(escape(view.aims)),
        ]
    if view.viewer_is_coordinator:
        blocks.append(actions([button("Edit project", EDIT_PROJECT, str(view.id))]))
    return blocks


def aims_text(view: ProjectView) -> str:
    """The notification fallback of `aims_blocks`."""
    return (
        f"Aims and objectives of {escape(view.name)}"
        if view.aims
        else "No aims and objectives yet."
    )


def agreement_blocks(view: ProjectView) -> list[dict[str, Any]]:
    """`/cobot agreement`: the group agreement, with an edit button for coordinators."""
    if not view.agreement:
        who = mentions(view.coordinators)
        blocks = [
            section(f"*{escape(view.name)}* has no group agreement yet."),
            section(AGREEMENT_EXPLAINED),
            context(f"Coordinators ({who}) write it up here once the group has agreed it."),
        ]
    else:
        blocks = [
            section(f"*Group agreement of {escape(view.name)}*"),
            section(escape(view.agreement)),
            context(
                "Terms of reference and values, co-produced by the group. Refer back to it "
                "whenever it helps."
            ),
        ]
    if view.viewer_is_coordinator:
        blocks.append(actions([button("Edit agreement", EDIT_AGREEMENT, str(view.id))]))
    return blocks


def agreement_text(view: ProjectView) -> str:
    """The notification fallback of `agreement_blocks`."""
    return (
        f"Group agreement of {escape(view.name)}" if view.agreement else "No group agreement yet."
    )


def people_blocks(people: People) -> list[dict[str, Any]]:
    """`/cobot people`: everyone, grouped by role (one section per role, cut to the limit)."""
    blocks: list[dict[str, Any]] = [section(f"*People in {escape(people.project_name)}*")]
    for role, users in people.groups:
        blocks.append(section(f"*{role.label}* ({len(users)})\n{mentions(users)}"))
        if role is Role.PARTICIPANT and len(users) > MAX_GROUP:
            blocks.append(
                context(
                    f"More than {MAX_GROUP} participants: keep each session's group to "
                    f"{MAX_GROUP} or fewer so every voice can be heard."
                )
            )
    return blocks


def people_text(people: People) -> str:
    """The notification fallback of `people_blocks`."""
    total = sum(len(users) for _role, users in people.groups)
    return f"{total} people in {escape(people.project_name)}"


def people_change_text(change: PeopleChange) -> str:
    """What `/cobot add` did, person by person."""
    lines = []
    if change.added:
        added = role_in_sentence(change.role, len(change.added), joining=True)
        lines.append(f"Added {mentions(change.added)} {added}.")
    for user, before in change.changed:
        was, now = role_in_sentence(before, 1), role_in_sentence(change.role, 1)
        lines.append(f"{mention(user)} was {was}, and is now {now}.")
    if change.unchanged:
        many = len(change.unchanged)
        already = role_in_sentence(change.role, many)
        lines.append(
            f"{mentions(change.unchanged)} already "
            f"{'is' if many == 1 else 'are'} {already}: nothing changed."
        )
    if change.role is Role.PARTICIPANT and change.added:
        lines.append(
            "Each new participant has an onboarding checklist (briefing call, training, "
            "access needs): tick it off with `/cobot onboarding`."
        )
    return "\n".join(lines)


def removal_text(removal: Removal) -> str:
    """What `/cobot remove` did."""
    lines = [f"Removed {mention(user)} ({role_name(role)})." for user, role in removal.removed]
    if removal.not_members:
        lines.append(
            f"{mentions(removal.not_members)} "
            f"{'is' if len(removal.not_members) == 1 else 'are'} not in this project: "
            "nothing to remove."
        )
    return "\n".join(lines)


def onboarding_blocks(items: list[Onboarding]) -> list[dict[str, Any]]:
    """`/cobot onboarding`: each participant's checklist, with a button to update it."""
    if not items:
        return [
            section(
                "No participants yet. Add them with `/cobot add @person as participant`; "
                "each gets a checklist: one-to-one briefing call, co-production training, "
                "access needs noted."
            )
        ]
    finished = sum(1 for item in items if not item.missing)
    blocks: list[dict[str, Any]] = [
        section(
            f"*Participant onboarding*: {finished} of {len(items)} finished. The case study "
            "briefed every participant one to one before they joined."
        )
    ]
    room = MAX_MESSAGE_BLOCKS - 2
    for item in items[:room]:
        ticks = " · ".join(
            f"{'✅' if key in item.done else '⬜'} {label}" for key, _c, label in ONBOARDING_ITEMS
        )
        blocks.append(
            section(
                f"{mention(item.user_id)}\n{ticks}",
                accessory=button("Update", EDIT_ONBOARDING, f"{item.project_id}:{item.user_id}"),
            )
        )
    if len(items) > room:
        blocks.append(context(f"…and {len(items) - room} more participants not shown."))
    return blocks


def onboarding_text(items: list[Onboarding]) -> str:
    """The notification fallback of `onboarding_blocks`."""
    return f"Onboarding of {len(items)} participants"


# ---------------------------------------------------------------- modals


def project_modal(view: ProjectView) -> dict[str, Any]:
    """Edit name, aims and objectives, time zone and dates."""
    blocks = [
        _text_input("name", "Project name", view.name, max_length=MAX_NAME),
        _text_input(
            "aims",
            "Aims and objectives",
            view.aims,
            multiline=True,
            optional=True,
            max_length=MAX_AIMS,
            hint="Shown at the top of every session reminder, and with /cobot aims.",
        ),
        forms.grouped_select(
            "timezone",
            "Time zone",
            timezone_groups(view.timezone),
            initial=view.timezone,
            hint="Type a city to find it, such as London. Session times use it.",
        ),
        forms.datepicker("start_date", "Start date", initial=view.start_date, optional=True),
        forms.datepicker("end_date", "End date", initial=view.end_date, optional=True),
    ]
    return _modal(PROJECT_MODAL, "Edit project", blocks, str(view.id), submit="Save")


# the areas of the tz database's "Area/City" names (no old aliases like US/Eastern)
ZONE_AREAS = (
    "Europe", "America", "Africa", "Asia", "Australia", "Pacific", "Atlantic", "Indian",
    "Antarctica", "Arctic",
)  # fmt: skip
MAX_OPTIONS = 100  # Slack's limit per select, and per option group


def timezone_groups(current: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every time zone this machine knows, by area, in groups Slack accepts (100 options
    at most each); a stored zone outside those areas (such as UTC) is kept, first."""
    known = sorted(z for z in available_timezones() if z.split("/")[0] in ZONE_AREAS)
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if current and current not in known:
        groups.append(("Current", [(current, current.replace("_", " "))]))
    for area in ZONE_AREAS:
        zones = [z for z in known if z.split("/")[0] == area]
        chunks = [zones[i : i + MAX_OPTIONS] for i in range(0, len(zones), MAX_OPTIONS)]
        for chunk in chunks:
            label = area
            if len(chunks) > 1:
                first, last = chunk[0].split("/")[1][0], chunk[-1].split("/")[1][0]
                label = f"{area} ({first} to {last})"
            groups.append((label, [(z, z.replace("_", " ")) for z in chunk]))
    return groups


def agreement_modal(view: ProjectView) -> dict[str, Any]:
    """Edit the group agreement."""
    blocks = [
        context(AGREEMENT_EXPLAINED),
        _text_input(
            "agreement",
            "Terms of reference and values",
            view.agreement,
            multiline=True,
            optional=True,
            max_length=MAX_AGREEMENT,
        ),
    ]
    return _modal(AGREEMENT_MODAL, "Group agreement", blocks, str(view.id), submit="Save")


def onboarding_modal(item: Onboarding) -> dict[str, Any]:
    """Tick or untick one participant's checklist."""
    blocks = [
        section(f"Onboarding of {mention(item.user_id)}"),
        forms.checkboxes(
            "items",
            "Done so far",
            [(key, label) for key, _column, label in ONBOARDING_ITEMS],
            checked=frozenset(item.done),
        ),
        context("Only the dates are kept, never any detail of the person's needs."),
    ]
    metadata = f"{item.project_id}:{item.user_id}"
    return _modal(ONBOARDING_MODAL, "Onboarding", blocks, metadata, submit="Save")


def settings_modal(settings: LeadTimeSettings) -> dict[str, Any]:
    """One duration input per lead time, prefilled, with where the defaults come from."""
    lead = settings.lead_times
    blocks: list[dict[str, Any]] = [section(LEAD_TIMES_HINT)]
    for f in fields(LeadTimes):
        blocks.append(
            _text_input(
                f.name,
                LEAD_TIME_LABELS[f.name],
                format_duration(getattr(lead, f.name)),
                hint=f"Default: {format_duration(getattr(LeadTimes(), f.name))}.",
            )
        )
    blocks.append(
        context(
            "With the current lead times, leave at least "
            f"{format_duration(minimum_gap(lead))} between sessions so that nothing is "
            "squeezed. Reminders of upcoming sessions move when you save."
        )
    )
    return _modal(SETTINGS_MODAL, "Lead times", blocks, str(settings.project_id), submit="Save")


# ---------------------------------------------------------------- helpers


def _modal(
    callback_id: str, title: str, blocks: list[dict[str, Any]], metadata: str, *, submit: str
) -> dict[str, Any]:
    return forms.modal(callback_id, title, blocks, metadata=metadata, submit=submit)


_text_input = forms.text_input


def _dates(view: ProjectView) -> str:
    if view.start_date is None and view.end_date is None:
        return "not set"
    start = f"{view.start_date:%d %B %Y}" if view.start_date else "?"
    end = f"{view.end_date:%d %B %Y}" if view.end_date else "?"
    return f"{start} to {end}"
