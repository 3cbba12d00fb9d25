"""The buttons in reminders: share the agenda, post the notes, tick the checklist, planned."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from cobot.services.reminders import InvalidText
from cobot.services.reminders import Reminders
from cobot.slack import kit
from cobot.slack.blocks import reminders as blocks
from cobot.slack.commands import CommandRouter
from cobot.slack.kit import STALE
from cobot.slack.kit import Answer
from cobot.slack.kit import Press
from cobot.slack.kit import Submission

listen = kit.Listeners()


def register(app: App, router: CommandRouter, *, reminders: Reminders) -> None:
    """Wire the reminder buttons and modals (reminders add no slash command)."""
    listen.wire(app, router, reminders)


# ---------------------------------------------------------------- buttons that open a modal


# share the agenda (the modal with the draft); post the notes
listen.opens(blocks.SHARE_AGENDA, "agenda_form", blocks.agenda_modal, key="session_id")
listen.opens(blocks.POST_NOTES, "notes_form", blocks.notes_modal, key="session_id")


# ---------------------------------------------------------------- buttons that mark done


@listen.button(blocks.ACCESSIBILITY_DONE)
def accessibility_done(reminders: Reminders, press: Press) -> None:
    """The accessibility checklist is done."""
    done = reminders.accessibility_done(**press.caller, session_id=press.id())
    _show_done(press, blocks.done_text("Accessibility checklist", done, press.user))


@listen.button(blocks.PLAN_DONE)
def plan_done(reminders: Reminders, press: Press) -> None:
    """The planning is done."""
    done = reminders.plan_done(**press.caller, session_id=press.id())
    _show_done(press, blocks.done_text("Planning", done, press.user))


# ---------------------------------------------------------------- modals


@listen.form(blocks.AGENDA_MODAL, fallback=blocks.TEXT_BLOCK)
def share_agenda(reminders: Reminders, sent: Submission) -> Answer:
    """The agenda modal submitted: share it."""
    shared = reminders.share_agenda(**sent.caller, session_id=sent.id(), text=_text(sent))
    return Answer(dm=blocks.shared_text(shared, what="agenda"))


@listen.form(blocks.NOTES_MODAL, fallback=blocks.TEXT_BLOCK)
def post_notes(reminders: Reminders, sent: Submission) -> Answer:
    """The notes modal submitted: post them."""
    shared = reminders.post_notes(**sent.caller, session_id=sent.id(), text=_text(sent))
    return Answer(dm=blocks.shared_text(shared, what="notes"))


def _text(sent: Submission) -> str:
    value = sent.form(blocks.TEXT_INPUT).element(blocks.TEXT_BLOCK).get("value")
    if value is not None and not isinstance(value, str):
        raise InvalidText(STALE)
    return value or ""


def _show_done(press: Press, line: str) -> None:
    """Replace the reminder's button with who did it; elsewhere, answer just the presser."""
    original: Any = press.message.get("blocks")
    if isinstance(original, list) and original:
        press.replace(
            str(press.message.get("text") or line), blocks.without_buttons(original, line)
        )
    else:
        press.tell(line)
