"""/cobot milestones, /cobot digest and /cobot slow down, with their buttons and forms."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from cobot.domain.governance import SlowDownInput
from cobot.domain.governance import check_slow_down
from cobot.services.access import AccessError
from cobot.services.governance import Governance
from cobot.slack import kit
from cobot.slack.blocks.common import section
from cobot.slack.blocks.forms import modal
from cobot.slack.blocks.governance import ADD_LINE
from cobot.slack.blocks.governance import CREATE_BLANK
from cobot.slack.blocks.governance import CREATE_DATED
from cobot.slack.blocks.governance import DIGEST_CALLBACK
from cobot.slack.blocks.governance import DONE_MILESTONE
from cobot.slack.blocks.governance import EDIT_MILESTONE
from cobot.slack.blocks.governance import LINE_CALLBACK
from cobot.slack.blocks.governance import MILESTONE_CALLBACK
from cobot.slack.blocks.governance import SLOW_CALLBACK
from cobot.slack.blocks.governance import SLOW_CONFIRM_CALLBACK
from cobot.slack.blocks.governance import digest_setup_modal
from cobot.slack.blocks.governance import digest_setup_text
from cobot.slack.blocks.governance import line_modal
from cobot.slack.blocks.governance import milestone_modal
from cobot.slack.blocks.governance import milestone_saved_text
from cobot.slack.blocks.governance import plan_blocks
from cobot.slack.blocks.governance import plan_text
from cobot.slack.blocks.governance import read_slow_down_metadata
from cobot.slack.blocks.governance import slow_down_modal
from cobot.slack.blocks.governance import slow_down_preview_modal
from cobot.slack.blocks.governance import slowed_down_modal
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import shows
from cobot.slack.kit import Answer
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Stale
from cobot.slack.kit import Submission

STALE_FORM = "This form is out of date."


listen = kit.Listeners(group="Governance")


def register(app: App, router: CommandRouter, *, governance: Governance) -> None:
    """Add the governance subcommands, buttons and forms."""
    listen.wire(app, router, governance, _COMMANDS)


# -- slash commands ---------------------------------------------------------------------


def on_digest(governance: Governance, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot digest`: how often the oversight and steering members get the digest."""
    tools.open(digest_setup_modal(governance.digest_setup(**request.caller)))


def on_slow_down(governance: Governance, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot slow down`: the form (nothing changes before the confirmation)."""
    tools.open(slow_down_modal(governance.coordinated(**request.caller)))


# -- buttons ----------------------------------------------------------------------------


@listen.button(CREATE_DATED, CREATE_BLANK)
def on_create(governance: Governance, press: Press) -> None:
    """Make the plan from the template, dated or not."""
    dated = press.action_id == CREATE_DATED
    plan = governance.create_from_template(**press.caller, project_id=press.id(), with_dates=dated)
    press.replace(plan_text(plan), plan_blocks(plan))


# edit a milestone: the form
listen.opens(EDIT_MILESTONE, "milestone", milestone_modal, key="milestone_id")


@listen.button(DONE_MILESTONE)
def on_done(governance: Governance, press: Press) -> None:
    """Done with one click."""
    press.tell(milestone_saved_text(governance.mark_done(**press.caller, milestone_id=press.id())))


# the coordinator's line for the digest: the form
listen.opens(ADD_LINE, "line_form", line_modal, key="digest_id")


# -- forms ------------------------------------------------------------------------------


@listen.form(MILESTONE_CALLBACK, fallback="title")
def on_milestone_submitted(governance: Governance, sent: Submission) -> Answer:
    """Title, owner, due date."""
    form = sent.form()
    saved = governance.edit_milestone(
        **sent.caller,
        milestone_id=sent.id(STALE_FORM),
        title=form.text("title"),
        owner=form.user("owner"),
        due_on=form.date("due"),
    )
    return Answer(dm=milestone_saved_text(saved))


@listen.form(LINE_CALLBACK, fallback="line")
def on_line_submitted(governance: Governance, sent: Submission) -> Answer:
    """The coordinator's line."""
    line = sent.form().text("line")
    saved = governance.save_line(**sent.caller, digest_id=sent.id(STALE_FORM), line=line)
    said = "Your line goes in the digest." if saved.line else "The digest goes without a line."
    return Answer(dm=said)


@listen.form(DIGEST_CALLBACK, fallback="every")
def on_digest_submitted(governance: Governance, sent: Submission) -> Answer:
    """How often, and whether."""
    form = sent.form()
    raw = form.text("every").strip()
    every = int(raw) if raw.isdigit() else None
    setup = governance.save_digest_setup(
        **sent.caller,
        project_id=sent.id(STALE_FORM),
        every_days=every,
        enabled="on" in form.checked("enabled"),
    )
    return Answer(dm=digest_setup_text(setup))


@listen.form(SLOW_CALLBACK, fallback="reason")
def on_slow_submitted(governance: Governance, sent: Submission) -> Answer:
    """Read and check the form; the next view previews the new dates."""
    form = sent.form()
    plan = check_slow_down(form.selected("mode"), form.text("amount"), form.text("reason"))
    if not isinstance(plan, SlowDownInput):
        raise FormError(plan)
    preview = governance.slow_down_preview(**sent.caller, project_id=sent.id(STALE_FORM), plan=plan)
    if preview.nothing:
        raise FormError({"amount": "Nothing would move: no session or milestone lies ahead."})
    return Answer(view=slow_down_preview_modal(preview))


@listen.form(SLOW_CONFIRM_CALLBACK, fallback="reason")
def on_slow_confirmed(governance: Governance, sent: Submission) -> Answer:
    """The one confirmation: everything moves in one transaction."""
    found = read_slow_down_metadata(sent.metadata)
    if found is None:
        raise Stale(STALE_FORM)
    project_id, plan = found
    try:
        done = governance.slow_down(
            **sent.caller, project_id=project_id, plan=plan, form_id=sent.view_id
        )
    except AccessError as exc:
        return Answer(view=_not_moved(exc.message))
    return Answer(view=slowed_down_modal(done))


def _not_moved(message: str) -> dict[str, Any]:
    """The refusal, where the confirmation was (nothing to submit)."""
    blocks = [section(f":x: {kit.refusal(message)}\nNothing was moved.")]
    return modal("slow_down_refused", "Not slowed down", blocks, submit=None, close="Close")


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "milestones",
        "the project plan; coordinators make it from the case study's steps and edit it",
        shows("plan", plan_text, plan_blocks),
    ),
    Command(
        "digest",
        "how often the oversight and steering members get an update (coordinators)",
        on_digest,
    ),
    Command(
        "slow down",
        "move every future session and milestone later, openly (coordinators)",
        on_slow_down,
    ),
)
