"""Debriefs: the prompt's buttons and modal, participant feedback, actions, the coordinator's
commands (`/cobot debriefs`, `debrief questions`, `debrief channel`) and reflective practice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from cobot.domain.debriefs import CHANGE
from cobot.domain.debriefs import FEELING
from cobot.domain.debriefs import MAX_ACTIONS
from cobot.domain.debriefs import MAX_DEV_NOTES
from cobot.domain.debriefs import QUESTION_KEYS
from cobot.domain.debriefs import VOICES
from cobot.domain.debriefs import WENT_WELL
from cobot.domain.debriefs import DebriefInput
from cobot.domain.debriefs import FeedbackInput
from cobot.domain.debriefs import action_block
from cobot.domain.debriefs import dev_block
from cobot.domain.debriefs import parse_channel
from cobot.services.debriefs import Debriefs
from cobot.services.sessions import Sessions
from cobot.slack import kit
from cobot.slack.blocks import debriefs as blocks
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.sessions import saved_text as session_saved_text
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.commands import shows
from cobot.slack.kit import Answer
from cobot.slack.kit import Form
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Submission
from cobot.slack.listeners.sessions import parse_one_liner

GROUP = "Debriefs and feedback"
_HEARD = re.compile(rf"{blocks.FEEDBACK_HEARD}([1-5])")


# ---------------------------------------------------------------- payload reading (pure)


def _choice(form: Form, block: str) -> int | None:
    raw = form.selected(block)
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 1 else None


def read_debrief(values: dict[str, Any]) -> DebriefInput:
    """The debrief modal's state as typed values."""
    form = Form(values, blocks.VALUE)
    dev = []
    for index in range(1, MAX_DEV_NOTES + 1):
        person_block, text_block = dev_block(index)
        dev.append((form.user(person_block), form.text(text_block)))
    actions = []
    for index in range(1, MAX_ACTIONS + 1):
        owner_block, text_block = action_block(index)
        actions.append((form.user(owner_block), form.text(text_block)))
    return DebriefInput(
        went_well=form.text(WENT_WELL),
        change=form.text(CHANGE),
        voices=form.text(VOICES),
        dev=tuple(dev),
        feeling=_choice(form, FEELING),
        feeling_words=form.text(blocks.FEELING_WORDS_BLOCK),
        actions=tuple(actions),
    )


def read_feedback(values: dict[str, Any]) -> FeedbackInput:
    """The feedback modal's state as typed values."""
    form = Form(values, blocks.VALUE)
    named = blocks.NAMED_OPTION in form.checked(blocks.NAMED_BLOCK)
    return FeedbackInput(
        heard=_choice(form, blocks.HEARD_BLOCK),
        keep=form.text(blocks.KEEP_BLOCK),
        change=form.text(blocks.FEEDBACK_CHANGE_BLOCK),
        named=named,
    )


def read_questions(values: dict[str, Any]) -> dict[str, str]:
    """The questions modal's state."""
    return Form(values, blocks.VALUE).texts(*QUESTION_KEYS)


# ---------------------------------------------------------------- listeners


@dataclass(frozen=True)
class Deps:
    """The services the debrief listeners call."""

    debriefs: Debriefs
    sessions: Sessions


listen = kit.Listeners(group=GROUP)


def register(app: App, router: CommandRouter, *, debriefs: Debriefs, sessions: Sessions) -> None:
    """Wire the debrief commands, buttons and modals."""
    deps = Deps(debriefs=debriefs, sessions=sessions)
    listen.wire(app, router, deps, _COMMANDS)


# ---------------------------------------------------------------- slash commands


