"""Check-ins: /cobot checkin…, my data, forget me, and the buttons and modals of the DM."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from cobot.services.checkins import Checkins
from cobot.services.checkins import SettingsInput
from cobot.services.checkins import SetupInput
from cobot.slack import kit
from cobot.slack.blocks import checkins as blocks
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTools
from cobot.slack.commands import Reply
from cobot.slack.kit import Answer
from cobot.slack.kit import FormError
from cobot.slack.kit import Press
from cobot.slack.kit import Stale
from cobot.slack.kit import Submission

log = logging.getLogger(__name__)


def parse_contacts(words: list[str]) -> list[str] | str:
    """The mentioned user ids, or what is wrong."""
    return kit.mentions(
        words,
        not_one=lambda shown: f"“{shown}” is not a mention of a person. {blocks.CONTACTS_USAGE}",
        none=f"Mention the wellbeing contacts with @. {blocks.CONTACTS_USAGE}",
    )


def parse_period(words: list[str]) -> str | None:
    """`/cobot checkin summary [month]`: the month as typed (the service checks it names a
    closed month), or None for the last months that ended."""
    return " ".join(words) if words else None


listen = kit.Listeners(group=blocks.GROUP)


def register(app: App, router: CommandRouter, *, checkins: Checkins) -> None:
    """Add the check-in subcommands, buttons and modals."""
    listen.wire(app, router, checkins, _COMMANDS)


# ---------------------------------------------------------------- slash commands


def overview(_checkins: Checkins, _request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot checkin`: what check-ins are."""
    return Reply(
        text=(
            "Private wellbeing check-ins. Yours: `/cobot checkin settings`, "
            "`/cobot checkin history`, `/cobot my data`, `/cobot forget me`. "
            "Coordinators: `/cobot checkin setup`, `/cobot checkin contacts @a @b`, "
            "`/cobot checkin summary [month]`."
        )
    )


