"""Plain English in every message a participant can receive (the case study asks for no
jargon): Flesch reading ease of at least 60 per message, every sentence under 25 words,
and none of the jargon in cobot/domain/wording.py (extended with COBOT_EXTRA_JARGON).

How the messages are found, so that later features are covered without being listed:
the test walks every public builder in cobot/slack/blocks, as the escaping test does
(tests/unit/slack/test_escaping.py: arguments made from type hints, one call per member
of a union, so each delivery kind a renderer such as `debrief_message` or
`ending_message` sends is its own case, filled and sparse). That covers every delivery
renderer registered in the runtime (they all render through these builders), every
ephemeral reply, Home and modal. Each is checked unless it is listed below as seen only
by coordinators, practitioners or wellbeing contacts, with the reason: a new builder is
checked by default, and leaving it out is a decision someone writes down here.

Refusals, inline form errors and replies are also written outside the builders (an
AccessError's message, a listener's `errors[...]`, a domain rule returning what is wrong):
a second walk reads cobot's source (ast) for the strings given to those calls and
assignments that read as sentences, and checks each the same way. Those can reach anyone,
so none is left out.

What a message says is every text object in it (mrkdwn and plain_text: sections,
context, buttons, options, labels, hints, titles) and its notification text. What people
typed is filled with a plain word, Slack's tokens (dates, mentions, links) become the
words Slack shows, and emoji codes and formatting are dropped. Each text object and line
counts as its own sentence, so a button label never runs into the next sentence.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textstat

from cobot.domain.wording import EXTRA_JARGON_ENV
from cobot.domain.wording import jargon
from cobot.domain.wording import jargon_in
from cobot.services.ports import OutgoingMessage
from tests.unit.slack.test_escaping import BUILDERS
from tests.unit.slack.test_escaping import HOSTILE
from tests.unit.slack.test_escaping import Builder

MIN_READING_EASE = 60
MAX_SENTENCE_WORDS = 24  # "under 25 words"
# Flesch's formula needs some text to mean anything: a two-word button row or a modal
# title alone scores anywhere from -50 to 120. Shorter messages are still checked for
# sentence length and jargon.
MIN_WORDS_FOR_EASE = 20
FILLER = "tea"  # what people typed, in the messages checked

# builders (and delivery kinds of the renderers that send several) participants never
# see: to coordinators, to practitioners (debriefs and their channel), to wellbeing
# contacts, or building blocks that are not messages
NOT_FOR_PARTICIPANTS = {
    # form builders: pieces of the modals checked below, not messages
    "forms.checkboxes", "forms.datepicker", "forms.grouped_select", "forms.input_block",
    "forms.modal", "forms.number_input", "forms.select", "forms.select_element",
    "forms.text_element", "forms.text_input", "forms.timepicker",
    # check-ins: the coordinator's set-up and totals; the contact's request
    "checkins.contact_message", "checkins.contacts_text", "checkins.figures_lines",
    "checkins.setup_modal", "checkins.setup_saved_text", "checkins.summary_blocks",
    "checkins.summary_text",
    # debriefs: practitioners' prompts, summaries, actions and their channel
    "debriefs.action_done_text", "debriefs.action_reminder_message",
    "debriefs.actions_blocks", "debriefs.actions_text", "debriefs.channel_text",
    "debriefs.collated_blocks", "debriefs.completion_blocks", "debriefs.completion_text",
    "debriefs.debrief_modal", "debriefs.dev_note_message", "debriefs.feedback_digest_message",
    "debriefs.prompt_message", "debriefs.questions_modal", "debriefs.reflective_error_text",
    "debriefs.reflective_message", "debriefs.saved_text", "debriefs.spread_text",
    "debriefs.summary_message",
    "debriefs.debrief_message:PromptNote", "debriefs.debrief_message:SummaryNote",
    "debriefs.debrief_message:DevNoteNote", "debriefs.debrief_message:ActionReminderNote",
    "debriefs.debrief_message:FeedbackDigestNote", "debriefs.debrief_message:ReflectiveNote",
    # endings: the coordinator starts, closes and edits the questions
    "endings.close_confirm_blocks", "endings.closed_text", "endings.project_closed_text",
    "endings.questions_modal", "endings.start_modal", "endings.started_text",
    # home: the coordinator's part and timeline
    "home.agreement_modal", "home.coordinator_blocks", "home.retried_text",
    "home.timeline_comment", "home.timeline_title",
    # projects: the coordinator's set-up, people and onboarding
    "projects.agreement_modal", "projects.created_blocks", "projects.created_text",
    "projects.onboarding_blocks", "projects.onboarding_modal", "projects.onboarding_text",
    "projects.people_change_text", "projects.project_blocks", "projects.project_modal",
    "projects.removal_text", "projects.settings_modal", "projects.timezone_groups",
    # reminders: the facilitators' agenda and notes forms and their replies
    "reminders.agenda_modal", "reminders.done_text", "reminders.notes_modal",
    "reminders.shared_text",
    # sessions: the coordinator's forms and replies
    "sessions.add_modal", "sessions.cancelled_text", "sessions.edit_modal",
    "sessions.move_modal", "sessions.not_saved_modal", "sessions.one_liner_error_text",
    "sessions.saved_modal", "sessions.saved_summary", "sessions.saved_text",
    "sessions.saving_modal", "sessions.session_actions",
}  # fmt: skip

# a participant's Home: the coordinator's panels are empty (they coordinate nothing)
PARTICIPANT_HOME = {("HomeView", "coordinating"), ("HomeView", "other_coordinated")}

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_MENTION = re.compile(r"<[@!][^>]*>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<([^>|]+)(?:\|([^>]*))?>")
_URL = re.compile(r"https?://\S+")
_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


class PlainBuilder(Builder):
    """The escaping test's arguments, with a plain word where people type text."""

    def value(self, hint: Any, *, name: str = "", owner: str = "") -> Any:
        if (owner, name) in PARTICIPANT_HOME:
            return ()
        made = super().value(hint, name=name, owner=owner)
        return FILLER if made == HOSTILE else made


