"""deliveries.schedule_many(): schedule() for many rows at once, in a fixed number of
statements, with the same once-per-key promise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.services import deliveries
from cobot.services.deliveries import Owed
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.fakes import FakeAlarms
from tests.statements import counting

pytestmark = pytest.mark.db

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def alarms() -> FakeAlarms:
    return FakeAlarms()


@pytest.fixture
def factory(engine: Engine, alarms: FakeAlarms) -> sessionmaker[Session]:
    made = session_factory(engine)
    deliveries.install_alarm_hook(made, alarms)
    return made


def owed(count: int, prefix: str = "k") -> list[Owed]:
    return [
        Owed(
            key=f"{prefix}:{i}",
            kind="notice",
            target=f"U{i:05d}",
            due_at=NOW + timedelta(minutes=i),
            project_id=None,
            subject=("session", 7),
            payload={"n": i},
            escalate_to="UCOORD",
        )
        for i in range(count)
    ]


def test_many_rows_are_recorded_once_each_with_their_alarms(
    factory: sessionmaker[Session], alarms: FakeAlarms
) -> None:
    with transaction(factory) as db:
        first = deliveries.schedule(
            db, key="k:1", kind="notice", target="UOLD", due_at=NOW, now=NOW
        )
    alarms.armed.clear()
    items = owed(5)
    with transaction(factory) as db:
        rows = deliveries.schedule_many(db, [*items, items[2]], now=NOW)
        ids = [r.id for r in rows]
    # one row per item, in order; the key already recorded keeps its row unchanged
    assert len(ids) == 6 and ids[1] == first.id and ids[2] == ids[5]
    with transaction(factory) as db:
        stored = {d.idempotency_key: d for d in db.scalars(select(Delivery))}
    assert len(stored) == 5 and stored["k:1"].target == "UOLD"
    assert stored["k:3"].payload == {"n": 3} and stored["k:3"].subject_id == 7
    assert stored["k:3"].status == "scheduled" and stored["k:3"].escalate_to == "UCOORD"
    # alarms for the four new rows only, at their due times
    assert alarms.armed == {stored[f"k:{i}"].id: NOW + timedelta(minutes=i) for i in (0, 2, 3, 4)}


def test_the_cost_does_not_grow_with_the_rows(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    costs = []
    for count, prefix in ((10, "a"), (400, "b")):
        with counting(engine) as seen, transaction(factory) as db:
            deliveries.schedule_many(db, owed(count, prefix), now=NOW)
        costs.append(seen.count)
    assert costs[0] == costs[1], costs
    with transaction(factory) as db:
        assert db.scalar(select(func.count()).select_from(Delivery)) == 410


def test_a_key_recorded_meanwhile_by_someone_else_falls_back_to_one_by_one(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(factory) as db:
        theirs = deliveries.schedule(db, key="k:2", kind="notice", target="UX", due_at=NOW, now=NOW)
    looked = deliveries.existing_by_key
    calls = 0

    def stale(session: Session, keys: object) -> dict[str, Delivery]:
        nonlocal calls
        calls += 1
        # the first look misses the row another process committed just after it
        return {} if calls == 1 else looked(session, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(deliveries, "existing_by_key", stale)
    with transaction(factory) as db:
        rows = deliveries.schedule_many(db, owed(4), now=NOW)
        assert rows[2].id == theirs.id and rows[2].target == "UX"
    with transaction(factory) as db:
        assert db.scalar(select(func.count()).select_from(Delivery)) == 4


# -- reconcile(): the ledger brought to what is owed now -------------------------------------


def rows_by_key(factory: sessionmaker[Session]) -> dict[str, Delivery]:
    with transaction(factory) as db:
        return {d.idempotency_key: d for d in db.scalars(select(Delivery))}


def test_reconcile_schedules_moves_reopens_and_cancels_by_one_rule(
    factory: sessionmaker[Session],
) -> None:
    scope = deliveries.Scope.of("session", [7], ["notice"])
    first = owed(4)
    with transaction(factory) as db:
        deliveries.reconcile(db, subject=scope, owed=first, now=NOW)
        # about another subject, and another kind of this one: outside the scope
        deliveries.schedule_many(
            db, [replace(first[0], key="other", subject=("session", 8))], now=NOW
        )
        deliveries.schedule_many(db, [replace(first[0], key="alert", kind="problem")], now=NOW)
    with transaction(factory) as db:
        sent = db.scalar(select(Delivery).where(Delivery.idempotency_key == "k:3"))
        assert sent is not None
        sent.status = "sent"  # as the runner records a send
    # k:0 no longer owed; k:1 moves; k:2 unchanged; k:3 was sent; k:9 new
    later = NOW + timedelta(hours=5)
    second = [replace(first[1], due_at=later), first[2], first[3], *owed(10)[9:]]
    with transaction(factory) as db:
        deliveries.reconcile(db, subject=scope, owed=second, now=NOW)
    rows = rows_by_key(factory)
    assert rows["k:0"].status == "cancelled" and rows["k:0"].finished_at is not None
    assert (rows["k:1"].status, rows["k:1"].due_at) == ("scheduled", later)
    assert (rows["k:2"].status, rows["k:2"].due_at) == ("scheduled", first[2].due_at)
    assert rows["k:3"].status == "sent"
    assert rows["k:9"].status == "scheduled"
    assert rows["other"].status == rows["alert"].status == "scheduled"
    # owed again, with another escalation: reopened with it (never sent, so never twice)
    with transaction(factory) as db:
        deliveries.reconcile(
            db, subject=scope, owed=[replace(first[0], escalate_to="UNEW")], now=NOW
        )
    rows = rows_by_key(factory)
    assert (rows["k:0"].status, rows["k:0"].escalate_to) == ("scheduled", "UNEW")
    assert rows["k:0"].finished_at is None and rows["k:0"].attempts == 0
    assert {rows[k].status for k in ("k:1", "k:2", "k:9")} == {"cancelled"}
    assert rows["k:3"].status == "sent"


def test_reconcile_leaves_a_past_item_alone_unless_it_is_still_worth_sending(
    factory: sessionmaker[Session],
) -> None:
    past = NOW - timedelta(hours=1)
    items = [
        replace(owed(1)[0], key="late-ok", due_at=past),
        replace(owed(1)[0], key="too-late", due_at=past, late_ok=False),
    ]
    with transaction(factory) as db:
        deliveries.reconcile(db, subject=deliveries.Scope("session"), owed=items, now=NOW)
    rows = rows_by_key(factory)
    assert set(rows) == {"late-ok"} and rows["late-ok"].due_at == NOW


@pytest.mark.parametrize("size", [10, 300])
def test_reconcile_costs_the_same_statements_however_many_rows(
    engine: Engine, factory: sessionmaker[Session], size: int
) -> None:
    scope = deliveries.Scope.of("session", [7], ["notice"])
    with transaction(factory) as db:
        deliveries.reconcile(db, subject=scope, owed=owed(size), now=NOW)
    # half no longer owed, half owed afresh under new keys
    then = owed(size)[: size // 2] + owed(size // 2, prefix="n")
    with counting(engine) as statements, transaction(factory) as db:
        deliveries.reconcile(db, subject=scope, owed=then, now=NOW)
    # pending look-up, the cancel, existing look-up, the insert, the new rows
    assert statements.count == 5, str(statements)
    rows = rows_by_key(factory)
    assert sum(r.status == "cancelled" for r in rows.values()) == size - size // 2
