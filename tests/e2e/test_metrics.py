"""GET /metrics as Prometheus scrapes it: the figures move when a delivery fails, when Slack
is down (the oldest overdue delivery ages) and when Slack rate-limits (429s and the wait)."""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import LocalStack
from cobot.services import deliveries
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.polling import wait_until

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(stack: LocalStack) -> Samples:
    """Every sample, parsed by prometheus-client's own parser."""
    with urllib.request.urlopen(f"{stack.base_url}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return (name, frozenset(labels.items()))


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; one not exported fails the test (a figure at 0 is exported as 0)."""
    found = samples.get(key(name, **labels))
    if found is None:
        exported = [dict(k) for n, k in samples if n == name]
        raise AssertionError(f"{name} {labels} is not exported; {name} has {exported}")
    return found


def owe(stack: LocalStack, key: str, *, now: datetime | None = None) -> int:
    assert stack.runtime is not None
    now = now or datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        return deliveries.schedule(
            db,
            key=key,
            kind="notice",
            target="UPART",
            due_at=now,
            now=now,
            payload={"text": "See you on Monday."},
        ).id


def status_of(stack: LocalStack, delivery_id: int) -> str:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        return str(db.scalar(select(Delivery.status).where(Delivery.id == delivery_id)))


def test_a_failed_delivery_moves_the_ledger_error_and_latency_figures(stack: LocalStack) -> None:
    before = scrape(stack)
    assert value(before, "cobot_scheduler_leader") == 1
    assert value(before, "cobot_database_up") == 1
    # the ledger holds no failed notice yet: there is no such series to read
    assert key("cobot_deliveries", kind="notice", status="failed") not in before
    stack.emulator.fail_next("chat.postMessage", "channel_not_found")
    failed = owe(stack, "fails")
    wait_until(lambda: status_of(stack, failed) == "failed", 20, "the delivery failing")
    sent = owe(stack, "goes")
    wait_until(lambda: status_of(stack, sent) == "sent", 20, "the next one going")
    after = scrape(stack)
    assert value(after, "cobot_deliveries", kind="notice", status="failed") == 1
    assert value(after, "cobot_deliveries", kind="notice", status="sent") == 1
    errors = "cobot_slack_api_errors_total"
    assert value(after, errors, method="chat.postMessage", error="channel_not_found") == 1
    latency = "cobot_delivery_send_seconds_count"
    assert value(after, latency, outcome="channel_not_found") == 1
    assert value(after, latency, outcome="sent") == 1
    assert value(after, "cobot_delivery_send_seconds_sum", outcome="sent") > 0
    # the first scrape was answered, and counted, before the second
    requests = "cobot_http_request_seconds_count"
    assert value(after, requests, route="metrics", status="200") >= 1
    assert value(after, "cobot_delivery_oldest_overdue_seconds") == 0


def test_an_outage_ages_the_oldest_overdue_delivery_and_429s_are_counted(
    database_url: str,
) -> None:
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    with LocalStack(database_url=database_url, clock=clock, sweep_interval=0.2) as stack:
        stack.emulator.add_user("UPART", name="pat")
        errors = "cobot_slack_api_errors_total"
        stack.emulator.start_outage()
        owed = owe(stack, "during-outage", now=clock.now())
        unavailable = key(errors, method="chat.postMessage", error="service_unavailable")
        wait_until(lambda: scrape(stack).get(unavailable, 0) >= 1, 20, "Slack's 503s counted")
        assert status_of(stack, owed) == "scheduled"  # backing off, not given up
        clock.advance(timedelta(minutes=5))
        assert value(scrape(stack), "cobot_delivery_oldest_overdue_seconds") >= 300
        stack.emulator.end_outage()
        # Slack is back but busy: one 429, waited out (for real: the gate keeps real time)
        stack.emulator.rate_limit_next("chat.postMessage", retry_after=1)

        def sent() -> bool:
            clock.advance(timedelta(seconds=30))
            time.sleep(0.2)
            return status_of(stack, owed) == "sent"

        wait_until(sent, 20, "the owed message going once Slack is back")
        samples = scrape(stack)
        assert value(samples, "cobot_slack_rate_limited_total", method="chat.postMessage") == 1
        waited = value(
            samples, "cobot_slack_rate_limit_wait_seconds_total", method="chat.postMessage"
        )
        assert waited >= 0.9
        assert value(samples, "cobot_delivery_oldest_overdue_seconds") == 0
