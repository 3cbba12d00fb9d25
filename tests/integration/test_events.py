"""Slack event ids, request signatures and form receipts are remembered across processes,
then forgotten once no retry, replay or double submit can come."""

from __future__ import annotations

from cobot.services import receipts
from cobot.services.events import EventLedger
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from tests.fakes import FakeClock


def test_first_time_once_then_pruned(database_url: str) -> None:
    engine = create_db_engine(database_url)
    clock = FakeClock()
    one = EventLedger(factory=session_factory(engine), clock=clock)
    other_engine = create_db_engine(database_url)
    other_process = EventLedger(factory=session_factory(other_engine), clock=clock)
    assert one.first_time("Ev1") is True
    assert other_process.first_time("Ev1") is False
    assert one.first_time("Ev2") is True
    clock.advance(hours=23)
    assert one.prune() == 0
    clock.advance(hours=2)
    assert one.prune() == 2
    assert other_process.first_time("Ev1") is True
    engine.dispose()
    other_engine.dispose()


def test_a_signature_is_answered_once_across_processes_then_forgotten(database_url: str) -> None:
    engine = create_db_engine(database_url)
    other_engine = create_db_engine(database_url)
    clock = FakeClock()
    one = EventLedger(factory=session_factory(engine), clock=clock)
    other_process = EventLedger(factory=session_factory(other_engine), clock=clock)
    digest = "a" * 64
    assert one.first_signature(digest) is True
    assert other_process.first_signature(digest) is False
    assert one.first_signature("b" * 64) is True
    # still remembered while Slack's window (5 minutes either way) could accept it
    clock.advance(minutes=14)
    assert one.prune() == 0
    assert other_process.first_signature(digest) is False
    clock.advance(minutes=2)
    assert one.prune() == 2
    assert other_process.first_signature(digest) is True
    engine.dispose()
    other_engine.dispose()


def test_form_receipts_are_kept_a_day(database_url: str) -> None:
    engine = create_db_engine(database_url)
    factory = session_factory(engine)
    clock = FakeClock()
    ledger = EventLedger(factory=factory, clock=clock)
    key = receipts.key("session_add", "V0FORM", user_id="UCOORD")
    with transaction(factory) as db:
        receipts.record(db, key, result_id=7, now=clock.now())
    with transaction(factory) as db:
        assert receipts.made_before(db, key) == 7
        assert receipts.made_before(db, key + "x") is None
    clock.advance(hours=23)
    assert ledger.prune() == 0
    clock.advance(hours=2)
    assert ledger.prune() == 1
    with transaction(factory) as db:
        assert receipts.made_before(db, key) is None
    engine.dispose()
