"""Block Kit for debriefs: prompts, the debrief and feedback modals, the collated summary,
developmental feedback, actions, participant feedback and the coordinator's views."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cobot.domain.debriefs import ACTIONS
from cobot.domain.debriefs import CHANGE
from cobot.domain.debriefs import DEVELOPMENT
from cobot.domain.debriefs import FEELING
from cobot.domain.debriefs import FEELING_WORDS
from cobot.domain.debriefs import HEARD_WORDS
from cobot.domain.debriefs import MAX_ACTIONS
from cobot.domain.debriefs import MAX_ANSWER
from cobot.domain.debriefs import MAX_DEV_NOTES
from cobot.domain.debriefs import MAX_QUESTION
from cobot.domain.debriefs import MIN_GROUP
from cobot.domain.debriefs import QUESTION_KEYS
from cobot.domain.debriefs import VOICES
from cobot.domain.debriefs import WENT_WELL
from cobot.domain.debriefs import action_block
from cobot.domain.debriefs import dev_block
from cobot.services.debriefs import ActionDone
from cobot.services.debriefs import ActionList
from cobot.services.debriefs import ActionReminderNote
from cobot.services.debriefs import ChannelSet
from cobot.services.debriefs import Collated
from cobot.services.debriefs import CompletionView
from cobot.services.debriefs import DebriefForm
from cobot.services.debriefs import DebriefNote
from cobot.services.debriefs import DebriefSaved
from cobot.services.debriefs import DevNoteNote
from cobot.services.debriefs import FeedbackAskNote
from cobot.services.debriefs import FeedbackDigestNote
from cobot.services.debriefs import FeedbackForm
from cobot.services.debriefs import FeedbackSaved
from cobot.services.debriefs import PromptNote
from cobot.services.debriefs import QuestionsForm
from cobot.services.debriefs import ReflectiveNote
from cobot.services.debriefs import SessionFacts
from cobot.services.debriefs import SummaryNote
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.common import mentions
from cobot.slack.blocks.common import notification_text
from cobot.slack.blocks.common import plain
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.renderers import ByKind

OPEN_DEBRIEF = "debrief_open"
SKIP_DEBRIEF = "debrief_skip"
ACTION_DONE = "debrief_action_done"
FEEDBACK_HEARD = "feedback_heard_"  # + 1..5
FEEDBACK_OPEN = "feedback_open"
DEBRIEF_MODAL = "debrief_submit"
QUESTIONS_MODAL = "debrief_questions"
FEEDBACK_MODAL = "feedback_submit"
VALUE = forms.INPUT
FEELING_WORDS_BLOCK = "feeling_words"
HEARD_BLOCK = "heard"
KEEP_BLOCK = "keep"
FEEDBACK_CHANGE_BLOCK = "change"
NAMED_BLOCK = "named"
NAMED_OPTION = "named"
MAX_MESSAGE_BLOCKS = 50
CHUNK = 2800
USAGE_CHANNEL = "`/cobot debrief channel #channel` (or `none` to send summaries by DM)"


def _title(facts: SessionFacts) -> str:
    return f"*{escape(facts.title)}*"


def _when(facts: SessionFacts) -> str:
    return slack_date(facts.starts_at, facts.timezone)


def _bullets(heading: str, items: Iterable[str], *, escaped: bool = False) -> list[dict[str, Any]]:
    """A heading and bullet lines (people's text, escaped here unless `escaped`), split into
    sections under Slack's limit."""
    lines = [f"• {item if escaped else escape(item)}".replace("\n", "\n   ") for item in items]
    if not lines:
        return []
    blocks: list[dict[str, Any]] = []
    current = heading
    for line in lines:
        if len(current) + len(line) + 1 > CHUNK and current != heading:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(section(current))
    return blocks


def _message(text: str, blocks: list[dict[str, Any]]) -> OutgoingMessage:
    return OutgoingMessage(text=notification_text(text), blocks=blocks[:MAX_MESSAGE_BLOCKS])


# ---------------------------------------------------------------- delivered messages


def debrief_message(note: DebriefNote) -> OutgoingMessage:
    """Any debrief delivery as a Slack message."""
    return _BY_KIND(note)


def prompt_message(note: PromptNote) -> OutgoingMessage:
    """Debrief for <session>: write it, or skip this one."""
    s = note.session
    deadline = slack_date(note.deadline, s.timezone)
    if note.nudge:
        text = (
            f":hourglass_flowing_sand: A gentle nudge: your debrief for {_title(s)} is still "
            f"open. The team's summary goes out when everyone has debriefed, or on {deadline}."
        )
    else:
        text = (
            f":speech_balloon: Debrief for {_title(s)} ({_when(s)}). While it is fresh: what "
            "went well, what we would change, whose voice might not have been heard, and the "
            f"actions for next time. The summary goes out by {deadline}."
        )
    return _message(
        text,
        [
            section(text),
            context(
                "Your feelings stay with you. Developmental feedback goes privately to the "
                "person you name. The rest is collated, unattributed, into one summary for "
                "the practitioners."
            ),
            actions(
                [
                    button("Write my debrief", OPEN_DEBRIEF, str(s.id), style="primary"),
                    button("Skip this one", SKIP_DEBRIEF, str(s.id)),
                ],
                block_id="debrief_prompt",
            ),
        ],
    )


def collated_blocks(collated: Collated, questions: dict[str, str]) -> list[dict[str, Any]]:
    """Went well / change / voices / actions with owners: never feelings or development."""
    blocks: list[dict[str, Any]] = []
    blocks += _bullets(f"*{escape(questions[WENT_WELL])}*", collated.went_well)
    blocks += _bullets(f"*{escape(questions[CHANGE])}*", collated.change)
    blocks += _bullets(f"*{escape(questions[VOICES])}*", collated.voices)
    if collated.actions:
        lines = [f"*{escape(questions[ACTIONS])}*"]
        lines += [f"• {escape(a.text)} ({mention(a.owner)})" for a in collated.actions]
        blocks.append(section("\n".join(lines)))
    return blocks


def summary_message(note: SummaryNote) -> OutgoingMessage:
    """The one collated summary of a session's debriefs."""
    c = note.collated
    s = c.session
    text = f":memo: Debrief summary for {_title(s)} ({_when(s)})"
    blocks = [section(text)]
    body = collated_blocks(c, note.questions)
    if body:
        blocks += body
    else:
        blocks.append(section("No one wrote a debrief for this session."))
    who = [f"Debriefed: {mentions(c.debriefed)}"]
    if c.skipped:
        who.append(f"skipped: {mentions(c.skipped)}")
    if c.missing:
        who.append(f"not in time: {mentions(c.missing)}")
    blocks.append(context("; ".join(who) + ". Open actions: `/cobot actions`."))
    return _message(text, blocks)


def dev_note_message(note: DevNoteNote) -> OutgoingMessage:
    """Developmental feedback, for its addressee only."""
    s = note.session
    text = f":seedling: Developmental feedback from {mention(note.author)} after {_title(s)}:"
    quoted = "\n".join(f">{line}" for line in escape(note.text).splitlines() or [""])
    return _message(
        text,
        [
            section(text),
            section(quoted),
            context(
                "Only you received this. It is meant to help you play to your strengths "
                "and develop new skills."
            ),
        ],
    )


def action_reminder_message(note: ActionReminderNote) -> OutgoingMessage:
    """An action's owner is reminded before the next session."""
    a = note.action
    s = note.next_session
    text = (
        f":pushpin: Before {_title(s)} ({_when(s)}): your action from the debrief of "
        f"*{escape(a.session_title)}*: {escape(a.text)}"
    )
    return _message(
        text,
        [
            section(text),
            actions(
                [button("Done", ACTION_DONE, str(a.id), style="primary")], block_id="debrief_action"
            ),
        ],
    )


def feedback_ask_message(note: FeedbackAskNote) -> OutgoingMessage:
    """A participant's short, optional feedback request."""
    s = note.session
    text = (
        f":wave: Thank you for coming to {_title(s)}. *Did you feel heard?* Your answer helps "
        "the facilitators plan the next session. It is optional."
    )
    buttons = [
        button(f"{score} · {word}", f"{FEEDBACK_HEARD}{score}", str(s.id))
        for score, word in HEARD_WORDS.items()
    ]
    return _message(
        text,
        [
            section(text),
            actions(buttons, block_id="feedback_heard"),
            actions(
                [button("Just tell them in words", FEEDBACK_OPEN, str(s.id))],
                block_id="feedback_words",
            ),
            context(
                "The facilitators see your words but not who wrote them, unless you choose "
                f"to add your name. Scores are only shown to them as a spread when at least "
                f"{MIN_GROUP} people answer."
            ),
        ],
    )


def spread_text(note: FeedbackDigestNote) -> str:
    """The 1-5 answers: a distribution only with enough answers to protect everyone."""
    heard = note.heard
    people = f"{heard.answered} {'person' if heard.answered == 1 else 'people'}"
    if heard.counts is None:
        return (
            f"*Did you feel heard?* {people} answered; too few to show the spread without "
            "identifying anyone."
        )
    lines = [f"*Did you feel heard?* {people} answered:"]
    for (score, word), count in zip(HEARD_WORDS.items(), heard.counts, strict=True):
        lines.append(f"{score} · {word}: {'█' * count} {count}")
    return "\n".join(lines)


def feedback_digest_message(note: FeedbackDigestNote) -> OutgoingMessage:
    """Participant feedback collated for the facilitators, before they plan the next one."""
    s = note.session
    text = (
        f":bar_chart: Participant feedback on {_title(s)} ({_when(s)}): {note.answered} of "
        f"{note.invited} participants answered. Use it as you plan the next session."
    )
    blocks = [section(text)]
    if note.answered:
        blocks.append(section(spread_text(note)))

    def lines(items: tuple[tuple[str, str | None], ...]) -> list[str]:
        return [escape(t) + (f" (from {mention(who)})" if who else "") for t, who in items]

    blocks += _bullets("*What should we keep?*", lines(note.keep), escaped=True)
    blocks += _bullets("*What should we change?*", lines(note.change), escaped=True)
    blocks.append(context("Words are anonymous unless the person chose to add their name."))
    return _message(text, blocks)


def reflective_message(note: ReflectiveNote) -> OutgoingMessage:
    """A reflective practice session coming up, with the collated debriefs so far."""
    s = note.session
    text = (
        f":leaves: Reflective practice: {_title(s)} is on {_when(s)}. Here is what the "
        "debriefs since the last one said, to reflect on together."
    )
    blocks = [section(text)]
    if note.venue.strip():
        blocks.append(context(f":round_pushpin: {escape(note.venue)}"))
    questions = {
        WENT_WELL: "What went well",
        CHANGE: "What we would change",
        VOICES: "Voices",
        ACTIONS: "Actions",
    }
    if not note.debriefs:
        blocks.append(section("No debrief summaries yet."))
    for collated in note.debriefs:
        blocks.append({"type": "divider"})
        blocks.append(section(f"*{escape(collated.session.title)}* ({_when(collated.session)})"))
        blocks += collated_blocks(collated, questions)
    return _message(text, blocks)


# ---------------------------------------------------------------- modals


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    hint: str | None = None,
) -> dict[str, Any]:
    return forms.input_block(block_id, label, element, optional=True, hint=hint)


