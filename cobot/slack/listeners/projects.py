"""Projects and people: project, aims, agreement, add, remove, people, onboarding, settings."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from cobot.domain.roles import Role, parse_role
from cobot.domain.sessions import LeadTimes
from cobot.services.access import AccessError
from cobot.services.projects import InvalidFields, ProjectDetails, Projects
from cobot.slack.blocks import projects as blocks
from cobot.slack.commands import CommandRequest, CommandRouter, Reply, Subcommand
from cobot.slack.payloads import action_value as _value
from cobot.slack.payloads import parse_id
from cobot.slack.payloads import state_values as _values
from cobot.slack.payloads import team_id as _team
from cobot.slack.payloads import user_id as _user

log = logging.getLogger(__name__)

# Slack escapes mentions in slash commands (should_escape) as <@U123|name> or <@U123>
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
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
        found = _MENTION.fullmatch(word)
        if found is None:
            shown = word if len(word) <= 40 else word[:37] + "..."
            return f"“{shown}” is not a mention of a person: pick people from the @ menu."
        users.append(found.group(1))
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
    group = blocks.GROUP

    # ------------------------------------------------------------ slash commands

    def project_new(request: CommandRequest, _tools: Any) -> Reply:
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

    def project_edit(request: CommandRequest, tools: Any) -> Reply | None:
        if request.args:
            return Reply(text="Usage: `/cobot project edit` (it opens a form).")
        view = projects.for_editing(
            team_id=request.team_id, user_id=request.user_id, channel_id=request.channel_id
        )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.project_modal(view))
        return None

    def project_show(request: CommandRequest, _tools: Any) -> Reply:
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

    def aims(request: CommandRequest, _tools: Any) -> Reply:
        view = projects.show(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.aims_text(view), blocks=blocks.aims_blocks(view))

    def agreement(request: CommandRequest, _tools: Any) -> Reply:
        view = projects.show(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.agreement_text(view), blocks=blocks.agreement_blocks(view))

    def add(request: CommandRequest, _tools: Any) -> Reply:
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

    def remove(request: CommandRequest, _tools: Any) -> Reply:
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

    def people(request: CommandRequest, _tools: Any) -> Reply:
        found = projects.people(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.people_text(found), blocks=blocks.people_blocks(found))

    def onboarding(request: CommandRequest, _tools: Any) -> Reply:
        items = projects.onboarding(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.onboarding_text(items), blocks=blocks.onboarding_blocks(items))

    def settings(request: CommandRequest, tools: Any) -> Reply | None:
        found = projects.lead_time_settings(
            team_id=request.team_id, user_id=request.user_id, channel_id=request.channel_id
        )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.settings_modal(found))
        return None

    for name, usage, summary, handler in (
        ("project new", "project new <name>", "start a project in this channel", project_new),
        (
            "project edit",
            "project edit",
            "change the name, aims and objectives, time zone and dates (coordinators)",
            project_edit,
        ),
        ("project", "project", "an overview of this channel's project", project_show),
        ("aims", "aims", "the project's aims and objectives", aims),
        (
            "agreement",
            "agreement",
            "the group agreement: terms of reference and values",
            agreement,
        ),
        (
            "add",
            "add @a @b as <role>",
            "add people, or change their role (coordinators)",
            add,
        ),
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
    ):
        router.add(
            Subcommand(name=name, usage=usage, summary=summary, handler=handler, group=group)
        )

    # ------------------------------------------------------------ buttons

    def open_project_modal(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            view = projects.for_editing(
                team_id=_team(body), user_id=_user(body), project_id=_project_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.project_modal(view))

    def open_agreement_modal(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            view = projects.for_editing(
                team_id=_team(body), user_id=_user(body), project_id=_project_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.agreement_modal(view))

    def open_onboarding_modal(
        ack: Ack, body: dict[str, Any], client: Any, respond: Respond
    ) -> None:
        ack()
        try:
            project_id, participant = _project_and_user(_value(body))
            item = projects.onboarding_of(
                team_id=_team(body),
                user_id=_user(body),
                project_id=project_id,
                participant=participant,
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.onboarding_modal(item))

    app.action(blocks.EDIT_PROJECT)(open_project_modal)
    app.action(blocks.EDIT_AGREEMENT)(open_agreement_modal)
    app.action(blocks.EDIT_ONBOARDING)(open_onboarding_modal)

    # ------------------------------------------------------------ modals

    def save_project(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = _values(view)
        dates: dict[str, date | None] = {}
        errors: dict[str, str] = {}
        for field in ("start_date", "end_date"):
            raw = _selected_date(values, field)
            try:
                dates[field] = date.fromisoformat(raw) if raw else None
            except ValueError:
                errors[field] = "Pick a date from the calendar."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        details = ProjectDetails(
            name=_text(values, "name"),
            aims=_text(values, "aims"),
            timezone=_text(values, "timezone"),
            start_date=dates["start_date"],
            end_date=dates["end_date"],
        )
        try:
            projects.update_details(
                team_id=_team(body),
                user_id=_user(body),
                project_id=_project_id(view.get("private_metadata")),
                details=details,
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={"name": exc.message})
            return
        ack()

    def save_agreement(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            projects.update_agreement(
                team_id=_team(body),
                user_id=_user(body),
                project_id=_project_id(view.get("private_metadata")),
                agreement=_text(_values(view), "agreement"),
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={"agreement": exc.message})
            return
        ack()

    def save_onboarding(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        selected = _values(view).get("items", {}).get(blocks.INPUT, {}).get("selected_options")
        done = frozenset(str(o.get("value")) for o in selected or [] if isinstance(o, dict))
        try:
            project_id, participant = _project_and_user(view.get("private_metadata"))
            projects.set_onboarding(
                team_id=_team(body),
                user_id=_user(body),
                project_id=project_id,
                participant=participant,
                done=done,
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={"items": exc.message})
            return
        ack()

    def save_settings(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = _values(view)
        texts = {f.name: _text(values, f.name) for f in fields(LeadTimes)}
        try:
            projects.update_lead_times(
                team_id=_team(body),
                user_id=_user(body),
                project_id=_project_id(view.get("private_metadata")),
                texts=texts,
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={fields(LeadTimes)[0].name: exc.message})
            return
        ack()

    app.view(blocks.PROJECT_MODAL)(save_project)
    app.view(blocks.AGREEMENT_MODAL)(save_agreement)
    app.view(blocks.ONBOARDING_MODAL)(save_onboarding)
    app.view(blocks.SETTINGS_MODAL)(save_settings)


# ---------------------------------------------------------------- payload reading


def _project_id(raw: Any) -> int:
    """A project id from a button value or private_metadata; anything else is stale."""
    found = parse_id(raw)
    if found is None:
        raise AccessError(STALE)
    return found


def _project_and_user(raw: Any) -> tuple[int, str]:
    project, _sep, user = str(raw or "").partition(":")
    if not user or not re.fullmatch(r"[UW][A-Z0-9]+", user):
        raise AccessError(STALE)
    return _project_id(project), user


def _text(values: dict[str, Any], block_id: str) -> str:
    return str((values.get(block_id) or {}).get(blocks.INPUT, {}).get("value") or "")


def _selected_date(values: dict[str, Any], block_id: str) -> str | None:
    raw = (values.get(block_id) or {}).get(blocks.INPUT, {}).get("selected_date")
    return str(raw) if raw else None


def _refuse(respond: Respond, exc: AccessError) -> None:
    respond(text=exc.message, response_type="ephemeral", replace_original=False)
