"""Block Kit for the ending: the DMs, the modals, the results in the channel, the confirmations."""

from __future__ import annotations

from typing import Any

from cobot.domain import endings as rules
from cobot.domain.endings import EvaluationThemes
from cobot.domain.endings import FeelingsTally
from cobot.services.endings import CloseDraft
from cobot.services.endings import CloudNote
from cobot.services.endings import CollectionClosed
from cobot.services.endings import EndingDraft
from cobot.services.endings import EndingNote
from cobot.services.endings import EndingStarted
from cobot.services.endings import EvaluationForm
from cobot.services.endings import FeelingsForm
from cobot.services.endings import FeelingsView
from cobot.services.endings import FollowUpForm
from cobot.services.endings import FollowUpNote
from cobot.services.endings import InviteNote
from cobot.services.endings import ProjectClosed
from cobot.services.endings import QuestionsForm
from cobot.services.endings import ResultsNote
from cobot.services.endings import StartedNote
from cobot.services.endings import ThemesView
from cobot.services.ports import OutgoingFile
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import section
from cobot.slack.blocks.common import slack_date
from cobot.slack.blocks.renderers import ByKind

OPEN_FEELINGS = "endings_open_feelings"
OPEN_EVALUATION = "endings_open_evaluation"
OPEN_FOLLOW_UP = "endings_open_follow_up"
CLOSE_PROJECT = "endings_close_project"
START_MODAL = "endings_start"
FEELINGS_MODAL = "endings_feelings"
EVALUATION_MODAL = "endings_evaluation"
QUESTIONS_MODAL = "endings_questions"
FOLLOW_UP_MODAL = "endings_follow_up"
VALUE = forms.INPUT
# start modal blocks; service error keys map onto them
DEADLINE = "deadline"
FOLLOW_UP = "follow_up"
CELEBRATION_DAY = "celebration_day"
CELEBRATION_TIME = "celebration_time"
VENUE = "venue"
REFLECTIVE_DAY = "reflective_day"
REFLECTIVE_TIME = "reflective_time"
ERROR_BLOCKS = {"celebration": CELEBRATION_DAY, "reflective": REFLECTIVE_DAY}
# a member's fields, named as the Endings parameters the listener passes them to
WORDS = "words"
BOAT = "boat"
HOW = "how"
WHAT_NEXT = "what_next"
MAX_MESSAGE_BLOCKS = 50
EXPORT_COMMENT = (
    "The project report (Markdown) and CSV exports. They hold no one's "
    "personal answers; evaluation texts are anonymous and grouped."
)


_input = forms.input_block


def _text(initial: str = "", *, multiline: bool = False, max_length: int = 3000) -> dict[str, Any]:
    return forms.text_element(initial, multiline=multiline, max_length=max_length)


def _modal(
    callback_id: str, title: str, blocks: list[dict[str, Any]], metadata: str
) -> dict[str, Any]:
    return forms.modal(callback_id, title, blocks, metadata=metadata)


# ---------------------------------------------------------------- starting the ending


def start_modal(draft: EndingDraft) -> dict[str, Any]:
    """The coordinator's ending modal: the deadline, the celebration, the final debrief."""
    day: dict[str, Any] = {"type": "datepicker", "initial_date": draft.default_deadline.isoformat()}
    blocks = [
        section(
            f"*Ending “{escape(draft.project_name)}”.* Everyone gets a DM asking, in up to "
            "three words, how they feel now the project is ending, what boat their group would "
            "be, and for their evaluation. Answers are shared only as counts and anonymous "
            f"texts of groups of at least {rules.MIN_GROUP} people."
        ),
        _input(
            DEADLINE,
            "The collection closes on",
            day,
            hint="At 17:00 that day the word cloud and the results go to the project channel.",
        ),
        _input(
            CELEBRATION_DAY,
            "Celebration or launch event: date",
            {"type": "datepicker"},
            optional=True,
            hint="Endings need time to celebrate. Or add it later: /cobot session add.",
        ),
        _input(CELEBRATION_TIME, "Celebration: time", {"type": "timepicker"}, optional=True),
        _input(VENUE, "Celebration: venue or link", _text(max_length=300), optional=True),
        _input(
            REFLECTIVE_DAY,
            "Final debrief for the practitioners: date",
            {"type": "datepicker"},
            optional=True,
        ),
        _input(REFLECTIVE_TIME, "Final debrief: time", {"type": "timepicker"}, optional=True),
        _input(
            FOLLOW_UP,
            "Follow-up check-in with everyone, weeks after the end",
            forms.select_element(
                [
                    (str(n), f"{n} week{'s' if n > 1 else ''}")
                    for n in range(1, rules.MAX_FOLLOW_UP_WEEKS + 1)
                ],
                initial=str(rules.DEFAULT_FOLLOW_UP_WEEKS),
            ),
            hint="Asks how people are and what happened next, to avoid a post-project slump.",
        ),
    ]
    return _modal(START_MODAL, "End the project", blocks, str(draft.project_id))


