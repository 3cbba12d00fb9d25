"""Deliveries reach people through the real WebClient and the emulator's Web API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import LocalStack
from cobot.services import deliveries
from cobot.storage.db import transaction
from cobot.storage.models import Delivery


def send_notice(
    stack: LocalStack,
    key: str,
    target: str,
    text: str,
    *,
    project_id: int | None = None,
    escalate_to: str | None = "UCOORD",
) -> int:
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as session:
        return deliveries.schedule(
            session,
            key=key,
            kind="notice",
            target=target,
            due_at=now,
            now=now,
            project_id=project_id,
            payload={"text": text},
            escalate_to=escalate_to,
        ).id


def row(stack: LocalStack, delivery_id: int) -> Delivery:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        found = session.get(Delivery, delivery_id)
        assert found is not None
        return found


def wait_status(stack: LocalStack, delivery_id: int, status: str, timeout: float = 15) -> Delivery:
    """The delivery once it has `status` (failing, after `timeout`, with what it has)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = row(stack, delivery_id)
        if current.status == status:
            return current
        time.sleep(0.05)
    current = row(stack, delivery_id)
    raise AssertionError(
        f"delivery {delivery_id} is {current.status} ({current.last_error}), not {status}"
    )


def test_a_due_notice_reaches_the_person_and_its_ts_is_kept(stack: LocalStack) -> None:
    delivery_id = send_notice(stack, "hello", "UPART", "Your first session is on Monday.")
    sent = wait_status(stack, delivery_id, "sent")
    [message] = stack.emulator.messages("UPART")
    assert message["text"] == "Your first session is on Monday."
    assert sent.slack_ts == message["ts"]
    assert sent.slack_channel == stack.emulator.im_channel("UPART")


def test_permanent_error_is_not_retried_and_the_coordinator_is_told(stack: LocalStack) -> None:
    stack.emulator.fail_next("chat.postMessage", "channel_not_found")
    delivery_id = send_notice(stack, "lost", "C0GONE", "Agenda for session 2")
    failed = wait_status(stack, delivery_id, "failed")
    assert failed.last_error == "channel_not_found" and failed.attempts == 1
    stack.emulator.wait_for(
        "chat.postMessage", where=lambda call: call.args.get("channel") == "UCOORD"
    )
    [warning] = stack.emulator.messages("UCOORD")
    assert "<#C0GONE>" in warning["text"] and "channel_not_found" in warning["text"]
    tries = [
        c for c in stack.emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0GONE"
    ]
    assert len(tries) == 1


def test_a_deactivated_account_fails_with_its_reason(stack: LocalStack) -> None:
    stack.emulator.add_user("ULEFT", name="left", deleted=True)
    delivery_id = send_notice(stack, "left", "ULEFT", "Check-in")
    assert wait_status(stack, delivery_id, "failed").last_error == "account_inactive"


def test_429_is_waited_out_and_the_message_sent_once(stack: LocalStack) -> None:
    stack.emulator.rate_limit_next("chat.postMessage", retry_after=1)
    delivery_id = send_notice(stack, "busy", "UPART", "Reminder")
    wait_status(stack, delivery_id, "sent")
    statuses = [c.status for c in stack.emulator.calls_to("chat.postMessage")]
    assert statuses == [429, 200]
    assert len(stack.emulator.messages("UPART")) == 1


def test_server_errors_are_retried(stack: LocalStack) -> None:
    stack.emulator.server_error_next("chat.postMessage", status=503)
    delivery_id = send_notice(stack, "flaky", "UPART", "Reminder")
    wait_status(stack, delivery_id, "sent")
    assert [c.status for c in stack.emulator.calls_to("chat.postMessage")] == [503, 200]
    assert len(stack.emulator.messages("UPART")) == 1


PEOPLE = [f"UOUT{n}" for n in range(10)]


def readiness(stack: LocalStack) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{stack.base_url}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_15_minute_slack_outage_loses_nothing_and_sends_in_due_order(
    database_url: str,
) -> None:
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    with LocalStack(database_url=database_url, clock=clock, sweep_interval=0.2) as stack:
        assert stack.runtime is not None
        for user in PEOPLE:
            stack.emulator.add_user(user, name=user.lower())
        start = clock.now()
        # ten messages owed, one every 90 s across the outage
        with transaction(stack.runtime.factory) as session:
            for n, user in enumerate(PEOPLE):
                deliveries.schedule(
                    session,
                    key=f"outage{n}",
                    kind="notice",
                    target=user,
                    due_at=start + timedelta(seconds=30 + 90 * n),
                    now=start,
                    payload={"text": f"owed {n}"},
                )
        stack.emulator.start_outage()
        # the first sends fail (each after the client's own 5xx retries); the breaker opens
        deadline = time.monotonic() + 30
        while readiness(stack)[0] != 503:
            assert time.monotonic() < deadline, "the breaker never opened"
            clock.advance(timedelta(seconds=30))
            time.sleep(0.5)
        # the rest of a 15-minute outage, 30 s of it per 0.3 s of real time
        while clock.now() < start + timedelta(minutes=15):
            clock.advance(timedelta(seconds=30))
            time.sleep(0.3)
            status, body = readiness(stack)
            assert status == 503 and body["ok"] is False, body
            assert body["slack"] in ("unavailable", "probing"), body
        with transaction(stack.runtime.factory) as session:
            statuses = {r.status for r in session.scalars(select(Delivery))}
        # nothing failed, nothing gave up (a probe may be on the wire)
        assert statuses <= {"scheduled", "sending"}
        attempts = len(stack.emulator.calls_to("chat.postMessage"))
        assert attempts < 60  # the breaker paused sending: no thundering retries
        stack.emulator.end_outage()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            clock.advance(timedelta(seconds=30))
            time.sleep(0.3)
            with transaction(stack.runtime.factory) as session:
                if {r.status for r in session.scalars(select(Delivery))} == {"sent"}:
                    break
        posted = [c for c in stack.emulator.calls_to("chat.postMessage") if c.status == 200]
        # everything owed went out once, in the order it was due
        assert [c.args["text"] for c in posted] == [f"owed {n}" for n in range(10)]
        for user in PEOPLE:
            assert len(stack.emulator.messages(stack.emulator.im_channel(user))) == 1
        assert readiness(stack) == (
            200,
            {
                "ok": True,
                "database": "ok",
                "migrations": "current",
                "slack": "ok",
                "scheduler": "leader",
                "leader": "this process",
            },
        )
