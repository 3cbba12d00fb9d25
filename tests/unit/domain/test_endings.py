"""Feeling words, safe groups, tallies, boats, evaluation themes and the word cloud."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cobot.domain import endings as rules
from cobot.domain.endings import EvaluationAnswer
from cobot.domain.endings import FeelingAnswer
from cobot.domain.endings import WordsError
from cobot.domain.endings import normalise_word
from cobot.domain.endings import parse_feelings
from cobot.domain.endings import safe_groups
from cobot.domain.endings import tally


@pytest.mark.parametrize(
    ("typed", "counted"),
    [
        ("Grateful!", "grateful"),
        ("greatful", "grateful"),
        ("GRATEFULL", "grateful"),
        ("“Humble”", "humble"),
        ("hopes", "hope"),
        ("memories", "memory"),
        ("honored", "honoured"),
        ("energized", "energised"),
        ("well-being", "wellbeing"),
        ("nervous", "nervous"),
        ("anxious", "anxious"),
        ("thanks", "thanks"),
        ("Proud.", "proud"),
        ("inspired,", "inspired"),
        ("it's", None),
        ("very", None),
        ("the", None),
        ("...", None),
        ("42", None),
    ],
)
def test_words_are_normalised(typed: str, counted: str | None) -> None:
    assert normalise_word(typed) == counted


def test_only_true_variants_are_merged() -> None:
    # different words that look alike are different feelings
    assert normalise_word("hopeful") != normalise_word("hope")
    assert normalise_word("humbled") != normalise_word("humble")
    assert normalise_word("inspiring") != normalise_word("inspired")
    assert normalise_word("proud") != normalise_word("pride")


def test_up_to_three_words_are_kept_once_each() -> None:
    assert parse_feelings("Grateful, greatful and proud") == ("grateful", "proud")
    assert parse_feelings("humble / valued / inspired") == ("humble", "valued", "inspired")
    assert parse_feelings("  tired  ") == ("tired",)
    assert parse_feelings("a bit tired but very proud") == ("tired", "proud")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("grateful proud tired happy", "4 words"),
        ("", "one to three"),
        ("   ", "one to three"),
        ("very very", "common words"),
    ],
)
def test_unusable_words_are_refused_with_a_reason(typed: str, message: str) -> None:
    with pytest.raises(WordsError, match=message):
        parse_feelings(typed)


def test_a_group_under_four_is_held_back_with_enough_others_to_hide_it() -> None:
    shown, hidden = safe_groups(
        {"project_team": 4, "oversight": 3, "practitioners": 5, "participants": 6}
    )
    # oversight alone (3) could be worked out from the total: the smallest shown group joins it
    assert shown == ("practitioners", "participants")
    assert hidden == ("project_team", "oversight")


def test_groups_of_four_or_more_with_a_safe_remainder_are_all_shown() -> None:
    shown, hidden = safe_groups({"project_team": 4, "oversight": 4, "participants": 5})
    assert shown == ("project_team", "oversight", "participants") and hidden == ()


def test_nothing_is_shown_below_four_in_total() -> None:
    # three people: a viewer who is one of them would see two others' words
    assert safe_groups({"participants": 3}) == ((), ("participants",))
    assert tally([FeelingAnswer("participants", ("sad",))] * 3).shareable is False


def test_the_tally_counts_per_person_and_hides_small_groups() -> None:
    answers = (
        [FeelingAnswer("participants", ("grateful", "valued"), "A raft, then a ship")] * 5
        + [FeelingAnswer("practitioners", ("grateful", "tired"), "A dinghy in choppy water")] * 4
        + [FeelingAnswer("oversight", ("proud",), "A warship")] * 2
        + [
            FeelingAnswer("project_team", ("inspired",), "A lifeboat"),
            FeelingAnswer("project_team", ("inspired",), "A lifeboat"),
        ]
    )
    result = tally(answers)
    assert result.answers == 13
    assert dict(result.counts) == {
        "grateful": 9,
        "valued": 5,
        "tired": 4,
        "proud": 2,
        "inspired": 2,
    }
    labels = {g.group: g.answers for g in result.groups}
    assert labels == {"practitioners": 4, "participants": 5, "other": 4}
    assert "oversight" not in labels and "project_team" not in labels
    # shown groups plus the combined rest make the total: nothing smaller can be derived
    assert sum(labels.values()) == result.answers
    boats = {b.group: b.boats for b in result.boats}
    assert boats["participants"] == ("A raft, then a ship",) * 5
    assert boats["other"] == ("A lifeboat", "A lifeboat", "A warship", "A warship")


def test_boats_of_fewer_than_three_people_are_not_shared() -> None:
    answers = [FeelingAnswer("participants", ("ok",), "")] * 3 + [
        FeelingAnswer("oversight", ("proud",), "A warship")
    ] * 2
    assert tally(answers).boats == ()


def test_the_evaluation_is_collated_by_safe_group_without_names() -> None:
    answers = [
        EvaluationAnswer(
            "participants", {"went_well": f"Being heard, time {i}", "learned": "patience"}
        )
        for i in range(3)
    ] + [EvaluationAnswer("oversight", {"went_well": "Steering was clear"})]
    themes = rules.collate_evaluation(answers, rules.DEFAULT_QUESTIONS)
    assert themes.people == 4
    # 3 participants and 1 oversight: showing participants would reveal the one by subtraction
    assert [g.group for g in themes.groups] == ["all"]
    went_well = themes.groups[0].questions[0]
    assert went_well.answered == 4 and ("heard", 3) in went_well.common
    assert "Steering was clear" in went_well.texts


def test_evaluation_needs_one_answer_and_refuses_long_ones() -> None:
    assert rules.check_evaluation({})[1] == {
        "went_well": "Answer at least one question (any of them)."
    }
    assert "learned" in rules.check_evaluation({"learned": "x" * 3000})[1]
    assert rules.check_questions({"went_well": " "})["went_well"].startswith("Write")


def test_the_word_cloud_is_a_png_and_reproducible() -> None:
    counts = (("grateful", 7), ("valued", 4), ("tired", 3))
    png = rules.cloud_png(counts, width=300, height=150)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (300, 150)
    assert rules.cloud_png(counts, width=300, height=150) == png


def test_follow_up_weeks_and_deadlines() -> None:
    from datetime import date
    from datetime import timedelta

    assert rules.parse_weeks("") == 4 and rules.parse_weeks("6") == 6
    assert isinstance(rules.parse_weeks("0"), str) and isinstance(rules.parse_weeks("x"), str)
    today = date(2026, 5, 1)
    assert rules.check_deadline(today, today) is not None
    assert rules.check_deadline(today + timedelta(days=7), today) is None
    assert rules.check_deadline(today + timedelta(days=90), today) is not None
