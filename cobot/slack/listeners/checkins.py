"""Check-ins: /cobot checkin…, my data, forget me, and the buttons and modals of the DM."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError

from cobot.services.access import AccessError
from cobot.services.checkins import Checkins, InvalidSettings, SettingsInput, SetupInput
from cobot.slack.blocks import checkins as blocks
from cobot.slack.commands import CommandRequest, CommandRouter, Reply, Subcommand
from cobot.slack.payloads import action_value as _value
from cobot.slack.payloads import parse_id
from cobot.slack.payloads import state_values as _values
from cobot.slack.payloads import team_id as _team
from cobot.slack.payloads import user_id as _user

log = logging.getLogger(__name__)

STALE = "That button or form is out of date, so nothing was changed."
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def parse_contacts(words: list[str]) -> list[str] | str:
    """The mentioned user ids, or what is wrong."""
    users = []
    for word in words:
        found = _MENTION.fullmatch(word)
        if found is None:
            shown = word if len(word) <= 40 else word[:37] + "..."
            return f"“{shown}” is not a mention of a person. {blocks.CONTACTS_USAGE}"
        users.append(found.group(1))
    if not users:
        return f"Mention the wellbeing contacts with @. {blocks.CONTACTS_USAGE}"
    return users


def parse_period(words: list[str]) -> str | None:
    """`/cobot checkin summary [month]`: the month as typed (the service checks it names a
    closed month), or None for the last months that ended."""
    return " ".join(words) if words else None


def register(app: App, router: CommandRouter, *, checkins: Checkins) -> None:
    """Add the check-in subcommands, buttons and modals."""

    # ------------------------------------------------------------ slash commands

    def overview(_request: CommandRequest, _tools: Any) -> Reply:
        return Reply(
            text=(
                "Private wellbeing check-ins. Yours: `/cobot checkin settings`, "
                "`/cobot checkin history`, `/cobot my data`, `/cobot forget me`. "
                "Coordinators: `/cobot checkin setup`, `/cobot checkin contacts @a @b`, "
                "`/cobot checkin summary [month]`."
            )
        )

    def setup(request: CommandRequest, tools: Any) -> Reply | None:
        form = checkins.setup_form(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.setup_modal(form))
        return None

    def contacts(request: CommandRequest, _tools: Any) -> Reply:
        users = parse_contacts(request.args)
        if isinstance(users, str):
            return Reply(text=users)
        chosen = checkins.set_contacts(
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            contacts=users,
        )
        return Reply(text=blocks.contacts_text(chosen))

    def settings(request: CommandRequest, tools: Any) -> Reply | None:
        found = checkins.settings_form(
            team_id=request.team_id, channel_id=request.channel_id, user_id=request.user_id
        )
        tools.ack()
        tools.client.views_open(trigger_id=request.trigger_id, view=blocks.settings_modal(found))
        return None

    def history(request: CommandRequest, _tools: Any) -> Reply:
        found = checkins.history(team_id=request.team_id, user_id=request.user_id)
        return Reply(text=blocks.history_text(found), blocks=blocks.history_blocks(found))

    def summary(request: CommandRequest, _tools: Any) -> Reply:
        found = checkins.summary(
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            period=parse_period(request.args),
        )
        return Reply(text=blocks.summary_text(found), blocks=blocks.summary_blocks(found))

    def my_data(request: CommandRequest, tools: Any) -> None:
        tools.ack(text="Preparing your data: it will arrive as a file in your DM with cobot.")
        data = checkins.my_data(team_id=request.team_id, user_id=request.user_id)
        try:
            channel = tools.client.conversations_open(users=request.user_id)["channel"]["id"]
            tools.client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": f.content, "filename": f.filename, "title": f.title}
                    for f in (data.markdown, data.json)
                ],
                initial_comment=(
                    "Here is everything cobot stores about you, in every feature: a readable "
                    "file and the same as JSON."
                ),
            )
        except SlackApiError as exc:
            log.warning("could not send a data export: %s", exc.response.get("error"))

    def forget_me(_request: CommandRequest, _tools: Any) -> Reply:
        return Reply(text="Erase all your cobot data?", blocks=blocks.forget_confirm_blocks())

    for name, usage, summary_line, handler in (
        ("checkin", "checkin", "what check-ins are and the commands for them", overview),
        (
            "checkin settings",
            "checkin settings",
            "your check-in time, days, pause, or stop",
            settings,
        ),
        ("checkin history", "checkin history", "your own check-ins and their trend", history),
        (
            "checkin setup",
            "checkin setup",
            "switch check-ins on, pick roles, rhythm, support information (coordinators)",
            setup,
        ),
        (
            "checkin contacts",
            "checkin contacts @a @b",
            "name the wellbeing contacts (coordinators)",
            contacts,
        ),
        (
            "checkin summary",
            "checkin summary [month]",
            "figures of months that ended, for groups of 4 or more (coordinators); contact "
            "requests (wellbeing contacts)",
            summary,
        ),
        (
            "my data",
            "my data",
            "everything cobot stores about you, as a readable file and JSON",
            my_data,
        ),
        ("forget me", "forget me", "erase all your cobot data (asks first)", forget_me),
    ):
        router.add(
            Subcommand(
                name=name, usage=usage, summary=summary_line, handler=handler, group=blocks.GROUP
            )
        )

    # ------------------------------------------------------------ buttons in the DM

    def consent_yes(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        _consent(ack, body, respond, agree=True)

    def consent_no(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        _consent(ack, body, respond, agree=False)

    def _consent(ack: Ack, body: dict[str, Any], respond: Respond, *, agree: bool) -> None:
        ack()
        try:
            result = checkins.consent(
                team_id=_team(body), user_id=_user(body), delivery_id=_id(_value(body)), agree=agree
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        message = blocks.consented_message(result)
        respond(text=message.text, blocks=message.blocks, replace_original=True)

    def mood(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        delivery, _sep, chosen = _value(body).partition(":")
        try:
            if not (chosen.isascii() and chosen.isdigit()):
                raise AccessError(STALE)
            answer = checkins.answer(
                team_id=_team(body),
                user_id=_user(body),
                delivery_id=_id(delivery),
                mood=int(chosen),
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        message = blocks.answered_message(answer)
        respond(text=message.text, blocks=message.blocks, replace_original=True)

    def open_note(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = checkins.note_form(
                team_id=_team(body), user_id=_user(body), delivery_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.note_modal(form))

    def open_contact(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            form = checkins.contact_form(
                team_id=_team(body), user_id=_user(body), delivery_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.contact_modal(form))

    def open_pause(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        try:
            delivery_id = _id(_value(body))
        except AccessError as exc:
            _refuse(respond, exc)
            return
        client.views_open(trigger_id=body["trigger_id"], view=blocks.pause_modal(delivery_id))

    def not_today(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            planned = checkins.snooze(
                team_id=_team(body), user_id=_user(body), delivery_id=_id(_value(body))
            )
        except AccessError as exc:
            _refuse(respond, exc)
            return
        text = blocks.planned_text(planned, what=":zzz: Not today, no problem.")
        respond(text=text, replace_original=True)

    def stop(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            checkins.stop(team_id=_team(body), user_id=_user(body), delivery_id=_id(_value(body)))
        except AccessError as exc:
            _refuse(respond, exc)
            return
        respond(text=blocks.STOPPED_TEXT, replace_original=True)

    def forget(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        done = checkins.forget(team_id=_team(body), user_id=_user(body))
        respond(text=blocks.forgotten_text(done), replace_original=True)

    app.action(blocks.CONSENT_YES)(consent_yes)
    app.action(blocks.CONSENT_NO)(consent_no)
    app.action(blocks.MOOD_PATTERN)(mood)
    app.action(blocks.NOTE)(open_note)
    app.action(blocks.CONTACT)(open_contact)
    app.action(blocks.PAUSE)(open_pause)
    app.action(blocks.NOT_TODAY)(not_today)
    app.action(blocks.STOP)(stop)
    app.action(blocks.FORGET)(forget)

    # ------------------------------------------------------------ modals

    def save_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        try:
            answer = checkins.save_note(
                team_id=_team(body),
                user_id=user,
                delivery_id=_id(view.get("private_metadata")),
                note=_text(view, "note"),
            )
        except AccessError as exc:
            _modal_errors(ack, exc, "note")
            return
        ack()
        _dm(client, user, blocks.note_saved_text(answer))

    def save_contact(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        shared = _checked(view, "share")
        try:
            result = checkins.request_contact(
                team_id=_team(body),
                user_id=user,
                delivery_id=_id(view.get("private_metadata")),
                share_mood="mood" in shared,
                share_note="note" in shared,
                message=_text(view, "message"),
                form_id=str(view.get("id") or "") or None,
            )
        except AccessError as exc:
            _modal_errors(ack, exc, "message")
            return
        ack()
        _dm(client, user, blocks.contact_requested_text(result))

    def save_pause(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        until = _date(view, "until")
        if until is None:
            ack(response_action="errors", errors={"until": "Pick the day you are back."})
            return
        try:
            planned = checkins.pause(
                team_id=_team(body),
                user_id=user,
                delivery_id=_id(view.get("private_metadata")),
                until=until,
            )
        except AccessError as exc:
            _modal_errors(ack, exc, "until")
            return
        ack()
        _dm(client, user, blocks.planned_text(planned, what=":palm_tree: Paused."))

    def save_settings(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        days = tuple(int(d) for d in _checked(view, "days") if d.isascii() and d.isdigit())
        choice = SettingsInput(
            time_text=_text(view, "time"),
            days=days,
            after_sessions="yes" in _checked(view, "after_sessions"),
            paused_until=_date(view, "pause"),
            taking_part="yes" in _checked(view, "taking_part"),
        )
        try:
            found = checkins.save_settings(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                choice=choice,
            )
        except AccessError as exc:
            _modal_errors(ack, exc, "time")
            return
        ack()
        _dm(client, user, blocks.settings_saved_text(found))

    def save_setup(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = _user(body)
        values = _values(view)
        selected = (values.get("rhythm") or {}).get(blocks.INPUT, {}).get("selected_option")
        choice = SetupInput(
            enabled="yes" in _checked(view, "enabled"),
            roles=tuple(_checked(view, "roles")),
            rhythm=str((selected or {}).get("value") or ""),
            support_text=_text(view, "support"),
            retention_text=_text(view, "retention"),
        )
        try:
            saved = checkins.save_setup(
                team_id=_team(body),
                user_id=user,
                project_id=_id(view.get("private_metadata")),
                choice=choice,
            )
        except AccessError as exc:
            _modal_errors(ack, exc, "roles")
            return
        ack()
        _dm(client, user, blocks.setup_saved_text(saved))

    app.view(blocks.NOTE_MODAL)(save_note)
    app.view(blocks.CONTACT_MODAL)(save_contact)
    app.view(blocks.PAUSE_MODAL)(save_pause)
    app.view(blocks.SETTINGS_MODAL)(save_settings)
    app.view(blocks.SETUP_MODAL)(save_setup)


# ---------------------------------------------------------------- payload reading


def _id(raw: Any) -> int:
    """An id from a button value or private_metadata; anything else is stale."""
    found = parse_id(raw)
    if found is None:
        raise AccessError(STALE)
    return found


def _text(view: dict[str, Any], block_id: str) -> str:
    raw = (_values(view).get(block_id) or {}).get(blocks.INPUT) or {}
    value = raw.get("value")
    return value if isinstance(value, str) else ""


def _checked(view: dict[str, Any], block_id: str) -> list[str]:
    raw = (_values(view).get(block_id) or {}).get(blocks.INPUT) or {}
    options = raw.get("selected_options") or []
    return [str(o.get("value")) for o in options if isinstance(o, dict)]


def _date(view: dict[str, Any], block_id: str) -> date | None:
    raw = ((_values(view).get(block_id) or {}).get(blocks.INPUT) or {}).get("selected_date")
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


# ---------------------------------------------------------------- answering


def _refuse(respond: Respond, exc: AccessError) -> None:
    respond(text=exc.message, response_type="ephemeral", replace_original=False)


def _modal_errors(ack: Ack, exc: AccessError, block_id: str) -> None:
    errors = exc.errors if isinstance(exc, InvalidSettings) else {block_id: exc.message}
    ack(response_action="errors", errors=errors)


def _dm(client: Any, user_id: str, text: str) -> None:
    """Tell the person in their DM with cobot; the modal has already closed."""
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not confirm a check-in change: %s", exc.response.get("error"))