def started_text(started: EndingStarted) -> str:
    """The coordinator's confirmation."""
    lines = [
        f":sailboat: The ending of “{escape(started.project_name)}” has started: "
        f"{started.invited} people are asked by DM. The collection closes "
        f"{slack_date(started.deadline, started.timezone)} (or with `/cobot ending close`)."
    ]
    if started.celebration_at:
        lines.append(f"Celebration: {slack_date(started.celebration_at, started.timezone)}.")
    if started.reflective_at:
        lines.append(f"Final debrief: {slack_date(started.reflective_at, started.timezone)}.")
    lines.append(f"Follow-up check-in: {slack_date(started.follow_up_at, started.timezone)}.")
    return "\n".join(lines)


def closed_text(closed: CollectionClosed) -> str:
    """The coordinator's confirmation of closing the collection early."""
    people = f"{closed.answers} {'person' if closed.answers == 1 else 'people'}"
    return (
        f"The collection for “{escape(closed.project_name)}” is closed ({people} answered). "
        "The results are on their way to the project channel."
    )


# ---------------------------------------------------------------- the answer modals


def feelings_modal(form: FeelingsForm) -> dict[str, Any]:
    """Up to three words, and the boat."""
    blocks = [
        _input(
            WORDS,
            rules.FEELINGS_QUESTION,
            _text(form.words, max_length=200),
            hint="For example: grateful, tired, proud. Never shown with your name.",
        ),
        _input(
            BOAT,
            rules.BOAT_QUESTION,
            _text(form.boat, multiline=True, max_length=rules.MAX_BOAT),
            optional=True,
            hint=(
                "Shared in the project channel under your group's name, without yours, and "
                f"only when at least {rules.MIN_GROUP} people of your group describe one."
            ),
        ),
    ]
    return _modal(FEELINGS_MODAL, "How do you feel?", blocks, str(form.project_id))


def evaluation_modal(form: EvaluationForm) -> dict[str, Any]:
    """The evaluation form: each question optional."""
    blocks: list[dict[str, Any]] = [
        context(
            "Your answers go to the coordinators by group, without your name, and only for "
            f"groups of at least {rules.MIN_GROUP} people. Answer any you like."
        )
    ]
    for key in rules.QUESTION_KEYS:
        blocks.append(
            _input(
                key,
                form.questions[key],
                _text(form.answers.get(key, ""), multiline=True, max_length=rules.MAX_ANSWER),
                optional=True,
            )
        )
    return _modal(EVALUATION_MODAL, "Evaluation", blocks, str(form.project_id))


def questions_modal(form: QuestionsForm) -> dict[str, Any]:
    """The evaluation questions, for a coordinator to reword."""
    blocks = [
        _input(
            key,
            f"Question {i}",
            _text(form.questions[key], max_length=rules.MAX_QUESTION),
        )
        for i, key in enumerate(rules.QUESTION_KEYS, start=1)
    ]
    return _modal(QUESTIONS_MODAL, "Evaluation questions", blocks, str(form.project_id))


def follow_up_modal(form: FollowUpForm) -> dict[str, Any]:
    """The optional follow-up reply."""
    blocks = [
        _input(
            HOW,
            "How are you now?",
            _text(form.how, multiline=True, max_length=rules.MAX_ANSWER),
            optional=True,
        ),
        _input(
            WHAT_NEXT,
            "What has happened since the project ended?",
            _text(form.what_next, multiline=True, max_length=rules.MAX_ANSWER),
            optional=True,
            hint="Only you see this reply; cobot counts replies, never shares them.",
        ),
    ]
    return _modal(FOLLOW_UP_MODAL, "Since the project", blocks, str(form.project_id))


