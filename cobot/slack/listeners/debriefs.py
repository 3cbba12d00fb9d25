"""Debriefs: the prompt's buttons and modal, participant feedback, actions, the coordinator's
commands (`/cobot debriefs`, `debrief questions`, `debrief channel`) and reflective practice."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError

from cobot.domain.debriefs import (
    CHANGE,
    FEELING,
    MAX_ACTIONS,
    MAX_DEV_NOTES,
    QUESTION_KEYS,
    VOICES,
    WENT_WELL,
    DebriefInput,
    FeedbackInput,
    action_block,
    dev_block,
    parse_channel,
)
from cobot.services.access import AccessError
from cobot.services.debriefs import Debriefs, FormRejected
from cobot.services.sessions import Sessions
from cobot.slack.blocks import debriefs as blocks
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.sessions import saved_text as session_saved_text
from cobot.slack.commands import CommandRequest, CommandRouter, Reply, Subcommand
from cobot.slack.listeners.sessions import FormError, parse_one_liner
from cobot.slack.payloads import action_value as _value
from cobot.slack.payloads import parse_id
from cobot.slack.payloads import state_values as _values
from cobot.slack.payloads import team_id as _team
from cobot.slack.payloads import user_id as _user

log = logging.getLogger(__name__)

STALE = "That button or form is out of date, so nothing was changed."
GROUP = "Debriefs and feedback"
_HEARD = re.compile(rf"{blocks.FEEDBACK_HEARD}([1-5])")


# ---------------------------------------------------------------- payload reading (pure)


def _id(raw: Any) -> int:
    """An id from a button value or private_metadata; anything else is stale."""
    found = parse_id(raw)
    if found is None:
        raise AccessError(STALE)
    return found


def _element(values: dict[str, Any], block: str) -> dict[str, Any]:
    found = (values.get(block) or {}).get(blocks.VALUE)
    return found if isinstance(found, dict) else {}


def _text(values: dict[str, Any], block: str) -> str:
    value = _element(values, block).get("value")
    return value if isinstance(value, str) else ""


def _person(values: dict[str, Any], block: str) -> str | None:
    value = _element(values, block).get("selected_user")
    return value if isinstance(value, str) and value else None


def _choice(values: dict[str, Any], block: str) -> int | None:
    option = _element(values, block).get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else None
    return (
        int(raw)
        if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) == 1
        else None
    )


def read_debrief(values: dict[str, Any]) -> DebriefInput:
    """The debrief modal's state as typed values."""
    dev = []
    for index in range(1, MAX_DEV_NOTES + 1):
        person_block, text_block = dev_block(index)
        dev.append((_person(values, person_block), _text(values, text_block)))
    actions = []
    for index in range(1, MAX_ACTIONS + 1):
        owner_block, text_block = action_block(index)
        actions.append((_person(values, owner_block), _text(values, text_block)))
    return DebriefInput(
        went_well=_text(values, WENT_WELL),
        change=_text(values, CHANGE),
        voices=_text(values, VOICES),
        dev=tuple(dev),
        feeling=_choice(values, FEELING),
        feeling_words=_text(values, blocks.FEELING_WORDS_BLOCK),
        actions=tuple(actions),
    )


def read_feedback(values: dict[str, Any]) -> FeedbackInput:
    """The feedback modal's state as typed values."""
    selected = _element(values, blocks.NAMED_BLOCK).get("selected_options") or []
    named = any(isinstance(o, dict) and o.get("value") == blocks.NAMED_OPTION for o in selected)
    return FeedbackInput(
        heard=_choice(values, blocks.HEARD_BLOCK),
        keep=_text(values, blocks.KEEP_BLOCK),
        change=_text(values, blocks.FEEDBACK_CHANGE_BLOCK),
        named=named,
    )


def read_questions(values: dict[str, Any]) -> dict[str, str]:
    """The questions modal's state."""
    return {key: _text(values, key) for key in QUESTION_KEYS}


# ---------------------------------------------------------------- listeners


