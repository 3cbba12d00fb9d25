"""What an operator watches: GET /metrics in Prometheus' text format (prometheus-client).

One `Metrics` per Runtime, on its own CollectorRegistry (never the global one), so tests and
several runtimes in one process do not mix their figures. Counters and histograms are fed
as things happen (a send, a Slack error, a 429, a request); the ledger's figures and the
scheduler's leadership are read when Prometheus scrapes, the ledger's in one grouped query.
No label ever holds personal text: kinds, statuses, Slack method names and error codes,
and fixed route names (never a request path: a calendar feed's path is a secret).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.deliveries import DeliveryStatus
from cobot.services.ports import Clock
from cobot.services.ports import Messenger
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SlackSendError
from cobot.storage.db import read_only
from cobot.storage.models import Delivery

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# a send is one chat.postMessage (or a file upload), the client's own retries included
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# still owed: a row in either state whose due time has passed is overdue
OWED = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)


class Metrics:
    """The figures of one cobot process, and their exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.send_seconds = Histogram(
            "cobot_delivery_send_seconds",
            "Time to post one delivery to Slack, by outcome (sent, or the Slack error code)",
            ["outcome"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self.slack_errors = Counter(
            "cobot_slack_api_errors",
            "Slack Web API calls that failed, by method and error code",
            ["method", "error"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "cobot_slack_rate_limited",
            "429 answers from Slack, by method",
            ["method"],
            registry=self.registry,
        )
        self.rate_limit_wait = Counter(
            "cobot_slack_rate_limit_wait_seconds",
            "Seconds callers spent waiting out Slack's 429 holds, by method",
            ["method"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "cobot_http_request_seconds",
            "Time to answer an HTTP request, by route and status",
            ["route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )

    # -- fed as things happen (the observers web.py and http.py call) --------------------

    def api_error(self, method: str, error: str) -> None:
        """A Slack Web API call failed with `error` (Slack's code, or the exception type)."""
        self.slack_errors.labels(method=method, error=error[:60]).inc()

    def rate_limited_by(self, method: str, seconds: float) -> None:  # noqa: ARG002
        """Slack answered 429 to `method` (and said to wait `seconds`)."""
        self.rate_limited.labels(method=method).inc()

    def waited(self, method: str, seconds: float) -> None:
        """A caller waited `seconds` at the rate gate because of a 429 hold."""
        self.rate_limit_wait.labels(method=method).inc(seconds)

    def request(self, route: str, status: int, seconds: float) -> None:
        """An HTTP request to `route` was answered `status` in `seconds`."""
        self.request_seconds.labels(route=route, status=str(status)).observe(seconds)

    # -- read at scrape time ----------------------------------------------------------------

    def watch_ledger(self, factory: sessionmaker[Session], clock: Clock) -> None:
        """Deliveries by kind and status, and the oldest overdue one, at every scrape."""
        self.registry.register(LedgerCollector(factory, clock))

    def watch_scheduler(self, state: Callable[[], str]) -> None:
        """The scheduler's state ("leader", "standby", "starting") at every scrape."""
        self.registry.register(SchedulerCollector(state))

    def exposition(self) -> bytes:
        """Everything, in Prometheus' text format."""
        return bytes(generate_latest(self.registry))


class TimedMessenger:
    """A Messenger that times every post into the send-latency histogram."""

    def __init__(self, messenger: Messenger, metrics: Metrics) -> None:
        self._messenger = messenger
        self._metrics = metrics

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        started = time.perf_counter()
        outcome = "sent"
        try:
            return self._messenger.post(target, message)
        except SlackSendError as exc:
            outcome = exc.error[:60]
            raise
        finally:
            self._metrics.send_seconds.labels(outcome=outcome).observe(
                time.perf_counter() - started
            )


class LedgerCollector(Collector):
    """The ledger as Prometheus sees it: one grouped query per scrape (count and earliest
    due time per kind and status, on the (status, due_at) index's columns)."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory = factory
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock.now()
        up = GaugeMetricFamily(
            "cobot_database_up", "Whether the last scrape could read the deliveries ledger"
        )
        try:
            with read_only(self._factory) as db:
                rows = db.execute(
                    select(
                        Delivery.kind,
                        Delivery.status,
                        func.count(),
                        func.min(Delivery.due_at),
                    ).group_by(Delivery.kind, Delivery.status)
                ).all()
        except SQLAlchemyError as exc:
            log.warning("metrics: the ledger could not be read (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        counts = GaugeMetricFamily(
            "cobot_deliveries",
            "Deliveries in the ledger, by kind and status",
            labels=["kind", "status"],
        )
        oldest: datetime | None = None
        for kind, status, count, earliest in rows:
            counts.add_metric([str(kind), str(status)], int(count))
            if status in OWED and earliest is not None and earliest <= now:
                oldest = earliest if oldest is None else min(oldest, earliest)
        yield counts
        age = GaugeMetricFamily(
            "cobot_delivery_oldest_overdue_seconds",
            "How long the oldest delivery still owed has been due (0: none overdue)",
        )
        age.add_metric([], (now - oldest).total_seconds() if oldest is not None else 0.0)
        yield age


class SchedulerCollector(Collector):
    """Whether this process leads the scheduler (1) or stands by (0)."""

    def __init__(self, state: Callable[[], str]) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        state = self._state()
        leader = GaugeMetricFamily(
            "cobot_scheduler_leader", "1 while this process leads the scheduler, else 0"
        )
        leader.add_metric([], 1 if state == "leader" else 0)
        yield leader
        states = GaugeMetricFamily(
            "cobot_scheduler_state", "This process's scheduler state", labels=["state"]
        )
        for name in ("leader", "standby", "starting"):
            states.add_metric([name], 1 if state == name else 0)
        yield states
