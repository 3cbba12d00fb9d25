"""The APScheduler alarm clock on the shared job store wakes deliveries on time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.services import deliveries
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.fakes import FakeMessenger


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


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def schedule_in(rt: Runtime, key: str, seconds: float) -> int:
    now = datetime.now(UTC)
    with transaction(rt.factory) as session:
        return deliveries.schedule(
            session,
            key=key,
            kind="notice",
            target="U1",
            due_at=now + timedelta(seconds=seconds),
            now=now,
            payload={"text": key},
        ).id


def status(rt: Runtime, delivery_id: int) -> str:
    with transaction(rt.factory) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row.status


def test_job_in_the_shared_store_sends_on_time(runtime: Runtime) -> None:
    runtime.start()
    delivery_id = schedule_in(runtime, "soon", 1.0)
    assert f"delivery:{delivery_id}" in runtime.alarms.pending_job_ids()
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar() >= 1
    wait_until(lambda: status(runtime, delivery_id) == "sent")
    messenger = runtime.runner._messenger
    assert isinstance(messenger, FakeMessenger)
    assert messenger.texts_to("U1") == ["soon"]
    # a date job runs once and leaves the store
    wait_until(lambda: f"delivery:{delivery_id}" not in runtime.alarms.pending_job_ids())


def test_a_standby_adds_jobs_but_never_runs_them(runtime: Runtime) -> None:
    runtime.start(schedule=False)
    delivery_id = schedule_in(runtime, "later", 0.2)
    time.sleep(1.5)
    assert status(runtime, delivery_id) == "scheduled"
    assert f"delivery:{delivery_id}" in runtime.alarms.pending_job_ids()


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
