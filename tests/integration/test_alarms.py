"""The APScheduler alarm clock on the shared job store wakes deliveries on time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import text

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.scheduling.alarms import minute_job_id
from cobot.services import deliveries
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.fakes import FakeMessenger
from tests.polling import wait_until


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    settings = Settings.from_env(
        {"COBOT_DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-test"}
    )
    rt = Runtime.build(settings, sweep_seconds=0.5)
    messenger = FakeMessenger()
    rt.runner._messenger = messenger
    yield rt
    if rt.started:
        rt.stop()


def schedule_in(rt: Runtime, key: str, seconds: float) -> tuple[int, str]:
    """Schedule a notice; returns its id and the id of its minute's alarm."""
    now = datetime.now(UTC)
    due = now + timedelta(seconds=seconds)
    with transaction(rt.factory) as session:
        delivery_id = deliveries.schedule(
            session,
            key=key,
            kind="notice",
            target="U1",
            due_at=due,
            now=now,
            payload={"text": key},
        ).id
    return delivery_id, minute_job_id(due)


def status(rt: Runtime, delivery_id: int) -> str:
    with transaction(rt.factory) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row.status


def test_job_in_the_shared_store_sends_on_time(runtime: Runtime) -> None:
    runtime.start()
    delivery_id, alarm = schedule_in(runtime, "soon", 1.0)
    assert alarm in runtime.alarms.pending_job_ids()
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar_one() >= 1
    wait_until(lambda: status(runtime, delivery_id) == "sent")
    messenger = runtime.runner._messenger
    assert isinstance(messenger, FakeMessenger)
    assert messenger.texts_to("U1") == ["soon"]
    # a date job runs once and leaves the store
    wait_until(lambda: alarm not in runtime.alarms.pending_job_ids())


def test_a_standby_adds_jobs_but_never_runs_them(runtime: Runtime) -> None:
    runtime.start(schedule=False)
    delivery_id, alarm = schedule_in(runtime, "later", 0.2)
    time.sleep(1.5)
    assert status(runtime, delivery_id) == "scheduled"
    assert alarm in runtime.alarms.pending_job_ids()


def test_rows_without_a_job_are_recovered_by_the_sweep(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    with transaction(runtime.factory) as session:
        session.add(
            Delivery(
                idempotency_key="orphan",
                kind="notice",
                target="U1",
                payload={"text": "orphan"},
                due_at=now - timedelta(minutes=5),
                status="scheduled",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )
    runtime.start()
    wait_until(lambda: status(runtime, 1) == "sent")


def add_pending(rt: Runtime, count: int, *, start: datetime) -> None:
    """Bulk-insert `count` scheduled notices spread over the next days (no alarms)."""
    rows = [
        {
            "idempotency_key": f"bulk{n}",
            "kind": "notice",
            "target": "U1",
            "payload": {"text": f"bulk{n}"},
            "due_at": start + timedelta(minutes=1 + n % 5000),
            "status": "scheduled",
            "attempts": 0,
            "created_at": start,
            "updated_at": start,
        }
        for n in range(count)
    ]
    if rows:
        with transaction(rt.factory) as session:
            session.execute(insert(Delivery), rows)


def statements_in_start(rt: Runtime) -> int:
    """SQL statements start() itself runs (on the calling thread; the sweep runs elsewhere)."""
    caller = threading.get_ident()
    seen = []

    def count(*_args: object) -> None:
        if threading.get_ident() == caller:
            seen.append(1)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        rt.start()
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    return len(seen)


def test_start_up_does_the_same_work_with_many_pending(database_url: str) -> None:
    settings = Settings.from_env(
        {"COBOT_DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-test"}
    )
    counts = []
    for pending in (0, 3000):
        rt = Runtime.build(settings, sweep_seconds=60)
        rt.runner._messenger = FakeMessenger()
        add_pending(rt, pending, start=datetime.now(UTC))
        try:
            counts.append(statements_in_start(rt))
            assert rt.alarms.pending_job_ids() == []  # nothing armed per delivery
        finally:
            rt.stop()
    assert counts[0] == counts[1]


def test_many_deliveries_share_one_alarm_per_minute(runtime: Runtime) -> None:
    runtime.start(schedule=False)
    now = datetime.now(UTC)
    first = now.replace(second=0, microsecond=0) + timedelta(minutes=10)
    with transaction(runtime.factory) as session:
        for n in range(300):
            deliveries.schedule(
                session,
                key=f"m{n}",
                kind="notice",
                target="U1",
                due_at=first + timedelta(minutes=n % 3, seconds=n % 50),
                now=now,
                payload={"text": "x"},
            )
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar() == 3
    # each minute's alarm rings for the earliest delivery due in it
    jobs = {
        job.id: job.next_run_time for job in runtime.alarms._scheduler.get_jobs(jobstore="default")
    }
    assert jobs == {
        minute_job_id(first + timedelta(minutes=m)): first + timedelta(minutes=m) for m in range(3)
    }


def test_an_alarm_rings_again_for_the_rest_of_its_minute(runtime: Runtime) -> None:
    runtime.start()
    first, _ = schedule_in(runtime, "first", 0.5)
    second, _ = schedule_in(runtime, "second", 2.0)
    wait_until(lambda: status(runtime, first) == "sent", timeout=5)
    assert status(runtime, second) == "scheduled"
    wait_until(lambda: status(runtime, second) == "sent", timeout=5)
