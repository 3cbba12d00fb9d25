"""The deliveries ledger on a real database: claim, send, record, retry, skip, escalate."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.deliveries import CircuitBreaker
from cobot.domain.deliveries import LatenessPolicy
from cobot.services import deliveries
from cobot.services.deliveries import DeliveryKind
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SlackSendError
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.fakes import FakeAlarms
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger


@pytest.fixture
def alarms(factory: sessionmaker[Session]) -> FakeAlarms:
    fake = FakeAlarms()
    deliveries.install_alarm_hook(factory, fake)
    return fake


def make_kinds(*extra: DeliveryKind) -> DeliveryKinds:
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, deliveries.core_kinds())
    deliveries.register_all(kinds, extra)
    return kinds


def runner_for(
    factory: sessionmaker[Session],
    clock: FakeClock,
    messenger: FakeMessenger,
    *,
    kinds: DeliveryKinds | None = None,
    worker: str = "w1",
    alarms: FakeAlarms | None = None,
    breaker: CircuitBreaker | None = None,
    sleeps: list[float] | None = None,
) -> DeliveryRunner:
    return DeliveryRunner(
        factory=factory,
        clock=clock,
        messenger=messenger,
        kinds=kinds or make_kinds(),
        worker_id=worker,
        alarms=alarms,
        lease=timedelta(seconds=30),
        breaker=breaker,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
    )


def notice(
    factory: sessionmaker[Session],
    clock: FakeClock,
    key: str = "n1",
    *,
    in_minutes: float = 0,
    target: str = "U1",
    kind: str = "notice",
    escalate_to: str | None = "UCOORD",
) -> int:
    with transaction(factory) as session:
        row = deliveries.schedule(
            session,
            key=key,
            kind=kind,
            target=target,
            due_at=clock.now() + timedelta(minutes=in_minutes),
            now=clock.now(),
            payload={"text": f"hello {key}"},
            escalate_to=escalate_to,
        )
        return row.id


def load(factory: sessionmaker[Session], delivery_id: int) -> Delivery:
    with transaction(factory) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def test_due_delivery_is_sent_once_and_its_ts_recorded(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    messenger = FakeMessenger()
    delivery_id = notice(factory, clock)
    assert alarms.armed == {delivery_id: clock.now()}
    runner = runner_for(factory, clock, messenger)
    assert runner.deliver(delivery_id) == "sent"
    assert runner.deliver(delivery_id) is None
    assert messenger.texts_to("U1") == ["hello n1"]
    row = load(factory, delivery_id)
    assert (row.status, row.attempts, row.slack_channel) == ("sent", 1, "DU1")
    assert row.slack_ts is not None and row.finished_at == clock.now()


def test_same_idempotency_key_records_one_row(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    first = notice(factory, clock, "same")
    second = notice(factory, clock, "same", in_minutes=10)
    assert first == second
    with transaction(factory) as session:
        assert len(session.scalars(select(Delivery)).all()) == 1
        assert session.get_one(Delivery, first).due_at == clock.now()  # unchanged


def test_a_delivery_not_yet_due_is_not_sent_and_is_re_armed(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    messenger = FakeMessenger()
    delivery_id = notice(factory, clock, in_minutes=5)
    alarms.armed.clear()
    assert runner_for(factory, clock, messenger).deliver(delivery_id) is None
    assert messenger.sent == []
    assert alarms.armed == {delivery_id: clock.now() + timedelta(minutes=5)}


def test_permanent_error_fails_without_retry_and_tells_the_coordinator(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    messenger = FakeMessenger(failures=[SlackSendError("account_inactive", permanent=True)])
    runner = runner_for(factory, clock, messenger)
    delivery_id = notice(factory, clock, target="UGONE")
    assert runner.deliver(delivery_id) == "failed"
    row = load(factory, delivery_id)
    assert (row.status, row.last_error, row.attempts) == ("failed", "account_inactive", 1)
    assert runner.problems(project_id=None)[0].id == delivery_id
    # the escalation is itself a delivery, due now, to the coordinator
    problem_ids = [i for i in alarms.armed if i != delivery_id]
    assert len(problem_ids) == 1
    assert runner.deliver(problem_ids[0]) == "sent"
    [text] = messenger.texts_to("UCOORD")
    assert "<@UGONE>" in text and "account_inactive" in text and "could not be delivered" in text


def test_transient_error_backs_off_then_succeeds(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    messenger = FakeMessenger(failures=[SlackSendError("http_503", permanent=False)])
    runner = runner_for(factory, clock, messenger)
    delivery_id = notice(factory, clock)
    assert runner.deliver(delivery_id) == "scheduled"
    row = load(factory, delivery_id)
    assert row.status == "scheduled" and row.retry_at == clock.now() + timedelta(seconds=30)
    assert alarms.armed[delivery_id] == row.retry_at
    assert runner.deliver(delivery_id) is None  # still backing off
    clock.advance(seconds=31)
    assert runner.deliver(delivery_id) == "sent"
    assert load(factory, delivery_id).attempts == 2


def test_transient_errors_never_use_a_delivery_up(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    failures = [SlackSendError("TimeoutError", permanent=False) for _ in range(20)]
    messenger = FakeMessenger(failures=failures)
    runner = runner_for(factory, clock, messenger)
    delivery_id = notice(factory, clock)
    outcomes = []
    for _ in range(21):
        outcomes.append(runner.deliver(delivery_id))
        clock.advance(hours=1)
    assert outcomes == ["scheduled"] * 20 + ["sent"]
    assert messenger.texts_to("U1") == ["hello n1"]


def test_back_off_is_capped_at_a_few_minutes(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    failures = [SlackSendError("http_503", permanent=False) for _ in range(8)]
    runner = runner_for(factory, clock, FakeMessenger(failures=failures))
    delivery_id = notice(factory, clock)
    waits = []
    for _ in range(8):
        clock.advance(hours=1)  # past any back-off and any open breaker
        runner.deliver(delivery_id)
        row = load(factory, delivery_id)
        assert row.retry_at is not None
        waits.append((row.retry_at - clock.now()).total_seconds())
    assert waits == [30, 60, 120, 240, 240, 240, 240, 240]


def test_only_the_lateness_policy_ends_a_transiently_failing_delivery(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    kind = DeliveryKind(
        name="agenda_reminder",
        render=lambda session, delivery: OutgoingMessage(text="agenda"),
        lateness=LatenessPolicy(timedelta(minutes=10), reason="the session has started"),
    )
    failures = [SlackSendError("http_503", permanent=False) for _ in range(50)]
    messenger = FakeMessenger(failures=failures)
    runner = runner_for(factory, clock, messenger, kinds=make_kinds(kind))
    delivery_id = notice(factory, clock, kind="agenda_reminder")
    outcomes = []
    while (outcome := runner.deliver(delivery_id)) != "skipped":
        outcomes.append(outcome)
        clock.advance(minutes=5)
    assert set(outcomes) == {"scheduled"}
    row = load(factory, delivery_id)
    assert row.last_error == "the session has started (http_503)"
    # the coordinator is told, once Slack takes messages again
    messenger.failures.clear()
    clock.advance(minutes=5)
    runner.sweep()
    [text] = messenger.texts_to("UCOORD")
    assert "was skipped" in text and "the session has started" in text


def test_breaker_pauses_every_send_then_one_probe_reopens_the_flow(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    ids = [notice(factory, clock, f"b{i}") for i in range(6)]
    failures = [SlackSendError("http_503", permanent=False) for _ in range(4)]
    messenger = FakeMessenger(failures=failures)
    breaker = CircuitBreaker(threshold=3, open_for=timedelta(seconds=15))
    runner = runner_for(factory, clock, messenger, breaker=breaker)
    assert [runner.deliver(i) for i in ids[:3]] == ["scheduled"] * 3
    assert runner.slack_state() == "unavailable"
    # open: nobody claims anything (attempts stay 0), nothing is retried
    assert runner.deliver(ids[3]) is None
    assert load(factory, ids[3]).attempts == 0
    clock.advance(seconds=16)
    # half-open: the first delivery tried is the probe; it fails and the breaker reopens
    assert runner.deliver(ids[3]) == "scheduled"
    assert runner.slack_state() == "unavailable"
    assert runner.deliver(ids[4]) is None
    clock.advance(seconds=31)  # open twice as long after a failed probe
    assert runner.deliver(ids[4]) == "sent"
    assert runner.slack_state() == "ok"
    # recovered: what was backing off goes out now, in due order, with the rest
    assert runner.sweep(grace=timedelta(0)) == [ids[0], ids[1], ids[2], ids[3], ids[5]]
    assert [m.text for _, m in messenger.sent] == [
        "hello b4",
        "hello b0",
        "hello b1",
        "hello b2",
        "hello b3",
        "hello b5",
    ]


def test_a_database_error_after_slacks_200_sends_nothing_twice(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    delivery_id = notice(factory, clock)
    messenger = FakeMessenger()
    sleeps: list[float] = []
    runner = runner_for(factory, clock, messenger, sleeps=sleeps)
    engine = factory.kw["bind"]
    broken = {"left": 4}

    @event.listens_for(engine, "before_cursor_execute")
    def _db_restarting(
        conn: Connection,
        cursor: object,
        statement: str,
        parameters: Any,
        context: object,
        executemany: bool,
    ) -> None:
        recording = statement.startswith("UPDATE deliveries SET status") and "slack_ts" in statement
        if recording and broken["left"] > 0:
            broken["left"] -= 1
            raise OperationalError(statement, parameters, ConnectionError("db restarting"))

    try:
        assert runner.deliver(delivery_id) == "sent"
    finally:
        event.remove(engine, "before_cursor_execute", _db_restarting)
    assert len(sleeps) == 4 and sleeps == sorted(sleeps)  # backed off, then recorded
    row = load(factory, delivery_id)
    assert row.status == "sent" and row.slack_ts is not None
    # nothing is left to re-send, however long we wait
    clock.advance(minutes=10)
    assert runner.sweep() == []
    assert messenger.texts_to("U1") == ["hello n1"]


def test_lateness_policy_skips_and_escalates(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    def render(session: Session, delivery: Delivery) -> OutgoingMessage:
        return OutgoingMessage(text="agenda reminder")

    kind = DeliveryKind(
        name="agenda_reminder",
        render=render,
        lateness=LatenessPolicy(timedelta(hours=1), reason="the session has started"),
    )
    messenger = FakeMessenger()
    runner = runner_for(factory, clock, messenger, kinds=make_kinds(kind))
    delivery_id = notice(factory, clock, kind="agenda_reminder")
    clock.advance(hours=2)
    assert runner.deliver(delivery_id) is None
    row = load(factory, delivery_id)
    assert (row.status, row.last_error) == ("skipped", "the session has started")
    clock.advance(seconds=10)
    assert len(runner.sweep()) == 1  # the escalation notice goes out
    [text] = messenger.texts_to("UCOORD")
    assert "was skipped" in text and "the session has started" in text
    assert messenger.texts_to("U1") == []


def test_render_none_means_no_longer_needed(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    kind = DeliveryKind(name="nothing_to_say", render=lambda session, delivery: None)
    messenger = FakeMessenger()
    runner = runner_for(factory, clock, messenger, kinds=make_kinds(kind))
    delivery_id = notice(factory, clock, kind="nothing_to_say")
    runner.deliver(delivery_id)
    assert load(factory, delivery_id).status == "skipped"
    assert messenger.sent == []


def test_cancel_and_move_by_subject(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    with transaction(factory) as session:
        ids = [
            deliveries.schedule(
                session,
                key=f"s:{i}",
                kind="notice",
                target="U1",
                due_at=clock.now() + timedelta(days=i + 1),
                now=clock.now(),
                subject=("session", 7),
                payload={"text": "x"},
            ).id
            for i in range(3)
        ]
    with transaction(factory) as session:
        row = session.get(Delivery, ids[0])
        assert row is not None
        deliveries.move(
            session, delivery=row, due_at=clock.now() + timedelta(days=9), now=clock.now()
        )
    assert alarms.armed[ids[0]] == clock.now() + timedelta(days=9)
    with transaction(factory) as session:
        assert (
            sorted(deliveries.cancel_subject(session, subject=("session", 7), now=clock.now()))
            == ids
        )
    clock.advance(days=30)
    messenger = FakeMessenger()
    runner = runner_for(factory, clock, messenger)
    assert runner.sweep() == []
    assert messenger.sent == []
    assert {load(factory, i).status for i in ids} == {"cancelled"}


def test_rolled_back_schedule_arms_nothing(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as session:
        deliveries.schedule(
            session, key="gone", kind="notice", target="U1", due_at=clock.now(), now=clock.now()
        )
        raise RuntimeError("the surrounding use case failed")
    assert alarms.armed == {}
    with transaction(factory) as session:
        assert session.scalars(select(Delivery)).all() == []


def test_sweep_redrives_an_expired_claim(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    delivery_id = notice(factory, clock)
    # a worker claimed it and died before recording anything
    with transaction(factory) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.status, row.claimed_by, row.attempts = "sending", "dead", 1
        row.lease_until = clock.now() + timedelta(seconds=30)
    messenger = FakeMessenger()
    runner = runner_for(factory, clock, messenger)
    assert runner.sweep() == []  # the lease still holds
    clock.advance(seconds=31)
    assert runner.sweep() == [delivery_id]
    assert messenger.texts_to("U1") == ["hello n1"]
    assert load(factory, delivery_id).attempts == 2


def test_sweep_leaves_fresh_rows_to_their_alarm(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    delivery_id = notice(factory, clock)
    messenger = FakeMessenger()
    runner = runner_for(factory, clock, messenger)
    assert runner.sweep() == []
    clock.advance(seconds=6)
    assert runner.sweep() == [delivery_id]


def test_two_runners_racing_send_each_delivery_once(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    ids = [notice(factory, clock, f"race{i}") for i in range(20)]
    messenger = FakeMessenger()
    runners = [runner_for(factory, clock, messenger, worker=f"w{n}") for n in range(2)]
    barrier = threading.Barrier(2)

    def work(runner: DeliveryRunner) -> None:
        barrier.wait()
        for delivery_id in ids:
            runner.deliver(delivery_id)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.text for _, m in messenger.sent) == sorted(f"hello race{i}" for i in range(20))
    with transaction(factory) as session:
        assert {r.status for r in session.scalars(select(Delivery))} == {"sent"}


def test_coordinator_retry_requeues_a_failed_delivery(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    messenger = FakeMessenger(failures=[SlackSendError("channel_not_found", permanent=True)])
    runner = runner_for(factory, clock, messenger)
    delivery_id = notice(factory, clock, escalate_to=None)
    runner.deliver(delivery_id)
    assert runner.retry(delivery_id) is True
    assert runner.retry(delivery_id) is False  # already queued again
    assert runner.deliver(delivery_id) == "sent"


def test_a_probe_that_crashes_does_not_keep_the_breaker_shut(
    factory: sessionmaker[Session], clock: FakeClock, alarms: FakeAlarms
) -> None:
    class Crashing(FakeMessenger):
        crash = True

        def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
            if self.crash:
                self.crash = False
                raise RuntimeError("a bug, not Slack")
            return super().post(target, message)

    ids = [notice(factory, clock, f"c{i}") for i in range(2)]
    breaker = CircuitBreaker(threshold=1, open_for=timedelta(seconds=5))
    breaker.failure(clock.now())
    messenger = Crashing()
    runner = runner_for(factory, clock, messenger, breaker=breaker)
    clock.advance(seconds=6)
    with pytest.raises(RuntimeError):
        runner.deliver(ids[0])
    assert runner.deliver(ids[1]) == "sent"  # the next probe may go
    assert runner.slack_state() == "ok"
