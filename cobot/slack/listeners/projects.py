"""Projects and people: project, aims, agreement, add, remove, people, onboarding, settings."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from slack_bolt import App

from cobot.domain.roles import Role, parse_role
from cobot.domain.sessions import LeadTimes
from cobot.services.access import AccessError
from cobot.services.projects import InvalidFields, ProjectDetails, Projects
from cobot.slack import kit
from cobot.slack.blocks import projects as blocks
from cobot.slack.commands import CommandRequest, CommandRouter, Reply, add_commands
from cobot.slack.kit import FormError, Press, Stale, Submission
from cobot.slack.payloads import mentioned_user

log = logging.getLogger(__name__)

_FILLERS = {"a", "an", "the"}
STALE = "That button or form is out of date: run the command again. Nothing was changed."


@dataclass(frozen=True)
class AddPeople:
    """`/cobot add @a @b as <role>`, parsed."""

    users: list[str]
    role: Role


def parse_mentions(words: list[str]) -> list[str] | str:
    """The user ids mentioned, or what is wrong (a word that is not a mention)."""
    users: list[str] = []
    for word in words:
        found = mentioned_user(word)
        if found is None:
            shown = word if len(word) <= 40 else word[:37] + "..."
            return f"“{shown}” is not a mention of a person: pick people from the @ menu."
        users.append(found)
    if not users:
        return "Mention the people with @."
    return users


def parse_add(args: list[str]) -> AddPeople | str:
    """Who to add as what, or what is wrong, followed by the exact usage."""
    lowered = [a.lower() for a in args]
    if "as" not in lowered:
        return f"Say which role after `as`. {blocks.ADD_USAGE}"
    split = lowered.index("as")
    users = parse_mentions(args[:split])
    if isinstance(users, str):
        return f"{users} {blocks.ADD_USAGE}"
    words = [w for w in lowered[split + 1 :] if w not in _FILLERS]
    role = parse_role("-".join(words)) if words else None
    if role is None:
        typed = " ".join(args[split + 1 :]) or "nothing"
        return f"“{typed[:40]}” is not a role I know. {blocks.ADD_USAGE}"
    return AddPeople(users=users, role=role)


def register(app: App, router: CommandRouter, *, projects: Projects) -> None:
    """Add the projects-and-people subcommands, buttons and modals."""
    add_commands(router, _COMMANDS, group=blocks.GROUP, deps=projects)
    kit.actions(app, _BUTTONS, projects)
    kit.views(app, _FORMS, projects)


# ---------------------------------------------------------------- slash commands


def project_new(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot project new <name>`."""
    name = " ".join(request.args).strip()
    if not name:
        return Reply(text=f"Give the project a name. {blocks.NEW_USAGE}")
    try:
        view = projects.create(
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            name=name,
        )
    except InvalidFields as exc:
        return Reply(text=f"{exc.message} {blocks.NEW_USAGE}")
    except AccessError as exc:
        return Reply(text=exc.message)
    return Reply(text=blocks.created_text(view), blocks=blocks.created_blocks(view))


def project_edit(projects: Projects, request: CommandRequest, tools: Any) -> Reply | None:
    """`/cobot project edit`: the form."""
    if request.args:
        return Reply(text="Usage: `/cobot project edit` (it opens a form).")
    view = projects.for_editing(
        team_id=request.team_id, user_id=request.user_id, channel_id=request.channel_id
    )
    tools.ack()
    tools.client.views_open(trigger_id=request.trigger_id, view=blocks.project_modal(view))
    return None