def setup(checkins: Checkins, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot checkin setup`: the coordinator's form."""
    tools.open(blocks.setup_modal(checkins.setup_form(**request.caller)))


def contacts(checkins: Checkins, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot checkin contacts @a @b`."""
    users = parse_contacts(request.args)
    if isinstance(users, str):
        return Reply(text=users)
    return Reply(text=blocks.contacts_text(checkins.set_contacts(**request.caller, contacts=users)))


def settings(checkins: Checkins, request: CommandRequest, tools: CommandTools) -> None:
    """`/cobot checkin settings`: the person's own form."""
    tools.open(blocks.settings_modal(checkins.settings_form(**request.caller)))


def history(checkins: Checkins, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot checkin history`."""
    found = checkins.history(team_id=request.team_id, user_id=request.user_id)
    return Reply.of(found, blocks.history_text, blocks.history_blocks)


def summary(checkins: Checkins, request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot checkin summary [month]`."""
    found = checkins.summary(**request.caller, period=parse_period(request.args))
    return Reply.of(found, blocks.summary_text, blocks.summary_blocks)


def my_data(checkins: Checkins, request: CommandRequest, tools: Any) -> None:
    """`/cobot my data`: acked first, the files follow in the DM."""
    tools.ack(text="Preparing your data: it will arrive as a file in your DM with cobot.")
    data = checkins.my_data(team_id=request.team_id, user_id=request.user_id)
    kit.dm_files(
        tools.client,
        request.user_id,
        [(f.filename, f.title, f.content) for f in (data.markdown, data.json)],
        comment=(
            "Here is everything cobot stores about you, in every feature: a readable "
            "file and the same as JSON."
        ),
        what="a data export",
    )


def forget_me(_checkins: Checkins, _request: CommandRequest, _tools: Any) -> Reply:
    """`/cobot forget me`: asks first."""
    return Reply(text="Erase all your cobot data?", blocks=blocks.forget_confirm_blocks())


# ---------------------------------------------------------------- buttons in the DM


@listen.button(blocks.CONSENT_YES, blocks.CONSENT_NO)
def consent(checkins: Checkins, press: Press) -> None:
    """Yes or no to check-ins."""
    agree = press.action_id == blocks.CONSENT_YES
    result = checkins.consent(**press.caller, delivery_id=press.id(), agree=agree)
    message = blocks.consented_message(result)
    press.replace(message.text, message.blocks)


@listen.button(blocks.MOOD_PATTERN)
def mood(checkins: Checkins, press: Press) -> None:
    """A mood button: `<delivery>:<mood>`."""
    delivery, _sep, chosen = press.value.partition(":")
    if not (chosen.isascii() and chosen.isdigit()):
        raise Stale()
    answer = checkins.answer(**press.caller, delivery_id=kit.stale_id(delivery), mood=int(chosen))
    message = blocks.answered_message(answer)
    press.replace(message.text, message.blocks)


# add a note; ask a wellbeing contact
listen.opens(blocks.NOTE, "note_form", blocks.note_modal, key="delivery_id")
listen.opens(blocks.CONTACT, "contact_form", blocks.contact_modal, key="delivery_id")


@listen.button(blocks.PAUSE)
def open_pause(_checkins: Checkins, press: Press) -> None:
    """Pause: the modal."""
    press.open(blocks.pause_modal(press.id()))


@listen.button(blocks.NOT_TODAY)
def not_today(checkins: Checkins, press: Press) -> None:
    """Not today: snooze this one."""
    planned = checkins.snooze(**press.caller, delivery_id=press.id())
    press.replace(blocks.planned_text(planned, what=":zzz: Not today, no problem."))


@listen.button(blocks.STOP)
def stop(checkins: Checkins, press: Press) -> None:
    """Stop check-ins."""
    checkins.stop(**press.caller, delivery_id=press.id())
    press.replace(blocks.STOPPED_TEXT)


@listen.button(blocks.FORGET)
def forget(checkins: Checkins, press: Press) -> None:
    """Forget me, confirmed."""
    press.replace(blocks.forgotten_text(checkins.forget(**press.caller)))


# ---------------------------------------------------------------- modals


@listen.form(blocks.NOTE_MODAL, fallback="note")
def save_note(checkins: Checkins, sent: Submission) -> Answer:
    """The note modal."""
    note = sent.form(blocks.INPUT).text("note")
    answer = checkins.save_note(**sent.caller, delivery_id=sent.id(), note=note)
    return Answer(dm=blocks.note_saved_text(answer))


@listen.form(blocks.CONTACT_MODAL, fallback="message")
def save_contact(checkins: Checkins, sent: Submission) -> Answer:
    """The contact-request modal."""
    form = sent.form(blocks.INPUT)
    shared = form.checked("share")
    result = checkins.request_contact(
        **sent.caller,
        delivery_id=sent.id(),
        share_mood="mood" in shared,
        share_note="note" in shared,
        message=form.text("message"),
        form_id=sent.view_id,
    )
    return Answer(dm=blocks.contact_requested_text(result))


@listen.form(blocks.PAUSE_MODAL, fallback="until")
def save_pause(checkins: Checkins, sent: Submission) -> Answer:
    """The pause modal."""
    until = sent.form(blocks.INPUT).date("until")
    if until is None:
        raise FormError({"until": "Pick the day you are back."})
    planned = checkins.pause(**sent.caller, delivery_id=sent.id(), until=until)
    return Answer(dm=blocks.planned_text(planned, what=":palm_tree: Paused."))


@listen.form(blocks.SETTINGS_MODAL, fallback="time")
def save_settings(checkins: Checkins, sent: Submission) -> Answer:
    """The person's settings modal."""
    form = sent.form(blocks.INPUT)
    days = tuple(int(d) for d in form.checked("days") if d.isascii() and d.isdigit())
    choice = SettingsInput(
        time_text=form.time_text("time"),
        days=days,
        after_sessions="yes" in form.checked("after_sessions"),
        paused_until=form.date("pause"),
        taking_part="yes" in form.checked("taking_part"),
    )
    found = checkins.save_settings(**sent.caller, project_id=sent.id(), choice=choice)
    return Answer(dm=blocks.settings_saved_text(found))


@listen.form(blocks.SETUP_MODAL, fallback="roles")
def save_setup(checkins: Checkins, sent: Submission) -> Answer:
    """The coordinator's setup modal."""
    form = sent.form(blocks.INPUT)
    choice = SetupInput(
        enabled="yes" in form.checked("enabled"),
        roles=tuple(form.checked("roles")),
        rhythm=form.selected("rhythm"),
        support_text=form.text("support"),
        retention_text=form.text("retention"),
    )
    saved = checkins.save_setup(**sent.caller, project_id=sent.id(), choice=choice)
    return Answer(dm=blocks.setup_saved_text(saved))


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command("checkin", "what check-ins are and the commands for them", overview),
    Command("checkin settings", "your check-in time, days, pause, or stop", settings),
    Command("checkin history", "your own check-ins and their trend", history),
    Command(
        "checkin setup",
        "switch check-ins on, pick roles, rhythm, support information (coordinators)",
        setup,
    ),
    Command(
        "checkin contacts",
        "name the wellbeing contacts (coordinators)",
        contacts,
        usage="checkin contacts @a @b",
    ),
    Command(
        "checkin summary",
        "figures of months that ended, for groups of 4 or more (coordinators); contact "
        "requests (wellbeing contacts)",
        summary,
        usage="checkin summary [month]",
    ),
    Command("my data", "everything cobot stores about you, as a readable file and JSON", my_data),
    Command("forget me", "erase all your cobot data (asks first)", forget_me),
)