def saved_text(what: str, project_name: str, *, edited: bool, words: tuple[str, ...] = ()) -> str:
    """The confirmation in the person's DM (their own words, to them only)."""
    verb = "updated" if edited else "saved"
    counted = f" Counted as: {escape(', '.join(words))}." if words else ""
    return f":white_check_mark: Your {what} for “{escape(project_name)}” is {verb}.{counted}"


# ---------------------------------------------------------------- deliveries


def ending_message(note: EndingNote) -> OutgoingMessage:
    """Render an ending delivery."""
    return _BY_KIND(note)


def _cloud(note: CloudNote) -> OutgoingMessage:
    return OutgoingMessage(
        text=(
            f":cloud: How we feel now “{escape(note.project_name)}” is ending: {note.answers} "
            "people's words, bigger when more people chose them."
        ),
        files=(
            OutgoingFile(
                filename="feelings-word-cloud.png",
                content=note.png,
                title=f"{escape(note.project_name)}: how we feel at the end",
            ),
        ),
    )


def _results(note: ResultsNote) -> OutgoingMessage:
    blocks = results_blocks(note.project_name, note.tally)
    return OutgoingMessage(
        text=f"How we feel now “{escape(note.project_name)}” is ending", blocks=blocks
    )


def _started(note: StartedNote) -> OutgoingMessage:
    lines = [
        f":sailboat: *“{escape(note.project_name)}” is coming to an end.* Endings matter: "
        "time to debrief, to celebrate what we achieved, and to reflect. Everyone gets a DM "
        "asking how they feel and what boat their group was on this journey. It also asks "
        f"for their evaluation, until {slack_date(note.deadline, note.timezone)}."
    ]
    if note.celebration:
        lines.append(
            f":tada: *{escape(note.celebration.title)}*: "
            f"{slack_date(note.celebration.starts_at, note.timezone)}."
        )
    if note.reflective:
        lines.append(
            f":speech_balloon: *{escape(note.reflective.title)}* for the practitioners: "
            f"{slack_date(note.reflective.starts_at, note.timezone)}."
        )
    if note.follow_up_at:
        lines.append(
            "cobot will check in with everyone around "
            f"{slack_date(note.follow_up_at, note.timezone, with_time=False)}."
        )
    text = "\n".join(lines)
    return OutgoingMessage(text=text, blocks=[section(text)])


def _invite(note: InviteNote) -> OutgoingMessage:
    text = (
        f":sailboat: “{escape(note.project_name)}” is ending. How do you feel, in up to "
        "three words? And if your group were a boat on this journey, what boat would it be? "
        f"Answers close {slack_date(note.deadline, note.timezone)}; they are shared only as a "
        "word cloud and counts, never with your name."
    )
    value = str(note.project_id)
    return OutgoingMessage(
        text=text,
        blocks=[
            section(text),
            actions(
                [
                    button("Share how I feel", OPEN_FEELINGS, value, style="primary"),
                    button("Evaluation form", OPEN_EVALUATION, value),
                ]
            ),
        ],
    )


def _follow_up(note: FollowUpNote) -> OutgoingMessage:
    text = (
        f":wave: It has been a few weeks since “{escape(note.project_name)}” ended. How are "
        "you, and what has happened since? Replying is optional; only you see your reply. "
        "If the ending has left a gap, that is common: talk to someone you trust."
    )
    return OutgoingMessage(
        text=text,
        blocks=[
            section(text),
            actions([button("Reply", OPEN_FOLLOW_UP, str(note.project_id))]),
        ],
    )