def _text_element(value: str, *, multiline: bool = True, limit: int = MAX_ANSWER) -> dict[str, Any]:
    return forms.text_element(value, multiline=multiline, max_length=limit)


def _option(value: int, words: dict[int, str]) -> dict[str, Any]:
    return {"text": plain(f"{value} · {words[value]}"), "value": str(value)}


def _radio(words: dict[int, str], initial: int | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "radio_buttons",
        "options": [_option(v, words) for v in words],
    }
    if initial in words:
        element["initial_option"] = _option(initial, words)
    return element


def debrief_modal(form: DebriefForm) -> dict[str, Any]:
    """The debrief: the project's questions, prefilled when editing."""
    s = form.session
    q = form.questions
    where = (
        "the practitioners' channel"
        if form.shares_to_channel
        else "the facilitators and coordinators"
    )
    intro = (
        f"{_title(s)}, {_when(s)}.\nWhat you write about the session is collated, "
        f"unattributed, into one summary for {where}. "
        + (
            "You are editing your debrief: you can until the summary goes out."
            if form.editing
            else "You can edit it until the summary goes out."
        )
    )
    blocks: list[dict[str, Any]] = [
        section(intro),
        _input(WENT_WELL, q[WENT_WELL], _text_element(form.went_well)),
        _input(CHANGE, q[CHANGE], _text_element(form.change)),
        _input(VOICES, q[VOICES], _text_element(form.voices)),
        {"type": "divider"},
        section(
            f"*{escape(q[DEVELOPMENT])}*\nSent privately to the person you name, never to the "
            "channel, once the summary goes out."
        ),
    ]
    for index in range(1, MAX_DEV_NOTES + 1):
        to, text = form.dev[index - 1] if index <= len(form.dev) else (None, "")
        person_block, text_block = dev_block(index)
        blocks.append(
            forms.user_select(
                person_block,
                f"For ({index})",
                initial=to,
                optional=True,
                placeholder="Choose someone",
            )
        )
        blocks.append(_input(text_block, f"Feedback ({index})", _text_element(text)))
    blocks += [
        {"type": "divider"},
        _input(
            FEELING,
            q[FEELING],
            _radio(FEELING_WORDS, form.feeling),
            hint="Only you will ever see this, and the words below.",
        ),
        _input(
            FEELING_WORDS_BLOCK,
            "In your own words (optional)",
            _text_element(form.feeling_words),
        ),
        {"type": "divider"},
        section(
            f"*{escape(q[ACTIONS])}*\nEach with an owner, who is reminded before the next session."
        ),
    ]
    for index in range(1, MAX_ACTIONS + 1):
        owner, text = form.actions[index - 1] if index <= len(form.actions) else (None, "")
        owner_block, text_block = action_block(index)
        blocks.append(
            _input(text_block, f"Action ({index})", _text_element(text, multiline=False, limit=300))
        )
        blocks.append(
            forms.user_select(
                owner_block,
                f"Owner ({index})",
                initial=owner,
                optional=True,
                placeholder="Who owns it",
            )
        )
    submit = "Update" if form.editing else "Save"
    return forms.modal(DEBRIEF_MODAL, "Debrief", blocks, metadata=str(s.id), submit=submit)


