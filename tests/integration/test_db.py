"""Units of work on a real database: read-only ones take no write lock and cannot write."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from cobot.storage.db import read_only
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.models import SlackEvent
from tests.statements import counting

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_a_read_runs_while_a_writer_holds_its_transaction_open(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as db:
        db.add(SlackEvent(event_id="Ev1", received_at=NOW))
    writing, reading = threading.Event(), threading.Event()
    counted: list[int] = []

    def writer() -> None:
        # holds the write lock (SQLite) / a row lock (PostgreSQL) until the read is done
        with transaction(factory) as db:
            db.add(SlackEvent(event_id="Ev2", received_at=NOW))
            db.flush()
            writing.set()
            reading.wait(10)

    def reader() -> None:
        with read_only(factory) as db:
            counted.append(int(db.scalar(select(func.count()).select_from(SlackEvent)) or 0))
        reading.set()

    first = threading.Thread(target=writer)
    first.start()
    assert writing.wait(10)
    second = threading.Thread(target=reader)
    second.start()
    # a read that queued for the write lock would wait for the writer, which waits for it
    assert reading.wait(5), "the read waited for the writer's lock"
    first.join(10)
    second.join(10)
    assert counted == [1]  # the writer's row was not committed yet


def test_a_read_only_unit_of_work_begins_without_the_write_lock(engine: Engine) -> None:
    factory = session_factory(engine)
    with counting(engine, bookkeeping=True) as seen, read_only(factory) as db:
        db.scalar(select(func.count()).select_from(SlackEvent))
    if engine.dialect.name == "sqlite":
        assert "BEGIN" in seen.seen and "BEGIN IMMEDIATE" not in seen.seen
    with counting(engine, bookkeeping=True) as seen, transaction(factory) as db:
        db.scalar(select(func.count()).select_from(SlackEvent))
    if engine.dialect.name == "sqlite":
        assert "BEGIN IMMEDIATE" in seen.seen


def test_writing_in_a_read_only_unit_of_work_fails_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no read-only transactions; PostgreSQL guards the read paths")
    factory = session_factory(engine)
    with pytest.raises(DBAPIError), read_only(factory) as db:
        db.add(SlackEvent(event_id="Ev3", received_at=NOW))
        db.flush()
    # and the connection goes back to the pool able to write again
    with transaction(factory) as db:
        db.add(SlackEvent(event_id="Ev4", received_at=NOW))
    with read_only(factory) as db:
        assert db.scalar(select(func.count()).select_from(SlackEvent)) == 1
