"""Benchmark: a burst of DMs, all due now, against a rate-limited Slack (run by hand).

    .venv/bin/python benchmarks/burst.py [--count 2000] [--ceiling 20] [--database-url URL]
    .venv/bin/python benchmarks/burst.py --quick      # a smoke run: 100 DMs

A whole local cobot (cobot.sandbox.stack.LocalStack: the real Runtime, alarm clock,
DeliveryRunner and Home refresher) is given ``--count`` deliveries to distinct people, all
due now, scheduled in one transaction as a service would (each arms its alarm on commit).
The emulator keeps Slack's per-method tiers and per-channel limit and imposes a
workspace-wide ceiling on chat.postMessage (``--ceiling`` per second, a one-second burst),
answering 429 with Retry-After beyond it. When every delivery has ended (or ``--timeout``),
prints the achieved send rate against the ceiling (goal: at least 90%), lost deliveries
(no message ever reached the recipient, whatever the ledger says), duplicates (more than
one message for one delivery's idempotency key), the ledger's statuses and the 429s Slack
answered, per method.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from datetime import UTC
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

TERMINAL = ("sent", "failed", "skipped", "cancelled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="DMs in the burst")
    parser.add_argument(
        "--ceiling", type=float, default=20.0, help="chat.postMessage per second, workspace"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (seconds)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 DMs, 50/s")
    args = parser.parse_args()
    if args.quick:
        args.count, args.ceiling, args.timeout = 100, 50.0, 60.0
    logging.basicConfig(level=logging.ERROR)

    from sqlalchemy import func
    from sqlalchemy import select

    from cobot.sandbox.stack import BOT_TOKEN
    from cobot.sandbox.stack import LocalStack
    from cobot.sandbox.webapi import SlackEmulator
    from cobot.services import deliveries
    from cobot.storage.db import transaction
    from cobot.storage.models.core import Delivery

    url = args.database_url or harness.sqlite_url("burst")
    emulator = SlackEmulator(
        bot_token=BOT_TOKEN,
        method_limits={"chat.postMessage": args.ceiling * 60},
        method_bursts={"chat.postMessage": args.ceiling},
    )
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    people = [f"UB{n:05d}" for n in range(args.count)]
    for user in people:
        emulator.add_user(user, name=user.lower())
    with LocalStack(database_url=url, emulator=emulator) as stack:
        runtime = stack.runtime
        assert runtime is not None
        started = time.monotonic()
        with transaction(runtime.factory) as session:
            now = runtime.clock.now()
            for n, user in enumerate(people):
                deliveries.schedule(
                    session,
                    key=f"burst:{run}:{n}",
                    kind="notice",
                    target=user,
                    due_at=now,
                    now=now,
                    payload={"text": f"burst {run} #{n}"},
                )
        scheduled = time.monotonic() - started
        statuses: Counter[str] = Counter()
        while time.monotonic() - started < args.timeout:
            with transaction(runtime.factory) as session:
                statuses = Counter(
                    dict(
                        session.execute(  # type: ignore[arg-type]
                            select(Delivery.status, func.count())
                            .where(Delivery.idempotency_key.like(f"burst:{run}:%"))
                            .group_by(Delivery.status)
                        ).all()
                    )
                )
            if sum(statuses[s] for s in TERMINAL) >= args.count:
                break
            time.sleep(0.5)
        finished = time.monotonic() - started
        time.sleep(2)  # let late Home publishes land before counting
        calls = emulator.calls
    posts = [c for c in calls if c.method == "chat.postMessage"]
    accepted = sorted(c.at for c in posts if c.status == 200)
    per_delivery = Counter(str(c.args.get("text", "")) for c in posts if c.status == 200)
    texts = {f"burst {run} #{n}" for n in range(args.count)}
    duplicates = sum(n - 1 for text, n in per_delivery.items() if text in texts and n > 1)
    lost = sum(1 for text in texts if per_delivery[text] == 0)
    window = accepted[-1] - accepted[0] if len(accepted) > 1 else float("nan")
    # the bucket starts full: in T seconds Slack accepts at most burst + ceiling * T
    rate = max(len(accepted) - args.ceiling, 0) / window if len(accepted) > 1 else float("nan")
    overall = len(accepted) / finished if finished else float("nan")
    limited = Counter(c.method for c in calls if c.status == 429)
    by_method = Counter(c.method for c in calls)

    print(
        f"database: {url.split(':', 1)[0]}; {args.count} DMs due now; ceiling "
        f"{args.ceiling:.0f} chat.postMessage/s (burst {args.ceiling:.0f}); "
        f"scheduled in {scheduled:.2f} s"
    )
    print(
        f"all ended after {finished:.1f} s"
        if sum(statuses[s] for s in TERMINAL) >= args.count
        else f"NOT all ended within the {args.timeout:.0f} s timeout"
    )
    print(
        f"achieved: {rate:.1f} msg/s after the burst, first to last accepted post "
        f"= {100 * rate / args.ceiling:.0f}% of the ceiling (goal >= 90%); "
        f"{overall:.1f} msg/s from scheduling to the end"
    )
    print(
        f"accepted posts: {len(accepted)}; lost (never arrived): {lost}; duplicates: {duplicates}"
    )
    print("ledger: " + ", ".join(f"{s} {n}" for s, n in sorted(statuses.items())))
    print(
        "calls (429s): "
        + ", ".join(f"{m} {n} ({limited[m]})" for m, n in sorted(by_method.items()))
    )


if __name__ == "__main__":
    main()