def questions_modal(form: QuestionsForm) -> dict[str, Any]:
    """The coordinator's form to reword the project's debrief questions."""
    labels = {
        WENT_WELL: "What went well",
        CHANGE: "What to change",
        VOICES: "Whether every voice was heard",
        DEVELOPMENT: "Developmental feedback (sent privately to the person named)",
        FEELING: "How the person feels (1-5, kept private to them)",
        ACTIONS: "Actions for the next session (with owners)",
    }
    blocks: list[dict[str, Any]] = [
        section(
            f"The debrief questions for *{escape(form.project_name)}*. Reword them to suit "
            "your team; what each question is for stays the same."
        )
    ]
    for key in QUESTION_KEYS:
        block = _input(
            key,
            labels[key],
            _text_element(form.questions[key], multiline=False, limit=MAX_QUESTION),
        )
        block["optional"] = False
        blocks.append(block)
    return forms.modal(QUESTIONS_MODAL, "Debrief questions", blocks, metadata=str(form.project_id))


def feedback_modal(form: FeedbackForm) -> dict[str, Any]:
    """A participant's feedback: heard (1-5), keep, change, and whether to add their name."""
    s = form.session
    named: dict[str, Any] = {
        "type": "checkboxes",
        "options": [
            {"text": plain("Add my name to my words"), "value": NAMED_OPTION},
        ],
    }
    if form.named:
        named["initial_options"] = named["options"]
    blocks = [
        section(
            f"{_title(s)}, {_when(s)}. Every question is optional. The facilitators see "
            "your words, not who wrote them, unless you add your name."
        ),
        _input(HEARD_BLOCK, "Did you feel heard?", _radio(HEARD_WORDS, form.heard)),
        _input(KEEP_BLOCK, "What should we keep?", _text_element(form.keep)),
        _input(FEEDBACK_CHANGE_BLOCK, "What should we change?", _text_element(form.change)),
        _input(NAMED_BLOCK, "Your name", named),
    ]
    return forms.modal(FEEDBACK_MODAL, "Your feedback", blocks, metadata=str(s.id), submit="Send")


