"""Readiness names what is wrong (database, migrations, the scheduler's leader), and the
runner drains on stop: no new claims, sends under way finish within a bound, claims never
posted are released, a post still on the wire keeps its lease."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.services import deliveries
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger
from tests.integration.test_deliveries import notice


def build(database_url: str, worker: str) -> Runtime:
    settings = Settings.from_env({"COBOT_DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-t"})
    runtime = Runtime.build(settings, sweep_seconds=60, worker_id=worker)
    runtime.runner._messenger = FakeMessenger()
    return runtime


@pytest.fixture
def runtimes(database_url: str) -> Iterator[list[Runtime]]:
    built: list[Runtime] = []
    yield built
    for runtime in built:
        if runtime.started:
            runtime.stop(drain_seconds=1)
        else:
            runtime.engine.dispose()


def test_readiness_says_starting_then_ready_then_behind_on_migrations(
    database_url: str, runtimes: list[Runtime]
) -> None:
    runtime = build(database_url, "a")
    runtimes.append(runtime)
    before = runtime.readiness()
    assert before["ok"] is False and before["scheduler"] == "starting"
    assert before["database"] == "ok" and before["migrations"] == "current"
    runtime.start()
    assert runtime.readiness() == {
        "ok": True,
        "database": "ok",
        "migrations": "current",
        "slack": "ok",
        "scheduler": "leader",
        "leader": "this process",
    }
    # code newer than the database (a deploy before `cobot db upgrade`): not ready
    with runtime.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    try:
        behind = runtime.readiness()
        assert behind["ok"] is False and behind["migrations"] == "behind"
    finally:
        with runtime.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert runtime.readiness()["ok"] is True


def test_a_standby_is_ready_only_while_some_process_leads(
    database_url: str, runtimes: list[Runtime]
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a standby exists only with PostgreSQL's advisory lock")
    standby = build(database_url, "b")
    runtimes.append(standby)
    standby.start(schedule=False)  # waits, never campaigns: no one leads yet
    alone = standby.readiness()
    assert (alone["ok"], alone["scheduler"], alone["leader"]) == (False, "standby", "none")
    leader = build(database_url, "a")
    runtimes.append(leader)
    leader.start()
    assert leader.readiness()["leader"] == "this process"
    ready = standby.readiness()
    assert (ready["ok"], ready["scheduler"], ready["leader"]) == (
        True,
        "standby",
        "another process",
    )
    leader.stop(drain_seconds=1)  # releases the lock
    assert standby.readiness()["leader"] == "none"


@dataclass
class HeldMessenger:
    """Posts only once `release` is set; `posting` is set while one is held."""

    release: threading.Event = field(default_factory=threading.Event)
    posting: threading.Event = field(default_factory=threading.Event)
    sent: list[str] = field(default_factory=list)

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        self.posting.set()
        self.release.wait(10)
        self.sent.append(message.text)
        return PostedMessage(channel=f"D{target}", ts="1700000000.000100")


def runner_with(
    factory: sessionmaker[Session], clock: FakeClock, messenger: HeldMessenger
) -> DeliveryRunner:
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, deliveries.core_kinds())
    return DeliveryRunner(
        factory=factory,
        clock=clock,
        messenger=messenger,
        kinds=kinds,
        worker_id="w1",
        lease=timedelta(seconds=60),
    )


def status(factory: sessionmaker[Session], delivery_id: int) -> tuple[str, object]:
    with transaction(factory) as db:
        row = db.get_one(Delivery, delivery_id)
        return row.status, row.lease_until


@pytest.fixture
def factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    deliveries.install_alarm_hook(factory, FakeAlarms())
    return factory


def test_drain_waits_for_the_send_under_way_and_takes_no_new_claim(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    messenger = HeldMessenger()
    runner = runner_with(factory, clock, messenger)
    first, second = notice(factory, clock, "first"), notice(factory, clock, "second")
    sending = threading.Thread(target=runner.deliver, args=(first,))
    sending.start()
    assert messenger.posting.wait(5)
    drained: list[bool] = []
    draining = threading.Thread(target=lambda: drained.append(runner.drain(10)))
    draining.start()
    # while draining, nothing new is claimed
    assert runner.deliver(second) is None
    assert status(factory, second)[0] == "scheduled"
    messenger.release.set()
    draining.join(10)
    sending.join(10)
    assert drained == [True]
    assert status(factory, first)[0] == "sent" and messenger.sent == ["hello first"]


def test_drain_is_bounded_keeps_a_lease_on_the_wire_and_releases_unposted_claims(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    messenger = HeldMessenger()
    runner = runner_with(factory, clock, messenger)
    stuck, claimed = notice(factory, clock, "stuck"), notice(factory, clock, "claimed")
    # a claim this worker made but never posted (as if it stopped between the two)
    with transaction(factory) as db:
        db.execute(
            update(Delivery)
            .where(Delivery.id == claimed)
            .values(status="sending", claimed_by="w1", lease_until=clock.now() + timedelta(1))
        )
    sending = threading.Thread(target=runner.deliver, args=(stuck,))
    sending.start()
    assert messenger.posting.wait(5)
    assert runner.drain(0.2) is False  # the bound passed with a post still on the wire
    assert status(factory, stuck)[0] == "sending"  # its lease stands: Slack may yet take it
    assert status(factory, claimed) == ("scheduled", None)  # due again, for the next sweep
    messenger.release.set()
    sending.join(10)
