"""Property: no two figures a viewer can obtain differ by fewer than 3 people besides them,
before or after any single new answer or erasure; and the month partition and its parsing."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from itertools import combinations
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from cobot.domain import checkins as rules
from cobot.domain.disclosure import MIN_OTHERS
from cobot.domain.disclosure import Period
from cobot.domain.disclosure import closed_periods
from cobot.domain.disclosure import disclose
from cobot.domain.disclosure import parse_period

PEOPLE = [f"U{i}" for i in range(9)]
GROUPS = ["participant", "practitioner", "steering"]
MONTHS = 3

answer = st.tuples(
    st.sampled_from(PEOPLE),
    st.sampled_from(GROUPS),
    st.integers(1, 5),
    st.integers(0, MONTHS - 1),
)
histories = st.lists(answer, max_size=30)
viewers = st.sampled_from([*PEOPLE, "UOUTSIDE"])


def figures_of(history: list[tuple[str, str, int, int]], month: int) -> list[frozenset[int]]:
    """Every figure a viewer can read or derive for one month, as the set of answers (by
    index) behind it: the total, each shown group, and the remainder total minus groups."""
    rows = [(i, h) for i, h in enumerate(history) if h[3] == month]
    agg = rules.aggregate([rules.Answered(p, g, m) for _i, (p, g, m, _mo) in rows])
    if agg.total is None:
        assert agg.groups == () and agg.hidden == ()
        return []
    group_of = {p: g for _i, (p, g, _m, _mo) in rows}
    total = frozenset(i for i, _h in rows)
    shown = [
        frozenset(i for i, (p, _g, _m, _mo) in rows if group_of[p] == f.group) for f in agg.groups
    ]
    rest = total - frozenset().union(*shown) if shown else frozenset()
    return [total, *shown, *([rest] if rest else [])]


def people(history: list[tuple[str, str, int, int]], answers: frozenset[int]) -> set[str]:
    return {history[i][0] for i in answers}


def check(
    history: list[tuple[str, str, int, int]],
    published: dict[int, list[frozenset[int]]],
    viewer: str,
) -> None:
    every = [f for figs in published.values() for f in figs]
    for figure in every:
        assert len(people(history, figure) - {viewer}) >= MIN_OTHERS
    for a, b in combinations(every, 2):
        if a < b or b < a:
            small, big = sorted((a, b), key=len)
            assert len(people(history, big - small) - {viewer}) >= MIN_OTHERS


@settings(max_examples=300, deadline=None)
@given(histories, answer, viewers, st.integers(0, 29))
def test_no_two_obtainable_figures_differ_by_fewer_than_three_others(
    history: list[tuple[str, str, int, int]],
    extra: tuple[str, str, int, int],
    viewer: str,
    erased: int,
) -> None:
    # months 0 and 1 have closed and were published from the history as it was then;
    # month 2 is open and shows nothing
    published = {m: figures_of(history, m) for m in range(MONTHS - 1)}
    check(history, published, viewer)
    # one new answer (in any month) and one erasure later: published months are not
    # recomputed, so every view is what it was; had they been, they would still be safe
    after = [*history, extra]
    assert {m: figures_of(history, m) for m in range(MONTHS - 1)} == published
    check(after, {m: figures_of(after, m) for m in range(MONTHS)}, viewer)
    if history:
        gone = history[erased % len(history)][0]
        kept = [h for h in history if h[0] != gone]
        check(kept, {m: figures_of(kept, m) for m in range(MONTHS)}, viewer)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(GROUPS + ["oversight"]), st.integers(0, 9)))
def test_the_remainder_is_empty_or_large_enough(people_by_group: dict[str, int]) -> None:
    decided = disclose(people_by_group)
    total = sum(people_by_group.values())
    if not decided.total:
        assert total < MIN_OTHERS + 1 and decided.shown == ()
        return
    assert all(people_by_group[g] >= MIN_OTHERS + 1 for g in decided.shown)
    rest = total - sum(people_by_group[g] for g in decided.shown)
    assert rest == 0 or rest >= MIN_OTHERS + 1


def test_months_close_at_local_midnight_and_never_overlap() -> None:
    london = ZoneInfo("Europe/London")
    # BST: April begins at 23:00 UTC on 31 March
    assert Period(2026, 3).ends(london) == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    assert Period(2026, 12).next() == Period(2027, 1)
    found = closed_periods(date(2026, 11, 15), datetime(2027, 2, 3, tzinfo=UTC), london)
    assert [p.key for p in found] == ["2026-11", "2026-12", "2027-01"]
    assert closed_periods(date(2026, 11, 15), datetime(2026, 11, 30, tzinfo=UTC), london) == ()


def test_a_typed_month_names_a_closed_one_or_says_why_not() -> None:
    closed = [Period(2025, 11), Period(2026, 10), Period(2026, 11)]
    current = Period(2026, 12)
    assert parse_period("november", closed=closed, current=current) == Period(2026, 11)
    assert parse_period("Nov 2025", closed=closed, current=current) == Period(2025, 11)
    assert parse_period("2026-10", closed=closed, current=current) == Period(2026, 10)
    assert "has not ended" in str(parse_period("december 2026", closed=closed, current=current))
    assert "no figures for June" in str(parse_period("june", closed=closed, current=current))
    for bad in ("4", "52", "", "ma", "2026-13", "nov twenty", "a b c", "\u00b9\u00b2"):
        assert "Name a month" in str(parse_period(bad, closed=closed, current=current)), bad
