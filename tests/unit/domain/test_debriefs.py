"""The pure rules of debriefs and participant feedback."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.domain.debriefs import DEFAULT_QUESTIONS
from cobot.domain.debriefs import MIN_GROUP
from cobot.domain.debriefs import CleanDebrief
from cobot.domain.debriefs import DebriefInput
from cobot.domain.debriefs import FeedbackInput
from cobot.domain.debriefs import check_debrief
from cobot.domain.debriefs import check_feedback
from cobot.domain.debriefs import check_questions
from cobot.domain.debriefs import nudge_times
from cobot.domain.debriefs import parse_channel
from cobot.domain.debriefs import questions_from_json
from cobot.domain.debriefs import spread

END = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def check(data: DebriefInput) -> tuple[CleanDebrief | None, dict[str, str]]:
    return check_debrief(
        data,
        author="UF1",
        addressees=["UF1", "UF2", "UTEAM"],
        members=["UF1", "UF2", "UTEAM", "UP1"],
    )


def test_a_debrief_needs_something_and_names_whoever_feedback_and_actions_are_for() -> None:
    assert set(check(DebriefInput())[1]) == {"went_well"}
    assert check(DebriefInput(feeling=3))[0] is not None  # a feeling alone is an answer
    _, errors = check(DebriefInput(dev=(("UP1", "x"), (None, "y"), ("UF1", "z"))))
    assert set(errors) == {"dev_to_1", "dev_to_2", "dev_to_3"}
    _, errors = check(DebriefInput(actions=(("UX", "a"), ("UP1", ""), (None, ""))))
    assert set(errors) == {"action_owner_1", "action_text_2"}
    clean, errors = check(
        DebriefInput(went_well=" ok ", dev=(("UF2", " good "),), actions=(("UP1", "print"),))
    )
    assert errors == {} and clean is not None
    assert (
        clean.went_well == "ok" and clean.dev[0].text == "good" and clean.actions[0].owner == "UP1"
    )
    assert "2000" in check(DebriefInput(change="x" * 2001))[1]["change"]


def test_feedback_is_optional_but_not_empty() -> None:
    assert "heard" in check_feedback(FeedbackInput())
    assert check_feedback(FeedbackInput(keep="the tea")) == {}
    assert "heard" in check_feedback(FeedbackInput(heard=9))


def test_the_spread_is_shown_only_from_three_answers() -> None:
    assert MIN_GROUP == 3
    assert spread([5, 4]).counts is None and spread([5, 4]).answered == 2
    assert spread([5, 5, 3]).counts == (0, 0, 1, 0, 2)
    assert spread([5, 5, 0]).counts is None  # out-of-range answers do not count


def test_nudges_come_soon_after_and_before_the_deadline() -> None:
    assert nudge_times(END, timedelta(days=1)) == [
        END + timedelta(hours=2),
        END + timedelta(hours=21),
    ]
    assert nudge_times(END, timedelta(seconds=9)) == [
        END + timedelta(seconds=3),
        END + timedelta(seconds=6.75),
    ]
    assert nudge_times(END, timedelta(0)) == []


def test_channels_arrive_escaped_or_bare() -> None:
    assert parse_channel("<#C0PRACT|practitioners>") == "C0PRACT"
    assert parse_channel("<#G0PRIVATE>") == "G0PRIVATE"
    assert parse_channel("C0PRACT12") == "C0PRACT12"
    assert parse_channel("#general") is None and parse_channel("<@U123>") is None


def test_questions_fall_back_to_the_defaults() -> None:
    assert questions_from_json(None) == DEFAULT_QUESTIONS
    assert questions_from_json({"voices": "  Who spoke least? "})["voices"] == "Who spoke least?"
    assert questions_from_json({"voices": ""})["voices"] == DEFAULT_QUESTIONS["voices"]
    assert set(check_questions({**DEFAULT_QUESTIONS, "change": " "})) == {"change"}
