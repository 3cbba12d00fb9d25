"""The ending: /cobot ending start|close, feelings, evaluation, export, project close."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from cobot.domain import endings as rules
from cobot.services.endings import EndingPlan
from cobot.services.endings import Endings
from cobot.services.reports import Reports
from cobot.slack import kit
from cobot.slack.blocks import endings as blocks
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.commands import shows
from cobot.slack.kit import STALE
from cobot.slack.kit import Answer
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Stale
from cobot.slack.kit import Submission

log = logging.getLogger(__name__)

GROUP = "Endings"
__all__ = ["GROUP", "STALE", "Stale", "register", "send_export"]


@dataclass(frozen=True)
class Deps:
    """The services the ending's listeners call."""

    endings: Endings
    reports: Reports


listen = kit.Listeners(group=GROUP)


def register(app: App, router: CommandRouter, *, endings: Endings, reports: Reports) -> None:
    """Wire the ending's commands, buttons and modals."""
    deps = Deps(endings=endings, reports=reports)
    listen.wire(app, router, deps, _COMMANDS)


# ---------------------------------------------------------------- slash commands


def ending_start(deps: Deps, request: CommandRequest, tools: CommandTools) -> Reply | None:
    """`/cobot ending start`: the plan's form, unless the ending has started."""
    draft = deps.endings.draft(**request.caller)
    if draft.already is not None:
        return Reply(
            text="The ending of this project has already started. `/cobot ending close` "
            "closes the collection early."
        )
    tools.open(blocks.start_modal(draft))
    return None


