"""Endings: feeling words, their normalisation and safe tallies, boats, evaluation themes.

The case study asked everyone at the end how they felt ("humble, grateful, valued,
inspired"), showed it as a word cloud, asked each group to describe its journey as a boat
("same ocean, different boats") and ran an evaluation. Everything here is pure: answers in,
what may be shown out. Nothing is ever attributed to a person; a group is shown only where
at least MIN_GROUP people of it answered, and never in a way that lets a hidden group be
worked out by subtracting the shown groups from the total.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.disclosure import disclose
from cobot.domain.roles import Role
from cobot.domain.text import TypedText
from cobot.domain.vocabulary import Labelled

# aggregates only where at least this many people answered (3 besides whoever looks)
MIN_GROUP = MIN_PEOPLE
MAX_WORDS = 3
MAX_WORD_LENGTH = 40
MAX_BOAT = 1000
MAX_ANSWER = 2000
MAX_QUESTION = 200
TOP_WORDS = 10
TOP_GROUP_WORDS = 5
DEFAULT_COLLECTION = timedelta(days=7)
MAX_COLLECTION = timedelta(days=60)
DEFAULT_FOLLOW_UP_WEEKS = 4
MAX_FOLLOW_UP_WEEKS = 26


class ReportingGroup(Labelled):
    """A reporting group: the four role groups the case study reported by, or (OTHER) the
    held-back groups together."""

    PROJECT_TEAM = "project_team", "Project team"
    OVERSIGHT = "oversight", "Oversight and steering"
    PRACTITIONERS = "practitioners", "Practitioners"
    PARTICIPANTS = "participants", "Participants"
    OTHER = "other", "Other groups together"


# the order groups are shown in (any other group after them)
GROUPS = tuple(g for g in ReportingGroup if g is not ReportingGroup.OTHER)
_GROUP_OF_ROLE = {
    Role.COORDINATOR: ReportingGroup.PROJECT_TEAM,
    Role.PROJECT_TEAM: ReportingGroup.PROJECT_TEAM,
    Role.STEERING: ReportingGroup.OVERSIGHT,
    Role.OVERSIGHT: ReportingGroup.OVERSIGHT,
    Role.PRACTITIONER: ReportingGroup.PRACTITIONERS,
    Role.PARTICIPANT: ReportingGroup.PARTICIPANTS,
}

FEELINGS_QUESTION = "In up to three words, how do you feel now the project is ending?"
BOAT_QUESTION = "If your group were a boat on this journey, what boat would it be, and why?"

# the evaluation form; coordinators can reword the questions (the keys stay)
QUESTION_KEYS = ("went_well", "differently", "experience", "learned")
DEFAULT_QUESTIONS = {
    "went_well": "What went well?",
    "differently": "What could have been done differently?",
    "experience": "What was your experience of being involved?",
    "learned": "One thing I learned",
}

# words that say nothing about a feeling on their own
STOP_WORDS = frozenset(
    """
    a an the and or but nor so yet of to in on at by for with from into onto about as
    i me my myself we us our you your he she it its they them their this that these those
    am is are was were be been being have has had do does did very really quite so too
    just bit little lot lots more most much many some somewhat rather still also
    feel feels feeling felt now project ending end all not no
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# true variants only: common misspellings and British/American spellings of the same word.
# Different words that look alike (hope/hopeful, humble/humbled, inspired/inspiring,
# proud/pride) are kept apart: they are not the same feeling.
VARIANTS = {
    "greatful": "grateful",
    "gratefull": "grateful",
    "greatfull": "grateful",
    "thankfull": "thankful",
    "hopefull": "hopeful",
    "peacefull": "peaceful",
    "joyfull": "joyful",
    "insipred": "inspired",
    "inpsired": "inspired",
    "humbel": "humble",
    "releived": "relieved",
    "acheived": "achieved",
    "exausted": "exhausted",
    "overwhelemed": "overwhelmed",
    "empowerd": "empowered",
    "honored": "honoured",
    "energized": "energised",
    "recognized": "recognised",
    "valorized": "valorised",
    "organized": "organised",
    "well-being": "wellbeing",
    "bitter-sweet": "bittersweet",
    "ok": "okay",
}

