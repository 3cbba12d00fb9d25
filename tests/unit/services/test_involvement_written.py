"""A question, answer or query about pay is measured as it is kept: trimmed."""

from __future__ import annotations

import pytest

from cobot.services.access import InvalidFields
from cobot.services.involvement import MAX_QUERY
from cobot.services.involvement import _written


def test_spaces_round_a_full_length_query_do_not_count() -> None:
    _written("query", "  " + "x" * MAX_QUERY + "\n", "Say what looks wrong.")


def test_a_query_too_long_once_trimmed_is_refused_under_its_block() -> None:
    with pytest.raises(InvalidFields) as refused:
        _written("query", "x" * (MAX_QUERY + 1), "Say what looks wrong.")
    assert refused.value.errors == {"query": f"Keep it under {MAX_QUERY} characters."}


def test_a_blank_answer_is_asked_for() -> None:
    with pytest.raises(InvalidFields) as refused:
        _written("answer", "   ", "Write your answer.")
    assert refused.value.errors == {"answer": "Write your answer."}
