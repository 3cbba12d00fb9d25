"""The buttons in reminders: share the agenda, post the notes, tick the checklist, planned."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError

from cobot.services.access import AccessError
from cobot.services.reminders import InvalidText, Reminders
from cobot.slack.blocks import reminders as blocks
from cobot.slack.commands import CommandRouter
from cobot.slack.payloads import action_value as _value
from cobot.slack.payloads import parse_id
from cobot.slack.payloads import team_id as _team
from cobot.slack.payloads import user_id as _user

log = logging.getLogger(__name__)

STALE = "That button or form is out of date, so nothing was changed."


def register(app: App, router: CommandRouter, *, reminders: Reminders) -> None:  # noqa: ARG001
    """Wire the reminder buttons and modals (reminders add no slash command)."""

    # ------------------------------------------------------------ buttons that open a modal

    def open_agenda(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = reminders.agenda_form(
                team_id=_team(body), user_id=_user(body), session_id=_session_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.agenda_modal(form))

    def open_notes(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = reminders.notes_form(
                team_id=_team(body), user_id=_user(body), session_id=_session_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.notes_modal(form))

    app.action(blocks.SHARE_AGENDA)(open_agenda)
    app.action(blocks.POST_NOTES)(open_notes)

    # ------------------------------------------------------------ buttons that mark done

    def accessibility_done(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            done = reminders.accessibility_done(
                team_id=_team(body), user_id=_user(body), session_id=_session_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        _show_done(respond, body, blocks.done_text("Accessibility checklist", done, _user(body)))

    def plan_done(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            done = reminders.plan_done(
                team_id=_team(body), user_id=_user(body), session_id=_session_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        _show_done(respond, body, blocks.done_text("Planning", done, _user(body)))

    app.action(blocks.ACCESSIBILITY_DONE)(accessibility_done)
    app.action(blocks.PLAN_DONE)(plan_done)

    # ------------------------------------------------------------ modals

    def share_agenda(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        try:
            shared = reminders.share_agenda(
                team_id=_team(body),
                user_id=user,
                session_id=_session_id(view.get("private_metadata")),
                text=_text(view),
            )
        except AccessError as exc:
            ack(response_action="errors", errors={blocks.TEXT_BLOCK: exc.message})
            return
        ack()
        _confirm(client, user, blocks.shared_text(shared, what="agenda"))

    def post_notes(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        try:
            shared = reminders.post_notes(
                team_id=_team(body),
                user_id=user,
                session_id=_session_id(view.get("private_metadata")),
                text=_text(view),
            )
        except AccessError as exc:
            ack(response_action="errors", errors={blocks.TEXT_BLOCK: exc.message})
            return
        ack()
        _confirm(client, user, blocks.shared_text(shared, what="notes"))

    app.view(blocks.AGENDA_MODAL)(share_agenda)
    app.view(blocks.NOTES_MODAL)(post_notes)


# ---------------------------------------------------------------- payload reading


def _session_id(raw: Any) -> int:
    """A session id from a button value or private_metadata; anything else is stale."""
    found = parse_id(raw)
    if found is None:
        raise AccessError(STALE)
    return found


def _text(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    raw = (values.get(blocks.TEXT_BLOCK) or {}).get(blocks.TEXT_INPUT) or {}
    value = raw.get("value")
    if value is not None and not isinstance(value, str):
        raise InvalidText(STALE)
    return value or ""


# ---------------------------------------------------------------- answering


def _refuse(respond: Respond, exc: AccessError) -> None:
    respond(text=exc.message, response_type="ephemeral", replace_original=False)


def _show_done(respond: Respond, body: dict[str, Any], line: str) -> None:
    """Replace the reminder's button with who did it; elsewhere, answer just the presser."""
    message = body.get("message") or {}
    original = message.get("blocks")
    if isinstance(original, list) and original:
        respond(
            text=str(message.get("text") or line),
            blocks=blocks.without_buttons(original, line),
            replace_original=True,
        )
    else:
        respond(text=line, response_type="ephemeral", replace_original=False)


def _confirm(client: Any, user_id: str, text: str) -> None:
    """Tell the person in their DM with cobot; the modal has already closed."""
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not confirm a shared text: %s", exc.response.get("error"))