def ending_close(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot ending close`."""
    return Reply(text=blocks.closed_text(deps.endings.close_collection(**request.caller)))


def evaluation(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot evaluation`."""
    view = deps.endings.themes(**request.caller)
    return Reply(text="Evaluation themes", blocks=blocks.themes_blocks(view))


def evaluation_questions(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot evaluation questions`: the form."""
    tools.open(blocks.questions_modal(deps.endings.questions_form(**request.caller)))


def export(deps: Deps, request: CommandRequest, tools: Any) -> Reply | None:
    """`/cobot export`: acked first, the files follow in the DM."""
    files = deps.reports.export(**request.caller)
    tools.ack(text=f"Preparing the report: {len(files)} files will arrive in your DM.")
    send_export(tools.client, request.user_id, files)
    return None


def send_export(client: Any, user: str, files: list[tuple[str, bytes]]) -> None:
    """The report's (file name, content) files, to `user`'s DM (here and from the Home)."""
    kit.dm_files(
        client, user, [(n, n, c) for n, c in files], comment=blocks.EXPORT_COMMENT, what="an export"
    )


def project_close(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot project close`: asks first."""
    draft = deps.endings.close_draft(**request.caller)
    return Reply(text="Close the project?", blocks=blocks.close_confirm_blocks(draft))


# ---------------------------------------------------------------- buttons


# the buttons that open a person's form (share your feelings, the evaluation, the follow-up)
# carry the project's id
PROJECT = "project_id"
listen.opens(blocks.OPEN_FEELINGS, "endings.feelings_form", blocks.feelings_modal, key=PROJECT)
listen.opens(
    blocks.OPEN_EVALUATION, "endings.evaluation_form", blocks.evaluation_modal, key=PROJECT
)
listen.opens(blocks.OPEN_FOLLOW_UP, "endings.follow_up_form", blocks.follow_up_modal, key=PROJECT)


@listen.button(blocks.CLOSE_PROJECT)
def close_project(deps: Deps, press: Press) -> None:
    """Close the project, confirmed."""
    closed = deps.endings.close_project(**press.caller, project_id=press.id())
    press.replace(blocks.project_closed_text(closed))


# ---------------------------------------------------------------- modals


@listen.form(blocks.START_MODAL, fallback=blocks.DEADLINE, rename=blocks.ERROR_BLOCKS)
def start(deps: Deps, sent: Submission) -> Answer:
    """The ending's plan: deadline and follow-up required, the events optional."""
    form = sent.form(blocks.VALUE)
    weeks = rules.parse_weeks(form.selected(blocks.FOLLOW_UP))
    deadline = form.date(blocks.DEADLINE)
    errors: dict[str, str] = {}
    if deadline is None:
        errors[blocks.DEADLINE] = "Pick the day the collection closes."
    if isinstance(weeks, str):
        errors[blocks.FOLLOW_UP] = weeks
    if errors or deadline is None or isinstance(weeks, str):
        raise FormError(errors)
    plan = EndingPlan(
        deadline=deadline,
        follow_up_weeks=weeks,
        celebration_day=form.date(blocks.CELEBRATION_DAY),
        celebration_time=form.time(blocks.CELEBRATION_TIME),
        celebration_venue=form.text(blocks.VENUE),
        reflective_day=form.date(blocks.REFLECTIVE_DAY),
        reflective_time=form.time(blocks.REFLECTIVE_TIME),
    )
    started = deps.endings.start(**sent.caller, project_id=sent.id(), plan=plan)
    return Answer(dm=blocks.started_text(started))


@listen.form(blocks.FEELINGS_MODAL, fallback=blocks.WORDS)
def submit_feelings(deps: Deps, sent: Submission) -> Answer:
    """Someone's feelings words and boat."""
    typed = sent.form(blocks.VALUE).texts(blocks.WORDS, blocks.BOAT)
    saved = deps.endings.submit_feelings(**sent.caller, project_id=sent.id(), **typed)
    return Answer(
        dm=blocks.saved_text("answer", saved.project_name, edited=saved.edited, words=saved.words)
    )


@listen.form(blocks.EVALUATION_MODAL, fallback=rules.QUESTION_KEYS[0])
def submit_evaluation(deps: Deps, sent: Submission) -> Answer:
    """Someone's evaluation answers."""
    answers = sent.form(blocks.VALUE).texts(*rules.QUESTION_KEYS)
    saved = deps.endings.submit_evaluation(**sent.caller, project_id=sent.id(), answers=answers)
    return Answer(dm=blocks.saved_text("evaluation", saved.project_name, edited=saved.edited))


@listen.form(blocks.QUESTIONS_MODAL, fallback=rules.QUESTION_KEYS[0])
def save_questions(deps: Deps, sent: Submission) -> None:
    """The coordinator's evaluation questions."""
    questions = sent.form(blocks.VALUE).texts(*rules.QUESTION_KEYS)
    deps.endings.save_questions(**sent.caller, project_id=sent.id(), questions=questions)


@listen.form(blocks.FOLLOW_UP_MODAL, fallback=blocks.HOW)
def submit_follow_up(deps: Deps, sent: Submission) -> Answer:
    """Someone's follow-up reply."""
    typed = sent.form(blocks.VALUE).texts(blocks.HOW, blocks.WHAT_NEXT)
    saved = deps.endings.submit_follow_up(**sent.caller, project_id=sent.id(), **typed)
    return Answer(dm=blocks.saved_text("reply", saved.project_name, edited=saved.edited))


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "ending start",
        "start the ending: feelings, evaluation, celebration (coordinators)",
        ending_start,
    ),
    Command(
        "ending close",
        "close the feelings collection now and share the results (coordinators)",
        ending_close,
    ),
    Command(
        "feelings",
        "the end-of-project word cloud and counts",
        shows("endings.feelings", blocks.feelings_text, blocks.feelings_blocks),
    ),
    Command("evaluation", "the evaluation themes by group (coordinators)", evaluation),
    Command(
        "evaluation questions",
        "reword the evaluation questions (coordinators)",
        evaluation_questions,
    ),
    Command("export", "the project report and CSV exports, to your DM (coordinators)", export),
    Command(
        "project close", "close the project and stop its prompts (coordinators)", project_close
    ),
)
