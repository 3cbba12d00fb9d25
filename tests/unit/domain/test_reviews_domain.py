"""The review's and the perspectives' pure rules: outcomes, links, deadlines, what counts show."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest

from cobot.domain import perspectives as voices
from cobot.domain import reviews as rules
from cobot.domain.perspectives import Perspective
from cobot.domain.reviews import Choice
from cobot.domain.reviews import Outcome


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([], Outcome.NO_ANSWERS),
        ([Choice.APPROVE, Choice.APPROVE], Outcome.APPROVED),
        ([Choice.APPROVE, Choice.CHANGES], Outcome.APPROVED_WITH_CHANGES),
        # one "not yet" is never outvoted
        ([Choice.APPROVE] * 9 + [Choice.NOT_YET], Outcome.NOT_YET),
    ],
)
def test_the_outcome_of_a_round(choices: list[Choice], expected: Outcome) -> None:
    counted = rules.tally(choices)
    assert counted.outcome is expected
    assert counted.answered == len(choices)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "docs.example.org/x",
        "javascript:alert(1)",
        "https://",
        "https://a.org/<b>",
        "ftp://x.org",
    ],
)
def test_links_that_are_not_web_links_are_refused(url: str) -> None:
    assert rules.check_url(url) is not None


def test_a_web_link_is_accepted() -> None:
    assert rules.check_url(" https://docs.example.org/draft?v=2 ") is None


def test_the_deadline_is_in_the_future_and_within_90_days() -> None:
    today = date(2026, 12, 1)
    assert rules.check_deadline(None, today)
    assert rules.check_deadline(today, today)
    assert rules.check_deadline(today + timedelta(days=91), today)
    assert rules.check_deadline(today + timedelta(days=1), today) is None


def test_the_reminder_goes_two_days_before_or_halfway_in_a_short_round() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    long = now + timedelta(days=10)
    assert rules.reminder_at(now=now, deadline=long) == long - timedelta(days=2)
    short = now + timedelta(days=2)
    assert rules.reminder_at(now=now, deadline=short) == now + timedelta(days=1)


def test_words_are_needed_for_changes_and_not_yet_only() -> None:
    assert rules.check_text(Choice.APPROVE, "") is None
    assert rules.check_text(Choice.CHANGES, "  ")
    assert rules.check_text(Choice.NOT_YET, "")
    assert rules.check_text(Choice.CHANGES, "x" * 3001)


def test_the_words_limit_counts_what_is_kept_not_the_edges() -> None:
    # the service stores the answer trimmed, so spaces round it never count against the limit
    padded = "  " + "x" * rules.MAX_TEXT + "\n "
    assert rules.check_text(Choice.CHANGES, padded) is None
    assert rules.check_text(Choice.CHANGES, "x" * (rules.MAX_TEXT + 1)) == (
        "Keep it under 3000 characters."
    )


def words(counts: dict[Perspective, int], members: int) -> dict[Perspective, str]:
    return {s.perspective: s.words for s in voices.mix(counts, members)}


def test_counts_show_as_numbers_only_with_three_on_each_side() -> None:
    shown = words({Perspective.LIVED_EXPERIENCE: 2, Perspective.CLINICIAN: 3}, 10)
    assert shown[Perspective.LIVED_EXPERIENCE] == "fewer than 3"
    assert shown[Perspective.CLINICIAN] == "3"
    assert shown[Perspective.COMMISSIONER] == "none declared"
    # all but two (or everyone) declared it: a number would say it of nearly every member
    assert words({Perspective.CLINICIAN: 8}, 10)[Perspective.CLINICIAN] == "3 or more"
    assert words({Perspective.CLINICIAN: 7}, 10)[Perspective.CLINICIAN] == "7"
    assert words({Perspective.CLINICIAN: 4}, 4)[Perspective.CLINICIAN] == "3 or more"


def test_missing_essential_perspectives_and_forged_values() -> None:
    assert voices.missing([Perspective.CARER]) == (
        Perspective.LIVED_EXPERIENCE,
        Perspective.CLINICIAN,
    )
    assert voices.missing([Perspective.LIVED_EXPERIENCE, Perspective.CLINICIAN]) == ()
    assert voices.parse(["clinician", "admin", ""]) == frozenset({Perspective.CLINICIAN})