def project_show(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot project`: the overview."""
    if request.args:
        return Reply(
            text=(
                f"I don't know `/cobot project {' '.join(request.args)[:40]}`. Try "
                "`/cobot project new <name>`, `/cobot project edit` or `/cobot project`."
            )
        )
    view = projects.show(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    return Reply(text=view.name, blocks=blocks.project_blocks(view))


def aims(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot aims`."""
    view = projects.show(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    return Reply(text=blocks.aims_text(view), blocks=blocks.aims_blocks(view))


def agreement(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot agreement`."""
    view = projects.show(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    return Reply(text=blocks.agreement_text(view), blocks=blocks.agreement_blocks(view))


def add(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot add @a @b as <role>`."""
    parsed = parse_add(request.args)
    if isinstance(parsed, str):
        return Reply(text=parsed)
    change = projects.add_people(
        team_id=request.team_id,
        channel_id=request.channel_id,
        user_id=request.user_id,
        people=parsed.users,
        role=parsed.role,
    )
    return Reply(text=blocks.people_change_text(change))


def remove(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot remove @a`."""
    users = parse_mentions(request.args)
    if isinstance(users, str):
        return Reply(text=f"{users} {blocks.REMOVE_USAGE}")
    removal = projects.remove_people(
        team_id=request.team_id,
        channel_id=request.channel_id,
        user_id=request.user_id,
        people=users,
    )
    return Reply(text=blocks.removal_text(removal))


def people(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot people`."""
    found = projects.people(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    return Reply(text=blocks.people_text(found), blocks=blocks.people_blocks(found))


def onboarding(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot onboarding`."""
    items = projects.onboarding(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    return Reply(text=blocks.onboarding_text(items), blocks=blocks.onboarding_blocks(items))


def settings(projects: Projects, request: CommandRequest, tools: Any) -> Reply | None:
    """`/cobot settings`: the lead-times form."""
    found = projects.lead_time_settings(
        team_id=request.team_id, user_id=request.user_id, channel_id=request.channel_id
    )
    tools.ack()
    tools.client.views_open(trigger_id=request.trigger_id, view=blocks.settings_modal(found))
    return None


# ---------------------------------------------------------------- buttons


def open_project_modal(projects: Projects, press: Press) -> None:
    """Edit the project: the form."""
    view = projects.for_editing(team_id=press.team, user_id=press.user, project_id=press.id(STALE))
    press.open(blocks.project_modal(view))


def open_agreement_modal(projects: Projects, press: Press) -> None:
    """Edit the agreement: the form."""
    view = projects.for_editing(team_id=press.team, user_id=press.user, project_id=press.id(STALE))
    press.open(blocks.agreement_modal(view))


def open_onboarding_modal(projects: Projects, press: Press) -> None:
    """One participant's onboarding checklist: the form."""
    project_id, participant = _project_and_user(press.value)
    item = projects.onboarding_of(
        team_id=press.team, user_id=press.user, project_id=project_id, participant=participant
    )
    press.open(blocks.onboarding_modal(item))


# ---------------------------------------------------------------- modals


def save_project(projects: Projects, sent: Submission) -> None:
    """The project form: dates first, then the service checks the rest."""
    form = sent.form(blocks.INPUT)
    dates: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for field in ("start_date", "end_date"):
        raw = form.element(field).get("selected_date")
        try:
            dates[field] = date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            errors[field] = "Pick a date from the calendar."
    if errors:
        raise FormError(errors)
    details = ProjectDetails(
        name=form.text("name"),
        aims=form.text("aims"),
        timezone=form.selected("timezone"),
        start_date=dates["start_date"],
        end_date=dates["end_date"],
    )
    projects.update_details(
        team_id=sent.team, user_id=sent.user, project_id=sent.id(STALE), details=details
    )


def save_agreement(projects: Projects, sent: Submission) -> None:
    """The agreement form."""
    projects.update_agreement(
        team_id=sent.team,
        user_id=sent.user,
        project_id=sent.id(STALE),
        agreement=sent.form(blocks.INPUT).text("agreement"),
    )


def save_onboarding(projects: Projects, sent: Submission) -> None:
    """The onboarding checklist form."""
    done = frozenset(sent.form(blocks.INPUT).checked("items"))
    project_id, participant = _project_and_user(sent.metadata)
    projects.set_onboarding(
        team_id=sent.team,
        user_id=sent.user,
        project_id=project_id,
        participant=participant,
        done=done,
    )


def save_settings(projects: Projects, sent: Submission) -> None:
    """The lead-times form."""
    form = sent.form(blocks.INPUT)
    texts = {f.name: form.text(f.name) for f in fields(LeadTimes)}
    projects.update_lead_times(
        team_id=sent.team, user_id=sent.user, project_id=sent.id(STALE), texts=texts
    )


# ---------------------------------------------------------------- payload reading


def _project_and_user(raw: Any) -> tuple[int, str]:
    project, _sep, user = str(raw or "").partition(":")
    if not user or not re.fullmatch(r"[UW][A-Z0-9]+", user):
        raise Stale(STALE)
    return kit.stale_id(project, STALE), user


# ---------------------------------------------------------------- what register() wires

_COMMANDS = (
    ("project new", "project new <name>", "start a project in this channel", project_new),
    (
        "project edit",
        "project edit",
        "change the name, aims and objectives, time zone and dates (coordinators)",
        project_edit,
    ),
    ("project", "project", "an overview of this channel's project", project_show),
    ("aims", "aims", "the project's aims and objectives", aims),
    ("agreement", "agreement", "the group agreement: terms of reference and values", agreement),
    ("add", "add @a @b as <role>", "add people, or change their role (coordinators)", add),
    ("remove", "remove @a", "take people out of the project (coordinators)", remove),
    ("people", "people", "who is in the project, by role", people),
    (
        "onboarding",
        "onboarding",
        "each participant's briefing, training and access-needs checklist (coordinators)",
        onboarding,
    ),
    (
        "settings",
        "settings",
        "lead times between sessions: agenda, notes, debrief… (coordinators)",
        settings,
    ),
)

_BUTTONS = (
    (blocks.EDIT_PROJECT, open_project_modal),
    (blocks.EDIT_AGREEMENT, open_agreement_modal),
    (blocks.EDIT_ONBOARDING, open_onboarding_modal),
)


_FORMS = (
    (blocks.PROJECT_MODAL, save_project, "name"),
    (blocks.AGREEMENT_MODAL, save_agreement, "agreement"),
    (blocks.ONBOARDING_MODAL, save_onboarding, "items"),
    (blocks.SETTINGS_MODAL, save_settings, fields(LeadTimes)[0].name),
)