# ---------------------------------------------------------------- replies


def saved_text(saved: DebriefSaved) -> str:
    """What the person is told after saving or skipping a debrief."""
    s = saved.session
    if saved.status == "skipped":
        return (
            f":ok_hand: Skipped your debrief for {_title(s)}: no more nudges about it. If you "
            "change your mind, the button still works until the summary goes out."
        )
    verb = "updated" if saved.edited else "saved"
    extra = []
    if saved.dev_notes:
        extra.append(
            f"{saved.dev_notes} developmental note{'s' if saved.dev_notes > 1 else ''} will go "
            "privately to the person named when the summary goes out"
        )
    if saved.actions:
        extra.append(f"{saved.actions} action{'s' if saved.actions > 1 else ''} tracked")
    tail = f" ({'; '.join(extra)})" if extra else ""
    when = (
        "Everyone has debriefed, so the summary goes out now."
        if saved.summary_now
        else "You can edit it from the same button until the summary goes out."
    )
    return f":white_check_mark: Your debrief for {_title(s)} is {verb}{tail}. {when}"


def feedback_saved_text(saved: FeedbackSaved) -> str:
    """Thanks for a participant's feedback."""
    who = "with your name" if saved.named else "without your name"
    verb = "updated" if saved.edited else "on its way"
    return (
        f":pray: Thank you. Your feedback on {_title(saved.session)} is {verb}; the "
        f"facilitators will see your words {who}."
    )


