"""The participants' review (/cobot review start, /cobot review, the DM's answers) and voices
in the room (/cobot perspectives, the Home button)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from cobot.domain.reviews import Choice
from cobot.services.perspectives import Perspectives
from cobot.services.reviews import Reviews
from cobot.slack import kit
from cobot.slack.blocks import perspectives as perspective_blocks
from cobot.slack.blocks import reviews as blocks
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.kit import Answer
from cobot.slack.kit import Press
from cobot.slack.kit import Stale
from cobot.slack.kit import Submission

GROUP = "The participants' review and perspectives"
__all__ = ["GROUP", "register"]


@dataclass(frozen=True)
class Deps:
    """The services these listeners call."""

    reviews: Reviews
    perspectives: Perspectives


listen = kit.Listeners(group=GROUP)


def register(
    app: App, router: CommandRouter, *, reviews: Reviews, perspectives: Perspectives
) -> None:
    """Wire the review's and the perspectives' commands, buttons and modals."""
    deps = Deps(reviews=reviews, perspectives=perspectives)
    listen.wire(app, router, deps, _COMMANDS)


# ---------------------------------------------------------------- slash commands


def review_start(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot review start`: the form (coordinators, when no round is open)."""
    tools.open(blocks.start_modal(deps.reviews.start_form(**request.caller)))


def review(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot review`: what the asker may see of the rounds."""
    status = deps.reviews.status(**request.caller)
    return Reply(text="The participants' review", blocks=blocks.status_blocks(status))


def perspectives(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot perspectives`: the member's own form, with the project's mix."""
    tools.open(perspective_blocks.modal(deps.perspectives.form(**request.caller)))


# ---------------------------------------------------------------- buttons


@listen.button(blocks.APPROVE)
def approve(deps: Deps, press: Press) -> None:
    """I approve: saved at once."""
    press.tell(blocks.answered_text(deps.reviews.approve(**press.caller, round_id=press.id())))


@listen.button(blocks.CHANGES, blocks.NOT_YET)
def open_answer(deps: Deps, press: Press) -> None:
    """I approve with changes / Not yet: the words first."""
    choice = Choice.CHANGES if press.action_id == blocks.CHANGES else Choice.NOT_YET
    form = deps.reviews.answer_form(**press.caller, round_id=press.id(), choice=choice)
    press.open(blocks.answer_modal(form))


@listen.button(perspective_blocks.OPEN)
def open_perspectives(deps: Deps, press: Press) -> None:
    """From App Home: the perspectives form for one project."""
    press.open(
        perspective_blocks.modal(deps.perspectives.form(**press.caller, project_id=press.id()))
    )


# ---------------------------------------------------------------- modals


@listen.form(blocks.START_MODAL, fallback=blocks.DRAFT_URL)
def submit_start(deps: Deps, sent: Submission) -> Answer:
    """The round's link, deadline and note."""
    form = sent.form(blocks.VALUE)
    started = deps.reviews.start(
        **sent.caller,
        project_id=sent.id(),
        draft_url=form.text(blocks.DRAFT_URL),
        deadline=form.date(blocks.DEADLINE),
        note=form.text(blocks.NOTE),
    )
    return Answer(dm=blocks.started_text(started))


@listen.form(blocks.ANSWER_MODAL, fallback=blocks.TEXT)
def submit_answer(deps: Deps, sent: Submission) -> Answer:
    """The changes asked for, or why not yet."""
    raw_id, _, raw_choice = sent.metadata.partition(":")
    try:
        choice = Choice(raw_choice)
    except ValueError:
        raise Stale() from None
    form = sent.form(blocks.VALUE)
    answered = deps.reviews.answer(
        **sent.caller,
        round_id=kit.stale_id(raw_id),
        choice=choice,
        text=form.text(blocks.TEXT),
        named=blocks.NAMED_YES in form.checked(blocks.NAMED),
    )
    return Answer(dm=blocks.answered_text(answered))


@listen.form(perspective_blocks.MODAL, fallback=perspective_blocks.CHOSEN)
def submit_perspectives(deps: Deps, sent: Submission) -> Answer:
    """The member's perspectives."""
    chosen = sent.form(perspective_blocks.VALUE).checked(perspective_blocks.CHOSEN)
    saved = deps.perspectives.save(**sent.caller, project_id=sent.id(), chosen=chosen)
    return Answer(dm=perspective_blocks.saved_text(saved))


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "review start",
        "send the draft to the participants for their review and approval (coordinators)",
        review_start,
    ),
    Command("review", "how the participants' review is going, or how it ended", review),
    Command(
        "perspectives",
        "say which perspectives you bring (optional); see the project's mix",
        perspectives,
    ),
)