def cases() -> Iterator[tuple[str, Callable[..., Any], dict[str, Any]]]:
    """Every (message name, builder, arguments) a participant can receive."""
    for name, fn in BUILDERS:
        if name in NOT_FOR_PARTICIPANTS:
            continue
        for full in (True, False):
            calls = list(PlainBuilder(full=full).calls(fn))
            for kwargs in calls:
                # a renderer of several delivery kinds: each kind is its own case
                kinds = [type(v).__name__ for v in kwargs.values() if dataclasses.is_dataclass(v)]
                variant = f"{name}:{kinds[0]}" if len(calls) > 1 and kinds else name
                if variant in NOT_FOR_PARTICIPANTS:
                    continue
                yield f"{variant}[{'filled' if full else 'sparse'}]", fn, kwargs


CASES = list(cases())


def texts(value: Any) -> Iterator[str]:
    """Every text a person reads in a message, modal, Home or reply."""
    if isinstance(value, OutgoingMessage):
        yield value.text
        for f in value.files:
            yield f.title
        yield from texts(value.blocks)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield value["text"]
            return
        # in Block Kit, what is read is in text objects; other strings are codes
        for item in value.values():
            if isinstance(item, dict | list):
                yield from texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts(item)


def readable(text: str) -> str:
    """What Slack shows of mrkdwn, as words."""
    text = text.replace(HOSTILE, FILLER)
    # a date reads as one word ("Thursday"), not the seven short ones Slack shows
    text = _DATE.sub("Thursday", text)
    text = _MENTION.sub("Pat", text)
    text = _CHANNEL.sub(lambda m: m.group(1) or "the channel", text)
    text = _LINK.sub(lambda m: m.group(2) or "the link", text)
    text = _URL.sub("the link", text)
    text = _EMOJI.sub(" ", text)
    for mark in ("&lt;", "&gt;", "&amp;", "*", "_", "~", "`", "•", "·", "…", "“", "”"):
        text = text.replace(mark, " ")
    return text


def sentences(value: Any) -> list[str]:
    """Each text object, line and sentence of a message, ending in a full stop."""
    found = []
    for text in texts(value):
        for line in readable(text).splitlines():
            for part in re.split(r"(?<=[.!?])\s+", line):
                words = _WORD.findall(part)
                if words:
                    found.append(" ".join(words) + ".")
    return found


def jargon_words() -> frozenset[str]:
    return jargon(os.environ.get(EXTRA_JARGON_ENV, ""))


def test_the_walk_finds_what_participants_receive() -> None:
    names = {name.split("[")[0] for name, _fn, _kw in CASES}
    for expected in (
        "checkins.checkin_message",
        "reminders.reminder_message",
        "sessions.announcement_message",
        "debriefs.debrief_message:FeedbackAskNote",
        "endings.ending_message:InviteNote",
        "endings.ending_message:FollowUpNote",
        "home.home_view",
        "help.help_blocks",
    ):
        assert expected in names
    # and every name left out is still a builder (no stale exclusions)
    builders = {name for name, _fn in BUILDERS}
    assert {n.split(":")[0] for n in NOT_FOR_PARTICIPANTS} <= builders


