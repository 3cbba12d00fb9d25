"""Debriefs and participant feedback: the questions, what a good answer is, and the spread rule.

The case study's practitioners debriefed with the project team straight after every session
("invaluable"), gave each other developmental feedback, and amended the next session in
response to participant feedback. Feelings stay with their author; aggregates of a 1-5 scale
are shown only when at least MIN_GROUP people answered, so no one is identifiable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from cobot.domain.text import TypedText

MIN_GROUP = 3
MAX_ANSWER = 2000
MAX_QUESTION = 150
MAX_DEV_NOTES = 3
MAX_ACTIONS = 3

# the debrief's questions, in the modal's order; coordinators can reword them per project
WENT_WELL = "went_well"
CHANGE = "change"
VOICES = "voices"
DEVELOPMENT = "development"
FEELING = "feeling"
ACTIONS = "actions"
QUESTION_KEYS = (WENT_WELL, CHANGE, VOICES, DEVELOPMENT, FEELING, ACTIONS)
DEFAULT_QUESTIONS: dict[str, str] = {
    WENT_WELL: "What went well?",
    CHANGE: "What would we change next time?",
    VOICES: "Was every voice heard? Whose might not have been?",
    DEVELOPMENT: "Developmental feedback for a co-facilitator",
    FEELING: "How am I feeling after facilitating?",
    ACTIONS: "Actions for the next session",
}

FEELING_WORDS = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Very good"}
HEARD_WORDS = {1: "Not at all", 2: "A little", 3: "Somewhat", 4: "Mostly", 5: "Completely"}

# nudges: soon after the session (the debrief is best fresh), then before the deadline
FIRST_NUDGE = timedelta(hours=2)
LAST_NUDGE_BEFORE = timedelta(hours=3)

_CHANNEL = re.compile(r"<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>")
_BARE_CHANNEL = re.compile(r"[CG][A-Z0-9]{6,}")


_QUESTION = TypedText(
    MAX_QUESTION, "each question", "Write the question (or put back the default)."
)
_ANSWER = TypedText(MAX_ANSWER)


def questions_from_json(data: Mapping[str, Any] | None) -> dict[str, str]:
    """Stored questions over the defaults; blank or unknown entries fall back."""
    questions = dict(DEFAULT_QUESTIONS)
    for key in QUESTION_KEYS:
        value = (data or {}).get(key)
        if isinstance(value, str) and value.strip():
            questions[key] = value.strip()[:MAX_QUESTION]
    return questions


def check_questions(questions: Mapping[str, str]) -> dict[str, str]:
    """Per-question problems with a coordinator's wording (empty means fine)."""
    return _QUESTION.problems({key: questions.get(key) or "" for key in QUESTION_KEYS})


@dataclass(frozen=True)
class DevNote:
    """Developmental feedback for one named person (goes to them only)."""

    to: str
    text: str


@dataclass(frozen=True)
class ActionItem:
    """An action for the next session, with the person who owns it."""

    owner: str
    text: str


@dataclass(frozen=True)
class DebriefInput:
    """A debrief as typed; `dev` and `actions` rows are (person, text) pairs, maybe blank."""

    went_well: str = ""
    change: str = ""
    voices: str = ""
    dev: tuple[tuple[str | None, str], ...] = ()
    feeling: int | None = None
    feeling_words: str = ""
    actions: tuple[tuple[str | None, str], ...] = ()


@dataclass(frozen=True)
class CleanDebrief:
    """A debrief that passed every check."""

    went_well: str
    change: str
    voices: str
    dev: tuple[DevNote, ...]
    feeling: int | None
    feeling_words: str
    actions: tuple[ActionItem, ...]


def dev_block(index: int) -> tuple[str, str]:
    """Block ids of the n-th developmental feedback row (person, text), from 1."""
    return f"dev_to_{index}", f"dev_text_{index}"


def action_block(index: int) -> tuple[str, str]:
    """Block ids of the n-th action row (owner, text), from 1."""
    return f"action_owner_{index}", f"action_text_{index}"


@dataclass(frozen=True)
class _Rows:
    """A repeated pair of inputs (a person and a text): how many, their block ids, and the
    rule for the text."""

    most: int
    block: Callable[[int], tuple[str, str]]
    text: TypedText


_DEV_ROWS = _Rows(
    MAX_DEV_NOTES,
    dev_block,
    TypedText(MAX_ANSWER, "this", "Write the feedback, or clear the person."),
)
_ACTION_ROWS = _Rows(
    MAX_ACTIONS,
    action_block,
    TypedText(MAX_QUESTION * 2, "an action", "Write the action, or clear its owner."),
)