def channel_text(result: ChannelSet) -> str:
    """Where the collated summaries go now."""
    if result.channel_id is None:
        return (
            f"Debrief summaries for *{escape(result.project_name)}* go by DM to each session's "
            f"facilitators and the coordinators. To post them to the practitioners' private "
            f"channel instead: {USAGE_CHANNEL}."
        )
    return (
        f":white_check_mark: Debrief summaries for *{escape(result.project_name)}* go to "
        f"<#{result.channel_id}>. Invite cobot there (`/invite @cobot`) so it can post."
    )


def completion_blocks(view: CompletionView) -> list[dict[str, Any]]:
    """Who has debriefed recent sessions; never what anyone wrote."""
    blocks = [
        section(
            f"*Debriefs in {escape(view.project_name)}*: who has debriefed recent sessions. "
            "What people wrote is only in the summaries they share."
        )
    ]
    if not view.sessions:
        blocks.append(section("No sessions have ended yet."))
    for item in view.sessions[: MAX_MESSAGE_BLOCKS - 1]:
        s = item.session
        status = (
            f"summary posted {slack_date(item.closed_at, s.timezone)}"
            if item.closed_at is not None
            else f"summary due {slack_date(item.deadline, s.timezone)}"
        )
        lines = [f"{_title(s)} ({_when(s)}): {status}"]
        lines.append(f":white_check_mark: Debriefed: {mentions(item.debriefed)}")
        if item.skipped:
            lines.append(f":fast_forward: Skipped: {mentions(item.skipped)}")
        lines.append(f":hourglass: Not yet: {mentions(item.missing) if item.missing else 'nobody'}")
        blocks.append(section("\n".join(lines)))
    return blocks


def completion_text(view: CompletionView) -> str:
    """The fallback of the completion view."""
    return f"Debriefs in {escape(view.project_name)}: {len(view.sessions)} recent sessions"


def actions_blocks(listing: ActionList) -> list[dict[str, Any]]:
    """The project's open actions, with Done for those the reader may tick."""
    blocks = [section(f"*Open actions in {escape(listing.project_name)}*")]
    if not listing.actions:
        blocks.append(section("No open actions. :tada:"))
    for action in listing.actions[: MAX_MESSAGE_BLOCKS - 1]:
        text = (
            f"• {escape(action.text)} ({mention(action.owner)}), "
            f"from *{escape(action.session_title)}*"
        )
        if action.id in listing.can_tick:
            blocks.append(section(text, accessory=button("Done", ACTION_DONE, str(action.id))))
        else:
            blocks.append(section(text))
    return blocks


def actions_text(listing: ActionList) -> str:
    """The fallback of the actions list."""
    return f"{len(listing.actions)} open actions in {escape(listing.project_name)}"


def action_done_text(done: ActionDone) -> str:
    """The line that answers a Done press."""
    if done.already:
        return f":white_check_mark: “{escape(done.action.text)}” was already done."
    return f":white_check_mark: “{escape(done.action.text)}”: done by {mention(done.by)}."


def reflective_error_text(problems: list[str]) -> str:
    """What was wrong with `/cobot reflective add`, and how to write it."""
    listed = "\n".join(f"• {escape(p)}" for p in problems)
    return (
        f"I couldn't read that reflective practice session, so nothing was scheduled:\n{listed}"
        '\nWrite it as `/cobot reflective add "<title>" <YYYY-MM-DD> <HH:MM> <duration> with '
        "@practitioner1 @practitioner2`, naming the practitioners who take part."
    )


_BY_KIND = ByKind(
    prompt_message,
    summary_message,
    dev_note_message,
    action_reminder_message,
    feedback_ask_message,
    feedback_digest_message,
    reflective_message,
)