def register(app: App, router: CommandRouter, *, debriefs: Debriefs, sessions: Sessions) -> None:
    """Wire the debrief commands, buttons and modals."""

    # ------------------------------------------------------------ slash commands

    def on_completion(request: CommandRequest, _tools: Any) -> Reply:
        view = debriefs.completion(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.completion_text(view), blocks=blocks.completion_blocks(view))

    def on_questions(request: CommandRequest, tools: Any) -> Reply | None:
        form = debriefs.questions_form(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.questions_modal(form))
        return None

    def on_channel(request: CommandRequest, _tools: Any) -> Reply:
        if not request.args:
            return Reply(
                text=blocks.channel_text(
                    debriefs.channel(team_id=request.team_id, channel_id=request.channel_id)
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
        result = debriefs.set_channel(
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            target=target,
        )
        return Reply(text=blocks.channel_text(result))

    def on_actions(request: CommandRequest, _tools: Any) -> Reply:
        listing = debriefs.actions(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.actions_text(listing), blocks=blocks.actions_blocks(listing))

    def on_reflective(request: CommandRequest, _tools: Any) -> Reply:
        try:
            data = parse_one_liner(request.args)
        except FormError as exc:
            return Reply(text=blocks.reflective_error_text(list(exc.problems.values())))
        saved = sessions.add(
            team_id=request.team_id,
            user_id=request.user_id,
            channel_id=request.channel_id,
            data=data,
            kind="reflective",
        )
        return Reply(
            text=session_saved_text(saved)
            + "\nIts reminder (a day before) carries the collated debriefs since the last one."
        )

    for sub in (
        Subcommand(
            name="debriefs",
            usage="debriefs",
            summary="who has debriefed recent sessions (coordinators; never what they wrote)",
            handler=on_completion,
            group=GROUP,
        ),
        Subcommand(
            name="debrief questions",
            usage="debrief questions",
            summary="reword the project's debrief questions (coordinators)",
            handler=on_questions,
            group=GROUP,
        ),
        Subcommand(
            name="debrief channel",
            usage="debrief channel [#channel | none]",
            summary="where debrief summaries go: the practitioners' private channel, or DMs",
            handler=on_channel,
            group=GROUP,
        ),
        Subcommand(
            name="actions",
            usage="actions",
            summary="open actions from debriefs, with Done for their owners",
            handler=on_actions,
            group=GROUP,
        ),
        Subcommand(
            name="reflective add",
            usage='reflective add "<title>" <YYYY-MM-DD> <HH:MM> <duration> with @p1 @p2',
            summary="schedule reflective practice for the practitioners named",
            handler=on_reflective,
            group=GROUP,
        ),
    ):
        router.add(sub)

    # ------------------------------------------------------------ buttons

    def open_debrief(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = debriefs.form(
                team_id=_team(body), user_id=_user(body), session_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.debrief_modal(form))

    def skip_debrief(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            saved = debriefs.skip(
                team_id=_team(body), user_id=_user(body), session_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        respond(text=blocks.saved_text(saved), response_type="ephemeral", replace_original=False)

    def action_done(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            done = debriefs.action_done(
                team_id=_team(body), user_id=_user(body), action_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        respond(
            text=blocks.action_done_text(done), response_type="ephemeral", replace_original=False
        )

    def open_feedback(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Respond
    ) -> None:
        ack()
        match = _HEARD.fullmatch(str(action.get("action_id") or ""))
        try:
            form = debriefs.feedback_form(
                team_id=_team(body),
                user_id=_user(body),
                session_id=_id(action.get("value")),
                heard=int(match.group(1)) if match else None,
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.feedback_modal(form))

    app.action(blocks.OPEN_DEBRIEF)(open_debrief)
    app.action(blocks.SKIP_DEBRIEF)(skip_debrief)
    app.action(blocks.ACTION_DONE)(action_done)
    app.action(_HEARD)(open_feedback)
    app.action(blocks.FEEDBACK_OPEN)(open_feedback)

    # ------------------------------------------------------------ modals

    def submit_debrief(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        try:
            saved = debriefs.submit(
                team_id=_team(body),
                user_id=user,
                session_id=_id(view.get("private_metadata")),
                data=read_debrief(_values(view)),
            )
        except FormRejected as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={WENT_WELL: exc.message})
            return
        ack()
        _confirm(client, user, blocks.saved_text(saved))

    def submit_questions(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        try:
            form = debriefs.save_questions(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                questions=read_questions(_values(view)),
            )
        except FormRejected as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={WENT_WELL: exc.message})
            return
        ack()
        _confirm(
            client,
            user,
            f":white_check_mark: The debrief questions for *{escape(form.project_name)}* "
            "are saved; the next debriefs use them.",
        )

    def submit_feedback(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        try:
            saved = debriefs.give_feedback(
                team_id=_team(body),
                user_id=user,
                session_id=_id(view.get("private_metadata")),
                data=read_feedback(_values(view)),
            )
        except FormRejected as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={blocks.HEARD_BLOCK: exc.message})
            return
        ack()
        _confirm(client, user, blocks.feedback_saved_text(saved))

    app.view(blocks.DEBRIEF_MODAL)(submit_debrief)
    app.view(blocks.QUESTIONS_MODAL)(submit_questions)
    app.view(blocks.FEEDBACK_MODAL)(submit_feedback)


def _refuse(respond: Respond, exc: AccessError) -> None:
    respond(text=exc.message, response_type="ephemeral", replace_original=False)


def _confirm(client: Any, user_id: str, text: str) -> None:
    """Tell the person in their DM with cobot; the modal has already closed."""
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not confirm a debrief action: %s", exc.response.get("error"))