def on_questions(deps: Deps, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot debrief questions`: the form."""
    tools.open(blocks.questions_modal(deps.debriefs.questions_form(**request.caller)))


def on_channel(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot debrief channel [#channel | none]`."""
    if not request.args:
        return Reply(
            text=blocks.channel_text(
                deps.debriefs.channel(team_id=request.team_id, channel_id=request.channel_id)
            )
        )
    typed = " ".join(request.args)
    target: str | None
    if typed.strip().lower() in ("none", "off", "dm"):
        target = None
    else:
        target = parse_channel(typed)
        if target is None:
            return Reply(
                text=f"I couldn't read a channel there. Use {blocks.USAGE_CHANNEL}, "
                "choosing the channel from Slack's # list."
            )
    result = deps.debriefs.set_channel(**request.caller, target=target)
    return Reply(text=blocks.channel_text(result))


def on_reflective(deps: Deps, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot reflective add …`: a reflective-practice session in one line."""
    try:
        data = parse_one_liner(request.args)
    except FormError as exc:
        return Reply(text=blocks.reflective_error_text(list(exc.problems.values())))
    saved = deps.sessions.add(**request.caller, data=data, kind="reflective")
    return Reply(
        text=session_saved_text(saved)
        + "\nIts reminder (a day before) carries the collated debriefs since the last one."
    )


# ---------------------------------------------------------------- buttons


listen.opens(blocks.OPEN_DEBRIEF, "debriefs.form", blocks.debrief_modal, key="session_id")


@listen.button(blocks.SKIP_DEBRIEF)
def skip_debrief(deps: Deps, press: Press) -> None:
    """Not this time."""
    press.tell(blocks.saved_text(deps.debriefs.skip(**press.caller, session_id=press.id())))


@listen.button(blocks.ACTION_DONE)
def action_done(deps: Deps, press: Press) -> None:
    """An action's owner marks it done."""
    done = deps.debriefs.action_done(**press.caller, action_id=press.id())
    press.tell(blocks.action_done_text(done))


@listen.button(_HEARD, blocks.FEEDBACK_OPEN)
def open_feedback(deps: Deps, press: Press) -> None:
    """Feedback on a session: the form, with the 1-5 pressed already chosen."""
    match = _HEARD.fullmatch(press.action_id)
    form = deps.debriefs.feedback_form(
        **press.caller,
        session_id=press.id(),
        heard=int(match.group(1)) if match else None,
    )
    press.open(blocks.feedback_modal(form))


# ---------------------------------------------------------------- modals


@listen.form(blocks.DEBRIEF_MODAL, fallback=WENT_WELL)
def submit_debrief(deps: Deps, sent: Submission) -> Answer:
    """The debrief form."""
    saved = deps.debriefs.submit(
        **sent.caller, session_id=sent.id(), data=read_debrief(sent.values)
    )
    return Answer(dm=blocks.saved_text(saved))


@listen.form(blocks.QUESTIONS_MODAL, fallback=WENT_WELL)
def submit_questions(deps: Deps, sent: Submission) -> Answer:
    """The coordinator's debrief questions."""
    questions = read_questions(sent.values)
    form = deps.debriefs.save_questions(**sent.caller, project_id=sent.id(), questions=questions)
    return Answer(
        dm=f":white_check_mark: The debrief questions for *{escape(form.project_name)}* "
        "are saved; the next debriefs use them."
    )


@listen.form(blocks.FEEDBACK_MODAL, fallback=blocks.HEARD_BLOCK)
def submit_feedback(deps: Deps, sent: Submission) -> Answer:
    """A participant's feedback form."""
    data = read_feedback(sent.values)
    saved = deps.debriefs.give_feedback(**sent.caller, session_id=sent.id(), data=data)
    return Answer(dm=blocks.feedback_saved_text(saved))


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "debriefs",
        "who has debriefed recent sessions (coordinators; never what they wrote)",
        shows("debriefs.completion", blocks.completion_text, blocks.completion_blocks),
    ),
    Command(
        "debrief questions", "reword the project's debrief questions (coordinators)", on_questions
    ),
    Command(
        "debrief channel",
        "where debrief summaries go: the practitioners' private channel, or DMs",
        on_channel,
        usage="debrief channel [#channel | none]",
    ),
    Command(
        "actions",
        "open actions from debriefs, with Done for their owners",
        shows("debriefs.actions", blocks.actions_text, blocks.actions_blocks),
    ),
    Command(
        "reflective add",
        "schedule reflective practice for the practitioners named",
        on_reflective,
        usage='reflective add "<title>" <YYYY-MM-DD> <HH:MM> <duration> with @p1 @p2',
    ),
)