@pytest.mark.parametrize(("name", "fn", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_every_participant_message_is_plain_english(
    name: str, fn: Callable[..., Any], kwargs: dict[str, Any]
) -> None:
    said = sentences(fn(**kwargs))
    long = [s for s in said if len(_WORD.findall(s)) > MAX_SENTENCE_WORDS]
    assert long == [], f"{name}: sentences of 25 words or more"
    whole = " ".join(said)
    assert jargon_in(whole, jargon_words()) == [], f"{name}: jargon in {whole!r}"
    # only cobot's own words are measured: the filler stands for what people wrote
    whole = re.sub(rf"\b{FILLER}\b\.?", "", whole)
    if len(_WORD.findall(whole)) >= MIN_WORDS_FOR_EASE:
        ease = textstat.flesch_reading_ease(whole)
        assert ease >= MIN_READING_EASE, f"{name}: reading ease {ease} in {whole!r}"


def test_a_project_can_add_its_own_jargon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXTRA_JARGON_ENV, "Lived Experience Panel, co-design ")
    words = jargon_words()
    assert {"lived experience panel", "co-design", "stakeholder"} <= words
    assert jargon_in("Our lived experience panel meets", words) == ["lived experience panel"]
    # whole words only: "co-production" is not "production", "facilitators" is fine
    assert jargon_in("co-production with our facilitators", words) == []
    assert jargon_in("We facilitate; stakeholders", words) == ["facilitate", "stakeholders"]


def test_the_measure_catches_what_it_should() -> None:
    """The test's own yardsticks fail on text that is not plain."""
    dense = (
        "Stakeholder engagement necessitates comprehensive multidisciplinary "
        "collaboration, facilitating organisational transformation across "
        "interconnected institutional infrastructures."
    )
    assert textstat.flesch_reading_ease(dense) < MIN_READING_EASE
    assert jargon_in(dense, jargon_words()) != []
    plain = "Thank you for coming. The notes from the first workshop are on their way."
    assert textstat.flesch_reading_ease(plain) >= MIN_READING_EASE
    long = " ".join(["word"] * 25) + "."
    assert [s for s in sentences(long) if len(_WORD.findall(s)) > MAX_SENTENCE_WORDS]
    token = "<!date^1800000000^{date_short}|Fri 15 Jan 2027> with <@U1> at <https://x|the venue>"
    assert readable(token) == "Thursday with Pat at the venue"


# -- what the code says outside the builders: refusals, inline form errors, replies ------

# where cobot writes sentences people read outside cobot/slack/blocks
SPOKEN_IN = ("cobot/domain", "cobot/services", "cobot/slack/listeners", "cobot/slack")
# calls whose string arguments (and dict values) are shown: refusals and form errors
# (every AccessError subclass is answered to the person as it is), listener answers
SHOWN_CALLS = re.compile(
    r"(Error|Rejected|Closed|Fields|Settings|Coordinator|Here|Allowed|Text|Debriefer)$"
    r"|^(Answer|tell|replace|refuse|ephemeral|say|respond)$"
    # refusals declared once and raised for many use cases (their `{title}` filled in)
    r"|^scheduled_session$"
)
# a sentence, not a code: three words or more, ending as a sentence does
_SENTENCE = re.compile(r"\A\W*\w+\W+\w+\W+\w+.*[.!?)]\W*\Z", re.S)


def _said(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.sub(r"\{\w+\}", FILLER, node.value)  # a template's "{title}" is a name
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else FILLER for v in node.values)
    return None


def _strings_in(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        text = _said(child)
        if text is not None:
            yield text


def spoken() -> list[tuple[str, str]]:
    """(where, sentence) for each refusal, form error and reply written in code."""
    root = Path(__file__).resolve().parents[2]
    found: list[tuple[str, str]] = []
    files = sorted({p for folder in SPOKEN_IN for p in (root / folder).glob("*.py")})
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            texts_here: list[str] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "partial" and node.args:  # partial(f, ...) says what f says
                    first = node.args[0]
                    name = (
                        first.attr if isinstance(first, ast.Attribute) else getattr(first, "id", "")
                    )
                if SHOWN_CALLS.search(name):
                    for arg in [*node.args, *(k.value for k in node.keywords)]:
                        texts_here.extend(_strings_in(arg))
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript)
                and isinstance(t.value, ast.Name)
                and t.value.id == "errors"
                for t in node.targets
            ):
                texts_here.extend(_strings_in(node.value))
            elif isinstance(node, ast.Return) and node.value is not None and "domain" in path.parts:
                # domain rules return what is wrong as a sentence (parse_time, parse_weeks)
                texts_here.extend(_strings_in(node.value))
            for text in texts_here:
                if _SENTENCE.match(text.strip()):
                    where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
                    found.append((where, text))
    return found


SPOKEN = spoken()


def test_the_walk_finds_the_refusals_written_in_code() -> None:
    said = " ".join(text for _where, text in SPOKEN)
    assert len(SPOKEN) > 40
    assert "Pick a time between" in said  # a domain rule's answer
    assert "Pick the day you are back." in said  # a listener's inline form error


@pytest.mark.parametrize(("where", "text"), SPOKEN, ids=[w for w, _t in SPOKEN])
def test_every_refusal_and_reply_in_code_is_plain_english(where: str, text: str) -> None:
    said = sentences(text)
    long = [s for s in said if len(_WORD.findall(s)) > MAX_SENTENCE_WORDS]
    assert long == [], f"{where}: sentences of 25 words or more"
    whole = " ".join(said)
    assert jargon_in(whole, jargon_words()) == [], f"{where}: jargon in {whole!r}"
    whole = re.sub(rf"\b{FILLER}\b\.?", "", whole)
    if len(_WORD.findall(whole)) >= MIN_WORDS_FOR_EASE:
        ease = textstat.flesch_reading_ease(whole)
        assert ease >= MIN_READING_EASE, f"{where}: reading ease {ease} in {whole!r}"