def _rows(
    rows: Sequence[tuple[str | None, str]],
    spec: _Rows,
    person_problem: Callable[[str | None], str | None],
    errors: dict[str, str],
) -> list[tuple[str, str]]:
    """The rows that are filled in; a row half filled in, or whose person or text fails,
    adds its problems to `errors` by block id."""
    kept: list[tuple[str, str]] = []
    for index, (person, raw) in enumerate(rows[: spec.most], start=1):
        person_block, text_block = spec.block(index)
        text = raw.strip()
        if not person and not text:
            continue
        problems = {person_block: person_problem(person), text_block: spec.text.problem(text)}
        errors.update((block, p) for block, p in problems.items() if p is not None)
        if person and text:
            kept.append((person, text))
    return kept


def check_debrief(
    data: DebriefInput, *, author: str, addressees: Iterable[str], members: Iterable[str]
) -> tuple[CleanDebrief | None, dict[str, str]]:
    """The cleaned debrief, or the problems keyed by the modal's block ids."""
    errors: dict[str, str] = {}
    allowed = set(addressees) - {author}
    known = set(members)
    texts = {
        WENT_WELL: data.went_well.strip(),
        CHANGE: data.change.strip(),
        VOICES: data.voices.strip(),
        "feeling_words": data.feeling_words.strip(),
    }
    for block, text in texts.items():
        if len(text) > MAX_ANSWER:
            errors[block] = f"Keep this under {MAX_ANSWER} characters (it has {len(text)})."
    if data.feeling is not None and data.feeling not in FEELING_WORDS:
        errors[FEELING] = "Choose from 1 to 5."

    def addressee_problem(to: str | None) -> str | None:
        if not to:
            return "Say who this feedback is for."
        if to == author:
            return "This is for your co-facilitators; your feelings go below."
        if to not in allowed:
            return (
                f"<@{to}> was not on this session's team: developmental feedback goes to "
                "the session's facilitators and the project team."
            )
        return None

    def owner_problem(owner: str | None) -> str | None:
        if not owner:
            return "Choose who owns this action."
        if owner not in known:
            return f"<@{owner}> is not in this project; choose a member."
        return None

    notes = [
        DevNote(to, text) for to, text in _rows(data.dev, _DEV_ROWS, addressee_problem, errors)
    ]
    actions = [
        ActionItem(person, text)
        for person, text in _rows(data.actions, _ACTION_ROWS, owner_problem, errors)
    ]
    if (
        not errors
        and not any(texts[k] for k in (WENT_WELL, CHANGE, VOICES))
        and not notes
        and not actions
        and data.feeling is None
    ):
        errors[WENT_WELL] = "Answer at least one question, or close this and press “Skip this one”."
    if errors:
        return None, errors
    return (
        CleanDebrief(
            went_well=texts[WENT_WELL],
            change=texts[CHANGE],
            voices=texts[VOICES],
            dev=tuple(notes),
            feeling=data.feeling,
            feeling_words=texts["feeling_words"],
            actions=tuple(actions),
        ),
        {},
    )


@dataclass(frozen=True)
class FeedbackInput:
    """A participant's feedback on a session; everything optional, but not all empty."""

    heard: int | None = None
    keep: str = ""
    change: str = ""
    named: bool = False


def check_feedback(data: FeedbackInput) -> dict[str, str]:
    """Problems keyed by the feedback modal's block ids (empty means fine)."""
    errors: dict[str, str] = {}
    if data.heard is not None and data.heard not in HEARD_WORDS:
        errors["heard"] = "Choose from 1 to 5."
    errors.update(_ANSWER.problems({"keep": data.keep, "change": data.change}))
    if not errors and data.heard is None and not data.keep.strip() and not data.change.strip():
        errors["heard"] = "Answer at least one question, or just close this: it is optional."
    return errors


@dataclass(frozen=True)
class Spread:
    """How many answered a 1-5 question, and the counts per point when enough did."""

    answered: int
    counts: tuple[int, ...] | None

    @property
    def shown(self) -> bool:
        """Whether the distribution may be shown."""
        return self.counts is not None


def spread(scores: Iterable[int]) -> Spread:
    """Counts for 1..5, only when at least MIN_GROUP people answered."""
    valid = [s for s in scores if s in HEARD_WORDS]
    if len(valid) < MIN_GROUP:
        return Spread(answered=len(valid), counts=None)
    return Spread(answered=len(valid), counts=tuple(valid.count(i) for i in range(1, 6)))


def nudge_times(ends_at: datetime, within: timedelta) -> list[datetime]:
    """When to nudge someone who has not debriefed: soon after, then before the deadline."""
    if within <= timedelta(0):
        return []
    first = ends_at + min(FIRST_NUDGE, within / 3)
    last = ends_at + within - min(LAST_NUDGE_BEFORE, within / 4)
    return [first] if last <= first else [first, last]


def parse_channel(text: str) -> str | None:
    """A channel id from `<#C123|name>` (how Slack escapes a mention) or a bare id."""
    cleaned = text.strip()
    match = _CHANNEL.fullmatch(cleaned)
    if match is not None:
        return match.group(1)
    if _BARE_CHANNEL.fullmatch(cleaned):
        return cleaned
    return None
