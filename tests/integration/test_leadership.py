"""One scheduling leader, checked on every sweep: a terminated backend makes it step down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.services import deliveries
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.fakes import FakeMessenger
from tests.polling import wait_until


@pytest.fixture
def pair(database_url: str) -> Iterator[tuple[Runtime, Runtime]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory-lock leadership exists on PostgreSQL only")
    settings = Settings.from_env(
        {"COBOT_DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-test"}
    )
    runtimes = []
    for name in ("a", "b"):
        rt = Runtime.build(settings, sweep_seconds=0.3, worker_id=name)
        rt.runner._messenger = FakeMessenger()
        runtimes.append(rt)
    yield runtimes[0], runtimes[1]
    for rt in runtimes:
        if rt.started:
            rt.stop()


def leader_backend(database_url: str) -> list[int]:
    admin = create_engine(database_url.split("?")[0])
    try:
        with admin.connect() as conn:
            return [
                int(pid)
                for pid in conn.execute(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND database = (SELECT oid FROM pg_database"
                        " WHERE datname = current_database())"
                    )
                ).scalars()
            ]
    finally:
        admin.dispose()


def test_a_terminated_leader_steps_down_and_exactly_one_leader_schedules(
    pair: tuple[Runtime, Runtime], database_url: str
) -> None:
    a, b = pair
    a.start()
    b.start()
    assert a.readiness()["scheduler"] == "leader"
    assert b.readiness()["scheduler"] == "standby"
    # a PostgreSQL "restart" as far as the leader's session is concerned
    [pid] = leader_backend(database_url)
    admin = create_engine(database_url.split("?")[0], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    # a's next sweep finds its lock gone and pauses; b, campaigning every 2 s, takes over
    wait_until(lambda: b.readiness()["scheduler"] == "leader", what="the standby leading")
    wait_until(lambda: a.readiness()["scheduler"] == "standby", what="the old leader pausing")
    assert len(leader_backend(database_url)) == 1
    # exactly one process schedules: b sends, a sends nothing
    now = datetime.now(UTC)
    with transaction(b.factory) as session:
        ids = [
            deliveries.schedule(
                session,
                key=f"after{n}",
                kind="notice",
                target="U1",
                due_at=now + timedelta(seconds=0.2),
                now=now,
                payload={"text": f"after{n}"},
            ).id
            for n in range(5)
        ]

    def all_sent() -> bool:
        with transaction(b.factory) as session:
            return all(session.get(Delivery, i).status == "sent" for i in ids)  # type: ignore[union-attr]

    wait_until(all_sent, what="deliveries sent by the new leader")
    sent_by_a, sent_by_b = (rt.runner._messenger.sent for rt in (a, b))  # type: ignore[attr-defined]
    assert sent_by_a == []
    assert sorted(m.text for _, m in sent_by_b) == [f"after{n}" for n in range(5)]
    # the old leader stays a standby while b holds the lock
    time.sleep(2.5)
    assert a.readiness()["scheduler"] == "standby"
    assert len(leader_backend(database_url)) == 1
