"""Projects and people: project, aims, agreement, add, remove, people, onboarding, settings."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from dataclasses import fields
from datetime import date
from typing import Any

from slack_bolt import App

from cobot.domain.roles import Role
from cobot.domain.roles import parse_role
from cobot.domain.sessions import LeadTimes
from cobot.services.access import AccessError
from cobot.services.projects import InvalidFields
from cobot.services.projects import ProjectDetails
from cobot.services.projects import Projects
from cobot.slack import kit
from cobot.slack.blocks import projects as blocks
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.commands import shows
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Stale
from cobot.slack.kit import Submission

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
    return kit.mentions(
        words,
        not_one=lambda shown: (
            f"“{shown}” is not a mention of a person: pick people from the @ menu."
        ),
        none="Mention the people with @.",
    )


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


listen = kit.Listeners(group=blocks.GROUP)


def register(app: App, router: CommandRouter, *, projects: Projects) -> None:
    """Add the projects-and-people subcommands, buttons and modals."""
    listen.wire(app, router, projects, _COMMANDS)


# ---------------------------------------------------------------- slash commands


def project_new(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot project new <name>`."""
    name = " ".join(request.args).strip()
    if not name:
        return Reply(text=f"Give the project a name. {blocks.NEW_USAGE}")
    try:
        view = projects.create(**request.caller, name=name)
    except InvalidFields as exc:
        return Reply(text=f"{exc.message} {blocks.NEW_USAGE}")
    except AccessError as exc:
        return Reply(text=exc.message)
    return Reply(text=blocks.created_text(view), blocks=blocks.created_blocks(view))


def project_edit(projects: Projects, request: CommandRequest, tools: CommandTools) -> Reply | None:
    """`/cobot project edit`: the form."""
    if request.args:
        return Reply(text="Usage: `/cobot project edit` (it opens a form).")
    tools.open(blocks.project_modal(projects.for_editing(**request.caller)))
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
    view = projects.show(**request.caller)
    return Reply(text=view.name, blocks=blocks.project_blocks(view))


def add(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot add @a @b as <role>`."""
    parsed = parse_add(request.args)
    if isinstance(parsed, str):
        return Reply(text=parsed)
    change = projects.add_people(**request.caller, people=parsed.users, role=parsed.role)
    return Reply(text=blocks.people_change_text(change))


def remove(projects: Projects, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot remove @a`."""
    users = parse_mentions(request.args)
    if isinstance(users, str):
        return Reply(text=f"{users} {blocks.REMOVE_USAGE}")
    return Reply(text=blocks.removal_text(projects.remove_people(**request.caller, people=users)))


def settings(projects: Projects, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot settings`: the lead-times form."""
    tools.open(blocks.settings_modal(projects.lead_time_settings(**request.caller)))


# ---------------------------------------------------------------- buttons


# edit the project; edit the agreement: the forms
for _action, _modal in (
    (blocks.EDIT_PROJECT, blocks.project_modal),
    (blocks.EDIT_AGREEMENT, blocks.agreement_modal),
):
    listen.opens(_action, "for_editing", _modal, key="project_id", stale=STALE)


@listen.button(blocks.EDIT_ONBOARDING)
def open_onboarding_modal(projects: Projects, press: Press) -> None:
    """One participant's onboarding checklist: the form."""
    project_id, participant = _project_and_user(press.value)
    item = projects.onboarding_of(**press.caller, project_id=project_id, participant=participant)
    press.open(blocks.onboarding_modal(item))


# ---------------------------------------------------------------- modals


@listen.form(blocks.PROJECT_MODAL, fallback="name")
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
    projects.update_details(**sent.caller, project_id=sent.id(STALE), details=details)


@listen.form(blocks.AGREEMENT_MODAL, fallback="agreement")
def save_agreement(projects: Projects, sent: Submission) -> None:
    """The agreement form."""
    agreement = sent.form(blocks.INPUT).text("agreement")
    projects.update_agreement(**sent.caller, project_id=sent.id(STALE), agreement=agreement)


@listen.form(blocks.ONBOARDING_MODAL, fallback="items")
def save_onboarding(projects: Projects, sent: Submission) -> None:
    """The onboarding checklist form."""
    done = frozenset(sent.form(blocks.INPUT).checked("items"))
    project_id, participant = _project_and_user(sent.metadata)
    projects.set_onboarding(
        **sent.caller, project_id=project_id, participant=participant, done=done
    )


@listen.form(blocks.SETTINGS_MODAL, fallback=fields(LeadTimes)[0].name)
def save_settings(projects: Projects, sent: Submission) -> None:
    """The lead-times form."""
    form = sent.form(blocks.INPUT)
    texts = {f.name: form.text(f.name) for f in fields(LeadTimes)}
    projects.update_lead_times(**sent.caller, project_id=sent.id(STALE), texts=texts)


# ---------------------------------------------------------------- payload reading


def _project_and_user(raw: Any) -> tuple[int, str]:
    project, _sep, user = str(raw or "").partition(":")
    if not user or not re.fullmatch(r"[UW][A-Z0-9]+", user):
        raise Stale(STALE)
    return kit.stale_id(project, STALE), user


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "project new", "start a project in this channel", project_new, usage="project new <name>"
    ),
    Command(
        "project edit",
        "change the name, aims and objectives, time zone and dates (coordinators)",
        project_edit,
    ),
    Command("project", "an overview of this channel's project", project_show),
    Command(
        "aims",
        "the project's aims and objectives",
        shows("show", blocks.aims_text, blocks.aims_blocks),
    ),
    Command(
        "agreement",
        "the group agreement: terms of reference and values",
        shows("show", blocks.agreement_text, blocks.agreement_blocks),
    ),
    Command(
        "add", "add people, or change their role (coordinators)", add, usage="add @a @b as <role>"
    ),
    Command("remove", "take people out of the project (coordinators)", remove, usage="remove @a"),
    Command(
        "people",
        "who is in the project, by role",
        shows("people", blocks.people_text, blocks.people_blocks),
    ),
    Command(
        "onboarding",
        "each participant's briefing, training and access-needs checklist (coordinators)",
        shows("onboarding", blocks.onboarding_text, blocks.onboarding_blocks),
    ),
    Command(
        "settings", "lead times between sessions: agenda, notes, debrief… (coordinators)", settings
    ),
)
