"""The ranking, the slot generator, the form's checks and standing-availability clashes."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from cobot.domain.polls import MAX_SLOTS
from cobot.domain.polls import Answer
from cobot.domain.polls import Audience
from cobot.domain.polls import BusyWindow
from cobot.domain.polls import Counts
from cobot.domain.polls import Generator
from cobot.domain.polls import PartOfDay
from cobot.domain.polls import PollInput
from cobot.domain.polls import PollPurpose
from cobot.domain.polls import SlotTally
from cobot.domain.polls import Standing
from cobot.domain.polls import check_poll
from cobot.domain.polls import clash
from cobot.domain.polls import count
from cobot.domain.polls import generate_slots
from cobot.domain.polls import poll_from_form
from cobot.domain.polls import rank

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def slot(
    slot_id: int,
    *,
    hours: int,
    f: tuple[int, int, int, int] = (2, 0, 0, 0),
    p: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> SlotTally:
    start = NOW + timedelta(hours=hours)
    return SlotTally(slot_id, start, start + timedelta(hours=2), Counts(*f), Counts(*p))


def test_a_workshop_slot_without_two_facilitators_able_is_never_proposed() -> None:
    slots = [
        slot(1, hours=24, f=(1, 0, 1, 0), p=(6, 0, 0, 0)),
        slot(2, hours=48, f=(1, 1, 0, 0), p=(2, 0, 4, 0)),
    ]
    ranked = rank(slots, purpose=PollPurpose.WORKSHOP, now=NOW)
    assert [r.tally.slot_id for r in ranked] == [2]
    assert "2 of 2 facilitators can come (1 only if need be)" in ranked[0].reasons
    # another kind of meeting still proposes it, after the ones with two facilitators
    other = rank(slots, purpose=PollPurpose.OVERSIGHT, now=NOW)
    assert [r.tally.slot_id for r in other] == [2, 1]
    assert other[1].reasons[0].startswith("only 1 of 2 facilitators can come")


def test_most_participants_then_fewest_if_need_be_then_earliest() -> None:
    slots = [
        slot(1, hours=10, p=(3, 0, 3, 0)),
        slot(2, hours=20, p=(4, 1, 1, 0)),  # 5 able, one if need be
        slot(3, hours=30, p=(5, 0, 1, 0)),  # 5 able, none if need be: best
        slot(4, hours=5, p=(5, 0, 1, 0)),  # same as 3 and earlier: better still
    ]
    ranked = rank(slots, purpose=PollPurpose.WORKSHOP, now=NOW)
    assert [r.tally.slot_id for r in ranked] == [4, 3, 2]
    assert "5 of 6 participants can come" in ranked[0].reasons
    assert "as good as the next, and earlier" in ranked[0].reasons
    assert "5 of 6 participants can come, 1 of them only if need be" in ranked[2].reasons


def test_slots_already_started_are_not_proposed_and_three_at_most() -> None:
    slots = [slot(n, hours=n) for n in range(-2, 8)]
    ranked = rank(slots, purpose=PollPurpose.WORKSHOP, now=NOW)
    assert [r.tally.slot_id for r in ranked] == [1, 2, 3]


counts = st.tuples(*(st.integers(0, 6) for _ in range(4)))


@given(st.lists(st.tuples(st.integers(-5, 200), counts, counts), max_size=30))
def test_the_ranking_keeps_its_promises(
    raw: list[tuple[int, tuple[int, ...], tuple[int, ...]]],
) -> None:
    slots = [
        SlotTally(
            n,
            NOW + timedelta(hours=h),
            NOW + timedelta(hours=h + 2),
            Counts(*f),
            Counts(*p),
        )
        for n, (h, f, p) in enumerate(raw)
    ]
    ranked = rank(slots, purpose=PollPurpose.WORKSHOP, now=NOW)
    assert len(ranked) <= 3
    assert len({r.tally.slot_id for r in ranked}) == len(ranked)
    for item in ranked:
        assert item.tally.facilitators.able >= 2 and item.tally.starts_at > NOW
        assert item.reasons
    eligible = [s for s in slots if s.facilitators.able >= 2 and s.starts_at > NOW]
    assert len(ranked) == min(3, len(eligible))
    # nobody left out beats the last one proposed on participants able
    if ranked:
        worst = min(r.tally.participants.able for r in ranked)
        chosen = {r.tally.slot_id for r in ranked}
        assert all(s.participants.able <= worst for s in eligible if s.slot_id not in chosen)
    # in order: participants able never rises down the list
    ables = [r.tally.participants.able for r in ranked]
    assert ables == sorted(ables, reverse=True)


def test_probably_no_counts_as_no_and_pending_as_not_yet() -> None:
    c = count([Answer.YES, Answer.IF_NEED_BE, Answer.NO, Answer.PROBABLY_NO, Answer.PENDING])
    assert (c.yes, c.if_need_be, c.no, c.pending, c.able, c.total) == (1, 1, 2, 1, 2, 5)


def test_the_generator_makes_weekday_slots_that_fit_the_day() -> None:
    gen = Generator(
        first_day=date(2027, 3, 1),
        weeks=2,
        day_start=time(10),
        day_end=time(16),
        every=timedelta(hours=2),
    )
    starts = generate_slots(gen, duration=timedelta(hours=2), tz=LONDON)
    assert len(starts) == 30  # 10, 12 and 14 on ten weekdays
    assert all(s.astimezone(LONDON).weekday() < 5 for s in starts)
    assert starts[0] == datetime(2027, 3, 1, 10, tzinfo=UTC)
    # across the clocks going forward (28 March), the local time stays 10:00
    later = Generator(date(2027, 3, 29), 1, time(10), time(12), timedelta(hours=2))
    first = generate_slots(later, duration=timedelta(hours=2), tz=LONDON)[0]
    assert first == datetime(2027, 3, 29, 9, tzinfo=UTC)


def test_the_form_refuses_no_slots_past_slots_short_sessions_and_nobody() -> None:
    good = PollInput(
        purpose=PollPurpose.WORKSHOP,
        title="Session 1",
        duration=timedelta(hours=2),
        starts=(NOW + timedelta(days=5),),
        asked=("UF1",),
        closes_at=NOW + timedelta(days=3),
    )
    assert check_poll(good, now=NOW) == {}
    bad = PollInput(
        purpose=PollPurpose.WORKSHOP,
        title="",
        duration=timedelta(minutes=10),
        starts=(),
        asked=(),
        closes_at=NOW,
    )
    assert set(check_poll(bad, now=NOW)) == {"duration", "slots", "asked", "closes"}
    past = PollInput(**{**good.__dict__, "starts": (NOW - timedelta(hours=1),)})
    assert "already passed" in check_poll(past, now=NOW)["slots"]
    many = tuple(NOW + timedelta(days=4, hours=n) for n in range(MAX_SLOTS + 1))
    assert "at most" in check_poll(PollInput(**{**good.__dict__, "starts": many}), now=NOW)["slots"]
    late = PollInput(**{**good.__dict__, "closes_at": NOW + timedelta(days=6)})
    assert "before the first time" in check_poll(late, now=NOW)["closes"]


def test_standing_availability_clashes() -> None:
    monday_10 = datetime(2027, 3, 1, 10, tzinfo=UTC)
    two_hours = timedelta(hours=2)
    assert clash(Standing("Europe/London"), monday_10, monday_10 + two_hours) is None
    off = Standing("Europe/London", weekdays_off=frozenset({0}))
    assert (
        clash(off, monday_10, monday_10 + two_hours) == "you are usually not available on Mondays"
    )
    afternoons = Standing("Europe/London", part=PartOfDay.AFTERNOONS)
    assert clash(afternoons, monday_10, monday_10 + two_hours)
    assert clash(afternoons, monday_10 + timedelta(hours=3), monday_10 + timedelta(hours=5)) is None
    mornings = Standing("Europe/London", part=PartOfDay.MORNINGS)
    assert clash(mornings, monday_10, monday_10 + two_hours) is None
    assert clash(mornings, monday_10 + timedelta(hours=2), monday_10 + timedelta(hours=4))
    school = Standing("Europe/London", windows=(BusyWindow(time(15), time(16), "school run"),))
    three = monday_10 + timedelta(hours=4)
    assert clash(school, three, three + two_hours) == "school run 15:00–16:00"
    assert clash(school, monday_10, monday_10 + two_hours) is None
    # in the person's own zone: 15:00 UTC is 10:00 in New York
    new_york = Standing("America/New_York", windows=(BusyWindow(time(15), time(16), "pick-up"),))
    assert clash(new_york, three + timedelta(hours=1), three + timedelta(hours=2)) is None
    saturday = datetime(2027, 3, 6, 15, tzinfo=UTC)
    assert clash(school, saturday, saturday + two_hours) is None  # windows are weekdays


def _form(**typed: object) -> tuple[PollInput, Audience, dict[str, str]]:
    values: dict[str, object] = {
        "purpose": "",
        "title": "Workshop 2",
        "duration": timedelta(hours=2),
        "starts": (),
        "generate_from": None,
        "weeks": "",
        "every_minutes": "",
        "day_start": None,
        "day_end": None,
        "weekdays_only": True,
        "audience": "",
        "asked": ("UNAMED",),
        "closes_on": date(2027, 3, 4),
        "timezone": "Europe/London",
        "today": date(2027, 3, 1),
        "now": NOW,
    }
    values.update(typed)
    return poll_from_form(**values)  # type: ignore[arg-type]


def test_the_find_time_form_defaults_to_a_workshop_for_facilitators_and_participants() -> None:
    data, audience, problems = _form(purpose="forged", audience="forged")
    assert problems == {}
    assert data.purpose is PollPurpose.WORKSHOP and audience is Audience.PARTICIPANTS
    assert data.asked == ("UNAMED",) and data.title == "Workshop 2"
    # answers close at this time of day on the day picked
    assert data.closes_at == NOW + timedelta(days=3)


def test_generated_times_default_to_three_weeks_of_weekdays_ten_to_four_every_two_hours() -> None:
    picked = datetime(2027, 3, 20, 12, tzinfo=UTC)
    data, _audience, problems = _form(
        starts=[picked], generate_from=date(2027, 3, 8), weeks="x", closes_on=date(2027, 3, 7)
    )
    assert problems == {}
    expected = generate_slots(
        Generator(
            first_day=date(2027, 3, 8),
            weeks=3,
            day_start=time(10),
            day_end=time(16),
            every=timedelta(hours=2),
        ),
        duration=timedelta(hours=2),
        tz=LONDON,
    )
    assert data.starts == (picked, *expected) and len(expected) == 15 * 3


def test_an_unreadable_duration_still_generates_two_hour_slots() -> None:
    data, _audience, _problems = _form(duration=None, generate_from=date(2027, 3, 8), weeks="1")
    assert data.duration == timedelta(hours=2) and len(data.starts) == 5 * 3


def test_the_find_time_form_names_a_day_that_ends_before_it_starts_and_no_closing_day() -> None:
    _data, _audience, problems = _form(
        generate_from=date(2027, 3, 8), day_start=time(16), day_end=time(10), closes_on=None
    )
    assert problems == {
        "gen_end": "End the day after it starts.",
        "closes": "Pick the day answers close.",
    }