def _counts(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{escape(w)} ({n})" for w, n in pairs) or "none"


def results_blocks(project_name: str, tally: FeelingsTally) -> list[dict[str, Any]]:
    """The counts, the safe groups' words and the boats (no names anywhere)."""
    if not tally.shareable:
        return [
            section(
                f"*How we feel now “{escape(project_name)}” is ending.* Fewer than "
                f"{rules.MIN_GROUP} people answered, so to protect everyone's privacy "
                "cobot shares nothing. Thank you to everyone who took part."
            )
        ]
    blocks: list[dict[str, Any]] = [
        section(
            f"*How we feel now “{escape(project_name)}” is ending* ({tally.answers} people "
            f"answered). Most common words: {_counts(tally.top())}."
        )
    ]
    if tally.groups:
        lines = [f"• *{g.label}* ({g.answers}): {_counts(g.words)}" for g in tally.groups]
        blocks.append(section("*By group*\n" + "\n".join(lines)))
    if tally.hidden:
        blocks.append(
            context(
                f"Groups with fewer than {rules.MIN_GROUP} answers are not shown on their own "
                "(nor in a way that could be worked out from the others)."
            )
        )
    if tally.boats:
        blocks.append(section("*Same ocean, different boats*"))
        for group in tally.boats:
            label = "Everyone" if group.group == "all" else group.label
            body = "\n".join(f"• {escape(b)}" for b in group.boats)
            if len(blocks) < MAX_MESSAGE_BLOCKS - 1:
                blocks.append(section(f"*{label}*\n{body}"))
    return blocks[:MAX_MESSAGE_BLOCKS]


def feelings_blocks(view: FeelingsView) -> list[dict[str, Any]]:
    """`/cobot feelings`: the image and the counts once the collection closed."""
    if not view.started:
        return [section("The ending of this project has not started yet.")]
    if view.closed_at is None:
        until = slack_date(view.deadline, view.timezone) if view.deadline else "soon"
        return [
            section(
                "The collection is still open, until "
                f"{until}; the results are shared when it closes."
            )
        ]
    blocks = results_blocks(view.project_name, view.tally)
    if view.cloud_file_id:
        blocks.insert(
            1,
            {
                "type": "image",
                "slack_file": {"id": view.cloud_file_id},
                "alt_text": "Word cloud of how people feel at the end: "
                + _counts(view.tally.top()),
            },
        )
    return blocks[:MAX_MESSAGE_BLOCKS]


def feelings_text(view: FeelingsView) -> str:
    """The fallback text for `/cobot feelings`."""
    if view.closed_at is None or not view.tally.shareable:
        return "How we feel at the end"
    return f"Most common words: {_counts(view.tally.top())}"


def themes_blocks(view: ThemesView) -> list[dict[str, Any]]:
    """The evaluation by group, for a coordinator."""
    return themes_sections(view.project_name, view.themes)[:MAX_MESSAGE_BLOCKS]


def themes_sections(project_name: str, themes: EvaluationThemes) -> list[dict[str, Any]]:
    """Sections per group and question: counts, recurring words, the anonymous texts."""
    answered = f"{themes.people} {'person' if themes.people == 1 else 'people'} answered"
    if themes.open:
        return [
            section(
                f"*Evaluation of “{escape(project_name)}”*: {answered} so far. Themes and "
                "answers are shown once the collection has closed. They come all at once and "
                "in no order, so no answer can be linked to when it came in."
            )
        ]
    if not themes.groups:
        return [
            section(
                f"*Evaluation of “{escape(project_name)}”*: {answered}. Themes are shown only "
                f"when at least {rules.MIN_GROUP} people answered."
            )
        ]
    blocks = [
        section(f"*Evaluation of “{escape(project_name)}”*: {themes.people} people answered.")
    ]
    for group in themes.groups:
        blocks.append(section(f"*{group.label}* ({group.people} people)"))
        for q in group.questions:
            common = f" Recurring words: {_counts(q.common)}." if q.common else ""
            texts = "\n".join(f"• {escape(t)}" for t in q.texts)
            blocks.append(
                section(f"_{escape(q.question)}_ ({q.answered} answered).{common}\n{texts}")
            )
    if themes.hidden:
        blocks.append(
            context(f"Groups with fewer than {rules.MIN_GROUP} answers are shown only together.")
        )
    return blocks


def close_confirm_blocks(draft: CloseDraft) -> list[dict[str, Any]]:
    """Ask before closing the project."""
    extra = (
        " The feelings collection is still open: it closes now and its results go out."
        if draft.collection_open
        else ""
    )
    return [
        section(
            f"*Close “{escape(draft.project_name)}”?* Every prompt still scheduled "
            f"({draft.pending}) is cancelled and check-ins stop; the follow-up check-in stays. "
            f"Personal answers are kept for {draft.retention_days} days after closing (the "
            "project's retention setting), then deleted. Export the "
            f"report first with `/cobot export`.{extra}"
        ),
        actions(
            [button("Close the project", CLOSE_PROJECT, str(draft.project_id), style="danger")]
        ),
    ]


def project_closed_text(closed: ProjectClosed) -> str:
    """Confirmation of closing."""
    return (
        f"“{escape(closed.project_name)}” is closed. {closed.cancelled} scheduled prompts were "
        "cancelled. Personal answers are deleted after "
        f"{slack_date(closed.retention_until, closed.timezone, with_time=False)}."
    )


_BY_KIND = ByKind(_cloud, _results, _started, _invite, _follow_up)
