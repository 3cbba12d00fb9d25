"""Slack event ids are remembered across processes, then forgotten after a day."""

from __future__ import annotations

from cobot.services.events import EventLedger
from cobot.storage.db import create_db_engine, session_factory
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
