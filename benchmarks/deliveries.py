"""Benchmark: how fast the ledger schedules, claims and records deliveries (run by hand).

    .venv/bin/python benchmarks/deliveries.py [--count 2000] [--database-url URL]

Prints figures; asserts nothing. The Slack side is an in-memory messenger, so this measures
cobot's own cost per message (database round trips), not Slack's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC
from datetime import datetime

from cobot.services import deliveries
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SystemClock
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.migrate import upgrade


class NullMessenger:
    def __init__(self) -> None:
        self.count = 0

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        self.count += 1
        return PostedMessage(channel=f"D{target}", ts=f"{self.count}.000000")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    clock = SystemClock()
    kinds = DeliveryKinds()
    deliveries.register_all(kinds, deliveries.core_kinds())
    messenger = NullMessenger()
    runner = DeliveryRunner(
        factory=factory, clock=clock, messenger=messenger, kinds=kinds, worker_id="bench"
    )
    run = datetime.now(UTC).timestamp()

    started = time.perf_counter()
    with transaction(factory) as session:
        now = clock.now()
        ids = [
            deliveries.schedule(
                session,
                key=f"bench:{run}:{n}",
                kind="notice",
                target=f"U{n:05d}",
                due_at=now,
                now=now,
                payload={"text": "hello"},
            ).id
            for n in range(args.count)
        ]
    scheduled = time.perf_counter() - started

    started = time.perf_counter()
    for delivery_id in ids:
        runner.deliver(delivery_id)
    delivered = time.perf_counter() - started
    engine.dispose()

    print(f"database: {engine.dialect.name}, deliveries: {args.count}")
    print(f"schedule: {scheduled:.2f} s in one transaction ({args.count / scheduled:.0f}/s)")
    print(
        f"claim+send+record: {delivered:.2f} s "
        f"({args.count / delivered:.0f}/s, {1000 * delivered / args.count:.2f} ms each)"
    )
    assert messenger.count == args.count


if __name__ == "__main__":
    main()
