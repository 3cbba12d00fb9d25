"""/cobot milestones, /cobot digest and /cobot slow down, with their buttons and forms."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from cobot.domain.governance import SlowDownInput, check_slow_down
from cobot.services.access import AccessError
from cobot.services.governance import Governance
from cobot.slack import kit
from cobot.slack.blocks.common import section
from cobot.slack.blocks.governance import (
    ADD_LINE,
    CREATE_BLANK,
    CREATE_DATED,
    DIGEST_CALLBACK,
    DONE_MILESTONE,
    EDIT_MILESTONE,
    LINE_CALLBACK,
    MILESTONE_CALLBACK,
    SLOW_CALLBACK,
    SLOW_CONFIRM_CALLBACK,
    digest_setup_modal,
    digest_setup_text,
    line_modal,
    milestone_modal,
    milestone_saved_text,
    plan_blocks,
    plan_text,
    read_slow_down_metadata,
    slow_down_modal,
    slow_down_preview_modal,
    slowed_down_modal,
)
from cobot.slack.commands import CommandRequest, CommandRouter, Reply, add_commands
from cobot.slack.kit import Answer, FormError, Press, Stale, Submission

STALE_FORM = "This form is out of date."


def register(app: App, router: CommandRouter, *, governance: Governance) -> None:
    """Add the governance subcommands, buttons and forms."""
    add_commands(router, _COMMANDS, group="Governance", deps=governance)
    kit.views(app, _FORMS, governance)
    kit.actions(app, _BUTTONS, governance)


# -- slash commands ---------------------------------------------------------------------


def on_milestones(governance: Governance, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot milestones`: the plan (coordinators can make it from the template)."""
    plan = governance.plan(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    return Reply(text=plan_text(plan), blocks=plan_blocks(plan))


def on_digest(governance: Governance, request: CommandRequest, tools: Any) -> None:
    """`/cobot digest`: how often the oversight and steering members get the digest."""
    setup = governance.digest_setup(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    tools.ack()
    tools.client.views_open(trigger_id=request.trigger_id, view=digest_setup_modal(setup))


def on_slow_down(governance: Governance, request: CommandRequest, tools: Any) -> None:
    """`/cobot slow down`: the form (nothing changes before the confirmation)."""
    project_id = governance.coordinated(
        team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
    )
    tools.ack()
    tools.client.views_open(trigger_id=request.trigger_id, view=slow_down_modal(project_id))


# -- buttons ----------------------------------------------------------------------------


def on_create(governance: Governance, press: Press) -> None:
    """Make the plan from the template, dated or not."""
    plan = governance.create_from_template(
        team_id=press.team,
        project_id=press.id(),
        user_id=press.user,
        with_dates=press.action_id == CREATE_DATED,
    )
    press.replace(plan_text(plan), plan_blocks(plan))


def on_edit(governance: Governance, press: Press) -> None:
    """Edit a milestone: the form."""
    found = governance.milestone(team_id=press.team, user_id=press.user, milestone_id=press.id())
    press.open(milestone_modal(found))


def on_done(governance: Governance, press: Press) -> None:
    """Done with one click."""
    done = governance.mark_done(team_id=press.team, user_id=press.user, milestone_id=press.id())
    press.tell(milestone_saved_text(done))


def on_add_line(governance: Governance, press: Press) -> None:
    """The coordinator's line for the digest: the form."""
    form = governance.line_form(team_id=press.team, user_id=press.user, digest_id=press.id())
    press.open(line_modal(form))


# -- forms ------------------------------------------------------------------------------


def on_milestone_submitted(governance: Governance, sent: Submission) -> Answer:
    """Title, owner, due date."""
    form = sent.form()
    saved = governance.edit_milestone(
        team_id=sent.team,
        user_id=sent.user,
        milestone_id=sent.id(STALE_FORM),
        title=form.text("title"),
        owner=form.user("owner"),
        due_on=form.date("due"),
    )
    return Answer(dm=milestone_saved_text(saved))


def on_line_submitted(governance: Governance, sent: Submission) -> Answer:
    """The coordinator's line."""
    saved = governance.save_line(
        team_id=sent.team,
        user_id=sent.user,
        digest_id=sent.id(STALE_FORM),
        line=sent.form().text("line"),
    )
    said = "Your line goes in the digest." if saved.line else "The digest goes without a line."
    return Answer(dm=said)


def on_digest_submitted(governance: Governance, sent: Submission) -> Answer:
    """How often, and whether."""
    form = sent.form()
    raw = form.text("every").strip()
    every = int(raw) if raw.isdigit() else None
    setup = governance.save_digest_setup(
        team_id=sent.team,
        user_id=sent.user,
        project_id=sent.id(STALE_FORM),
        every_days=every,
        enabled="on" in form.checked("enabled"),
    )
    return Answer(dm=digest_setup_text(setup))


def on_slow_submitted(governance: Governance, sent: Submission) -> Answer:
    """Read and check the form; the next view previews the new dates."""
    form = sent.form()
    plan = check_slow_down(form.selected("mode"), form.text("amount"), form.text("reason"))
    if not isinstance(plan, SlowDownInput):
        raise FormError(plan)
    preview = governance.slow_down_preview(
        team_id=sent.team, project_id=sent.id(STALE_FORM), user_id=sent.user, plan=plan
    )
    if preview.nothing:
        raise FormError({"amount": "Nothing would move: no session or milestone lies ahead."})
    return Answer(view=slow_down_preview_modal(preview))


def on_slow_confirmed(governance: Governance, sent: Submission) -> Answer:
    """The one confirmation: everything moves in one transaction."""
    found = read_slow_down_metadata(sent.metadata)
    if found is None:
        raise Stale(STALE_FORM)
    project_id, plan = found
    try:
        done = governance.slow_down(
            team_id=sent.team,
            user_id=sent.user,
            project_id=project_id,
            plan=plan,
            form_id=sent.view_id,
        )
    except AccessError as exc:
        return Answer(view=_not_moved(exc.message))
    return Answer(view=slowed_down_modal(done))


def _not_moved(message: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "slow_down_refused",
        "title": {"type": "plain_text", "text": "Not slowed down"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(f":x: {message}\nNothing was moved.")],
    }


# ---------------------------------------------------------------- what register() wires

_COMMANDS = (
    (
        "milestones",
        "milestones",
        "the project plan; coordinators make it from the case study's steps and edit it",
        on_milestones,
    ),
    (
        "digest",
        "digest",
        "how often the oversight and steering members get an update (coordinators)",
        on_digest,
    ),
    (
        "slow down",
        "slow down",
        "move every future session and milestone later, openly (coordinators)",
        on_slow_down,
    ),
)

_FORMS = (
    (MILESTONE_CALLBACK, on_milestone_submitted, "title"),
    (LINE_CALLBACK, on_line_submitted, "line"),
    (DIGEST_CALLBACK, on_digest_submitted, "every"),
    (SLOW_CALLBACK, on_slow_submitted, "reason"),
    (SLOW_CONFIRM_CALLBACK, on_slow_confirmed, "reason"),
)

_BUTTONS = (
    (CREATE_DATED, on_create),
    (CREATE_BLANK, on_create),
    (EDIT_MILESTONE, on_edit),
    (DONE_MILESTONE, on_done),
    (ADD_LINE, on_add_line),
)
