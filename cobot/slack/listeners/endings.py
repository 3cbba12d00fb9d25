"""The ending: /cobot ending start|close, feelings, evaluation, export, project close."""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError

from cobot.domain import endings as rules
from cobot.services.access import AccessError
from cobot.services.endings import EndingPlan, Endings, InvalidFields
from cobot.services.reports import Reports
from cobot.slack.blocks import endings as blocks
from cobot.slack.commands import CommandRequest, CommandRouter, Reply, Subcommand
from cobot.slack.payloads import action_value as _value
from cobot.slack.payloads import parse_id
from cobot.slack.payloads import state_values as _values
from cobot.slack.payloads import team_id as _team
from cobot.slack.payloads import user_id as _user

log = logging.getLogger(__name__)

STALE = "That button or form is out of date, so nothing was changed."
GROUP = "Endings"


class Stale(AccessError):
    """A forged or outdated id in a button or a modal."""

    def __init__(self) -> None:
        super().__init__(STALE)


def register(app: App, router: CommandRouter, *, endings: Endings, reports: Reports) -> None:
    """Wire the ending's commands, buttons and modals."""

    # ------------------------------------------------------------ slash commands

    def ending_start(request: CommandRequest, tools: Any) -> Reply | None:
        draft = endings.draft(
            team_id=request.team_id, user_id=request.user_id, channel_id=request.channel_id
        )
        if draft.already is not None:
            return Reply(
                text="The ending of this project has already started. `/cobot ending close` "
                "closes the collection early."
            )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.start_modal(draft))
        return None

    def ending_close(request: CommandRequest, _tools: Any) -> Reply:
        closed = endings.close_collection(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.closed_text(closed))

    def feelings(request: CommandRequest, _tools: Any) -> Reply:
        view = endings.feelings(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text=blocks.feelings_text(view), blocks=blocks.feelings_blocks(view))

    def evaluation(request: CommandRequest, _tools: Any) -> Reply:
        view = endings.themes(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text="Evaluation themes", blocks=blocks.themes_blocks(view))

    def evaluation_questions(request: CommandRequest, tools: Any) -> Reply | None:
        form = endings.questions_form(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.questions_modal(form))
        return None

    def export(request: CommandRequest, tools: Any) -> Reply | None:
        files = reports.export(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        tools.ack(text=f"Preparing the report: {len(files)} files will arrive in your DM.")
        try:
            channel = tools.client.conversations_open(users=request.user_id)["channel"]["id"]
            tools.client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": content, "filename": name, "title": name} for name, content in files
                ],
                initial_comment=(
                    "The project report (Markdown) and CSV exports. They hold no one's "
                    "personal answers; evaluation texts are anonymous and grouped."
                ),
            )
        except SlackApiError as exc:
            log.warning("could not upload an export: %s", exc.response.get("error"))
        return None

    def project_close(request: CommandRequest, _tools: Any) -> Reply:
        draft = endings.close_draft(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        return Reply(text="Close the project?", blocks=blocks.close_confirm_blocks(draft))

    for name, usage, summary, handler in (
        (
            "ending start",
            "ending start",
            "start the ending: feelings, evaluation, celebration (coordinators)",
            ending_start,
        ),
        (
            "ending close",
            "ending close",
            "close the feelings collection now and share the results (coordinators)",
            ending_close,
        ),
        ("feelings", "feelings", "the end-of-project word cloud and counts", feelings),
        ("evaluation", "evaluation", "the evaluation themes by group (coordinators)", evaluation),
        (
            "evaluation questions",
            "evaluation questions",
            "reword the evaluation questions (coordinators)",
            evaluation_questions,
        ),
        (
            "export",
            "export",
            "the project report and CSV exports, to your DM (coordinators)",
            export,
        ),
        (
            "project close",
            "project close",
            "close the project and stop its prompts (coordinators)",
            project_close,
        ),
    ):
        router.add(
            Subcommand(name=name, usage=usage, summary=summary, handler=handler, group=GROUP)
        )

    # ------------------------------------------------------------ buttons

    def open_feelings(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = endings.feelings_form(
                team_id=_team(body), user_id=_user(body), project_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.feelings_modal(form))

    def open_evaluation(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = endings.evaluation_form(
                team_id=_team(body), user_id=_user(body), project_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.evaluation_modal(form))

    def open_follow_up(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = endings.follow_up_form(
                team_id=_team(body), user_id=_user(body), project_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.follow_up_modal(form))

    def close_project(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            closed = endings.close_project(
                team_id=_team(body), user_id=_user(body), project_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        respond(text=blocks.project_closed_text(closed), replace_original=True)

    app.action(blocks.OPEN_FEELINGS)(open_feelings)
    app.action(blocks.OPEN_EVALUATION)(open_evaluation)
    app.action(blocks.OPEN_FOLLOW_UP)(open_follow_up)
    app.action(blocks.CLOSE_PROJECT)(close_project)

    # ------------------------------------------------------------ modals

    def start(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        values = _values(view)
        weeks = rules.parse_weeks(_str(values, blocks.FOLLOW_UP))
        deadline = blocks.parse_date(_raw(values, blocks.DEADLINE, "selected_date"))
        errors: dict[str, str] = {}
        if deadline is None:
            errors[blocks.DEADLINE] = "Pick the day the collection closes."
        if isinstance(weeks, str):
            errors[blocks.FOLLOW_UP] = weeks
        if errors or deadline is None or isinstance(weeks, str):
            ack(response_action="errors", errors=errors)
            return
        plan = EndingPlan(
            deadline=deadline,
            follow_up_weeks=weeks,
            celebration_day=blocks.parse_date(
                _raw(values, blocks.CELEBRATION_DAY, "selected_date")
            ),
            celebration_time=_time(_raw(values, blocks.CELEBRATION_TIME, "selected_time")),
            celebration_venue=_str(values, blocks.VENUE),
            reflective_day=blocks.parse_date(_raw(values, blocks.REFLECTIVE_DAY, "selected_date")),
            reflective_time=_time(_raw(values, blocks.REFLECTIVE_TIME, "selected_time")),
        )
        user = _user(body)
        try:
            started = endings.start(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                plan=plan,
            )
        except InvalidFields as exc:
            ack(
                response_action="errors",
                errors={blocks.ERROR_BLOCKS.get(k, k): v for k, v in exc.errors.items()},
            )
            return
        except AccessError as exc:
            ack(response_action="errors", errors={blocks.DEADLINE: exc.message})
            return
        ack()
        _tell(client, user, blocks.started_text(started))

    def submit_feelings(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        values = _values(view)
        user = _user(body)
        try:
            saved = endings.submit_feelings(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                words=_str(values, blocks.WORDS),
                boat=_str(values, blocks.BOAT),
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={blocks.WORDS: exc.message})
            return
        ack()
        _tell(
            client,
            user,
            blocks.saved_text("answer", saved.project_name, edited=saved.edited, words=saved.words),
        )

    def submit_evaluation(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any
    ) -> None:
        values = _values(view)
        user = _user(body)
        try:
            saved = endings.submit_evaluation(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                answers={k: _str(values, k) for k in rules.QUESTION_KEYS},
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={rules.QUESTION_KEYS[0]: exc.message})
            return
        ack()
        _tell(
            client, user, blocks.saved_text("evaluation", saved.project_name, edited=saved.edited)
        )

    def save_questions(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = _values(view)
        try:
            endings.save_questions(
                team_id=_team(body),
                user_id=_user(body),
                project_id=_id(view.get("private_metadata")),
                questions={k: _str(values, k) for k in rules.QUESTION_KEYS},
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={rules.QUESTION_KEYS[0]: exc.message})
            return
        ack()

    def submit_follow_up(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        values = _values(view)
        user = _user(body)
        try:
            saved = endings.submit_follow_up(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                how=_str(values, blocks.HOW),
                what_next=_str(values, blocks.WHAT_NEXT),
            )
        except InvalidFields as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except AccessError as exc:
            ack(response_action="errors", errors={blocks.HOW: exc.message})
            return
        ack()
        _tell(client, user, blocks.saved_text("reply", saved.project_name, edited=saved.edited))

    app.view(blocks.START_MODAL)(start)
    app.view(blocks.FEELINGS_MODAL)(submit_feelings)
    app.view(blocks.EVALUATION_MODAL)(submit_evaluation)
    app.view(blocks.QUESTIONS_MODAL)(save_questions)
    app.view(blocks.FOLLOW_UP_MODAL)(submit_follow_up)


# ---------------------------------------------------------------- payload reading


def _id(raw: Any) -> int:
    """A project id from a button value or private_metadata; anything else is stale."""
    found = parse_id(raw)
    if found is None:
        raise Stale()
    return found


def _raw(values: dict[str, Any], block: str, key: str) -> Any:
    entry = (values.get(block) or {}).get(blocks.VALUE) or {}
    return entry.get(key) if isinstance(entry, dict) else None


def _str(values: dict[str, Any], block: str) -> str:
    raw = _raw(values, block, "value")
    return raw if isinstance(raw, str) else ""


def _time(raw: Any) -> time | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return None


def _refuse(respond: Respond, exc: AccessError) -> None:
    respond(text=exc.message, response_type="ephemeral", replace_original=False)


def _tell(client: Any, user_id: str, text: str) -> None:
    """Confirm in the person's DM with cobot; the modal has already closed."""
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not confirm an ending answer: %s", exc.response.get("error"))