# words ending in s that are not plurals (nor plurals to strip)
_KEEP_S = frozenset(
    """
    thanks yes always perhaps sometimes various nervous anxious joyous curious serious
    famous gorgeous generous precious previous obvious glorious cautious conscious
    jealous ambitious zealous tremendous marvellous marvelous courageous gracious
    bus plus less unless gas lens chaos bias canvas atlas
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_TOKEN_SPLIT = re.compile(r"[\s,;/|+&]+")
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)


class WordsError(ValueError):
    """The feeling words cannot be taken; the message says why, for the person."""


def group_of(role: str) -> str:
    """The reporting group of a project role."""
    try:
        return _GROUP_OF_ROLE[Role(role)]
    except ValueError:
        return ReportingGroup.PARTICIPANTS


def normalise_word(word: str) -> str | None:
    """One typed word as it is counted, or None for a stop word or no word at all.

    Lower case, accents and edge punctuation stripped, apostrophes dropped, listed spelling
    variants merged and simple plurals made singular ("hopes" -> "hope", "memories" ->
    "memory"); never a stem ("inspiring" stays "inspiring").
    """
    text = unicodedata.normalize("NFKC", word).lower().replace("\u2019", "'")
    text = _EDGE_PUNCT.sub("", text).replace("'", "")
    if not text or not any(c.isalpha() for c in text):
        return None
    text = VARIANTS.get(text, text)
    text = _singular(text)
    text = VARIANTS.get(text, text)
    if text in STOP_WORDS or len(text) < 2:
        return None
    return text[:MAX_WORD_LENGTH]


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word in _KEEP_S:
        return word
    if word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def split_words(text: str) -> list[str]:
    """The words someone typed, split on spaces, commas and slashes."""
    return [t for t in _TOKEN_SPLIT.split(text.strip()) if _EDGE_PUNCT.sub("", t)]


def parse_feelings(text: str) -> tuple[str, ...]:
    """The counted words (one to three) from what someone typed; WordsError otherwise.

    Small words ("a bit", "and", "very") are free and not counted; a word given twice, or
    in two spellings, counts once. More than three counted words are refused rather than
    cut, so nobody's fourth word is silently dropped.
    """
    typed = split_words(text)
    if not typed:
        raise WordsError("Type one to three words about how you feel.")
    words = tuple(dict.fromkeys(w for w in (normalise_word(t) for t in typed) if w is not None))
    if len(words) > MAX_WORDS:
        raise WordsError(
            f"That is {len(words)} words: please choose up to three, such as "
            "“grateful, tired, proud”."
        )
    if not words:
        raise WordsError(
            "Those are very common words that don't say much on their own: try a word "
            "about how you feel, such as “proud” or “relieved”."
        )
    return words


def check_boat(text: str) -> str:
    """The boat description, tidied; WordsError when too long."""
    cleaned = text.strip()
    if len(cleaned) > MAX_BOAT:
        raise WordsError(f"Keep the boat to {MAX_BOAT} characters or fewer.")
    return cleaned


# ---------------------------------------------------------------- safe groups


def safe_groups(people: Mapping[str, int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which groups may be shown on their own, and which are held back together: the one
    rule of `disclosure.disclose` (MIN_GROUP people a group, and held-back groups together
    empty or at least MIN_GROUP, so no subtraction from the total reveals them)."""
    decided = disclose(people)
    if not decided.total:
        return (), _ordered(decided.held)
    return _ordered(decided.shown), _ordered(decided.held)


def _ordered(groups: Iterable[str]) -> tuple[str, ...]:
    chosen = set(groups)
    known = [g for g in GROUPS if g in chosen]
    return tuple(known + sorted(chosen - set(GROUPS)))


# ---------------------------------------------------------------- feelings


@dataclass(frozen=True)
class FeelingAnswer:
    """One person's answer as a tally sees it: their group, counted words, boat."""

    group: str
    words: tuple[str, ...]
    boat: str = ""


@dataclass(frozen=True)
class OfGroup:
    """What is shown of one reporting group, or of the held-back groups together (OTHER)."""

    group: str

    @property
    def label(self) -> str:
        """The group's name ("all" where no group is shown on its own)."""
        try:
            return ReportingGroup(self.group).label
        except ValueError:
            return self.group


@dataclass(frozen=True)
class GroupWords(OfGroup):
    """A group's (or the held-back groups') top words with counts."""

    answers: int
    words: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupBoats(OfGroup):
    """A group's boat descriptions, without names, in a fixed (alphabetical) order."""

    boats: tuple[str, ...]


@dataclass(frozen=True)
class FeelingsTally:
    """What may be shared about the feelings: None/empty where too few answered."""

    answers: int
    counts: tuple[tuple[str, int], ...]
    groups: tuple[GroupWords, ...]
    hidden: tuple[str, ...]
    boats: tuple[GroupBoats, ...]
    # the collection is still open: only `answers` (how many answered) is filled in
    open: bool = False

    @property
    def shareable(self) -> bool:
        """Whether enough people answered for anything to be shown."""
        return self.answers >= MIN_GROUP and bool(self.counts)

    def top(self, n: int = TOP_WORDS) -> tuple[tuple[str, int], ...]:
        """The n most common words."""
        return self.counts[:n]


def open_tally(answers: int) -> FeelingsTally:
    """While the collection is open: how many answered, nothing of what they wrote (texts
    diffed between two views would be attributable to whoever answered in between)."""
    return FeelingsTally(answers=answers, counts=(), groups=(), hidden=(), boats=(), open=True)


def open_themes(people: int) -> EvaluationThemes:
    """While the collection is open: how many answered, no theme or text."""
    return EvaluationThemes(people=people, groups=(), hidden=(), open=True)


def count_words(words: Iterable[Iterable[str]]) -> tuple[tuple[str, int], ...]:
    """Counts of each word over the answers, most common first, ties alphabetical."""
    counter: Counter[str] = Counter()
    for answer in words:
        counter.update(set(answer))
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def tally(answers: Sequence[FeelingAnswer]) -> FeelingsTally:
    """The shareable summary of everyone's feelings: totals, safe groups, boats by group."""
    if len(answers) < MIN_GROUP:
        return FeelingsTally(answers=len(answers), counts=(), groups=(), hidden=(), boats=())
    by_group: dict[str, list[FeelingAnswer]] = {}
    for answer in answers:
        by_group.setdefault(answer.group, []).append(answer)
    shown, hidden = safe_groups({g: len(a) for g, a in by_group.items()})
    groups = [
        GroupWords(g, len(by_group[g]), count_words(a.words for a in by_group[g])[:TOP_GROUP_WORDS])
        for g in shown
    ]
    if shown and hidden:
        rest = [a for g in hidden for a in by_group[g]]
        groups.append(
            GroupWords(
                ReportingGroup.OTHER,
                len(rest),
                count_words(a.words for a in rest)[:TOP_GROUP_WORDS],
            )
        )
    return FeelingsTally(
        answers=len(answers),
        counts=count_words(a.words for a in answers),
        groups=tuple(groups),
        hidden=hidden,
        boats=_boats(answers),
    )


def _boats(answers: Sequence[FeelingAnswer]) -> tuple[GroupBoats, ...]:
    """Boats per group where at least MIN_GROUP of the group described one; the rest
    together (they are then MIN_GROUP or more); nothing when fewer described one."""
    with_boat: dict[str, list[str]] = {}
    for answer in answers:
        if answer.boat.strip():
            with_boat.setdefault(answer.group, []).append(answer.boat.strip())
    shown, hidden = safe_groups({g: len(b) for g, b in with_boat.items()})
    result = [GroupBoats(g, tuple(sorted(with_boat[g], key=str.lower))) for g in shown]
    rest = [b for g in hidden for b in with_boat[g]]
    if rest and sum(len(b) for b in with_boat.values()) >= MIN_GROUP:
        label = ReportingGroup.OTHER if shown else "all"
        result.append(GroupBoats(label, tuple(sorted(rest, key=str.lower))))
    return tuple(result)


def cloud_png(counts: Sequence[tuple[str, int]], *, width: int = 800, height: int = 400) -> bytes:
    """A word cloud PNG of the counts (the same counts always give the same image)."""
    from wordcloud import WordCloud  # type: ignore[import-untyped]

    cloud = WordCloud(
        width=width,
        height=height,
        background_color="white",
        random_state=7,
        prefer_horizontal=0.9,
        collocations=False,
        max_words=100,
    )
    cloud.generate_from_frequencies(dict(counts))
    buffer = io.BytesIO()
    cloud.to_image().save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- evaluation


_QUESTION = TypedText(MAX_QUESTION, "the question", "Write the question, or put the original back.")


def check_questions(questions: Mapping[str, str]) -> dict[str, str]:
    """Field errors for reworded evaluation questions, keyed by question key."""
    return _QUESTION.problems({key: questions.get(key) or "" for key in QUESTION_KEYS})


def questions_from_json(data: Mapping[str, object] | None) -> dict[str, str]:
    """Stored questions, with the defaults for any missing."""
    stored = data or {}
    return {key: str(stored.get(key) or DEFAULT_QUESTIONS[key]).strip() for key in QUESTION_KEYS}


def check_evaluation(answers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(clean answers, field errors): every answer optional, at least one needed."""
    clean = {k: (answers.get(k) or "").strip() for k in QUESTION_KEYS}
    errors = TypedText(MAX_ANSWER).problems(clean)
    if not errors and not any(clean.values()):
        errors[QUESTION_KEYS[0]] = "Answer at least one question (any of them)."
    return clean, errors


@dataclass(frozen=True)
class EvaluationAnswer:
    """One person's evaluation as a collation sees it: their group and answers by key."""

    group: str
    answers: Mapping[str, str]


@dataclass(frozen=True)
class QuestionTheme:
    """One question in one group: how many answered, their words that recur, the texts."""

    key: str
    question: str
    answered: int
    common: tuple[tuple[str, int], ...]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class GroupThemes(OfGroup):
    """A group's (or the held-back groups') evaluation themes."""

    people: int
    questions: tuple[QuestionTheme, ...]

    @property
    def label(self) -> str:
        """The group's name ("Everyone" when only everyone together could be shown)."""
        return "Everyone" if self.group == "all" else super().label


@dataclass(frozen=True)
class EvaluationThemes:
    """The evaluation collated by group, only where safe; `people` answered in total."""

    people: int
    groups: tuple[GroupThemes, ...]
    hidden: tuple[str, ...]
    # the collection is still open: only `people` (how many answered) is filled in
    open: bool = False


def common_words(texts: Iterable[str], *, top: int = 5) -> tuple[tuple[str, int], ...]:
    """Words said by at least two of the answers, most common first."""
    per_text = [{w for w in (normalise_word(t) for t in split_words(text)) if w} for text in texts]
    return tuple((w, n) for w, n in count_words(per_text) if n >= 2)[:top]


def collate_evaluation(
    answers: Sequence[EvaluationAnswer], questions: Mapping[str, str]
) -> EvaluationThemes:
    """Themes per group (groups of at least MIN_GROUP people; the rest together, or only
    everyone together when that is the one safe way); the texts sorted, never attributed."""
    if len(answers) < MIN_GROUP:
        return EvaluationThemes(people=len(answers), groups=(), hidden=())
    by_group: dict[str, list[EvaluationAnswer]] = {}
    for answer in answers:
        by_group.setdefault(answer.group, []).append(answer)
    shown, hidden = safe_groups({g: len(a) for g, a in by_group.items()})
    buckets = [(g, by_group[g]) for g in shown]
    rest = [a for g in hidden for a in by_group[g]]
    if rest:
        buckets.append((ReportingGroup.OTHER if shown else "all", rest))
    groups = []
    for group, items in buckets:
        themes = []
        for key in QUESTION_KEYS:
            texts = sorted((a.answers.get(key) or "").strip() for a in items)
            texts = [t for t in texts if t]
            themes.append(
                QuestionTheme(
                    key=key,
                    question=questions.get(key, DEFAULT_QUESTIONS[key]),
                    answered=len(texts),
                    common=common_words(texts),
                    texts=tuple(texts),
                )
            )
        groups.append(GroupThemes(group=group, people=len(items), questions=tuple(themes)))
    return EvaluationThemes(people=len(answers), groups=tuple(groups), hidden=hidden)


# ---------------------------------------------------------------- the plan


def check_deadline(deadline: date, today: date) -> str | None:
    """Why the collection deadline can't be taken, or None."""
    if deadline <= today:
        return "Pick a day after today, so people have time to answer."
    if deadline - today > MAX_COLLECTION:
        return f"Keep the collection to {MAX_COLLECTION.days} days or fewer."
    return None


def parse_weeks(text: str) -> int | str:
    """Follow-up weeks typed in the modal, or the message to show."""
    typed = text.strip() or str(DEFAULT_FOLLOW_UP_WEEKS)
    if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= MAX_FOLLOW_UP_WEEKS:
        return f"Pick a number of weeks from 1 to {MAX_FOLLOW_UP_WEEKS} (the default is 4)."
    return int(typed)
