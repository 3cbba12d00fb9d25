"""Benchmark: how fast cobot acks Slack, against a bare Bolt app on the same server (by hand).

    .venv/bin/python benchmarks/ack.py [--clients 50] [--requests 1000] [--database-url URL]
    .venv/bin/python benchmarks/ack.py --quick      # a smoke run: 5 clients, 40 requests

Both apps run as real HTTP servers on loopback, in their own processes, on cobot's waitress
setup (slack/http.py: same thread count, same signature check): cobot as an operator runs
it (`python -m cobot run`, a project of 20 sessions and its people seeded in the database),
and a Bolt app whose listeners only ack. N concurrent clients send signed `/cobot help`,
`/cobot sessions` (the coordinator, in the project's channel) and `app_home_opened` events
(rotating through the project's people), bounded by a request count and a time budget per
endpoint. Prints, side by side, ack latency p50/p99 and requests/s per endpoint, the ratio
cobot/bare (the goal is within 1.25x) and the requests past Slack's 3-second deadline or
not answered 200. The emulator answering cobot's own Slack calls keeps Slack's rate limits.
Asserts nothing; the machine's other load shows in the figures, so compare runs made side
by side.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

BOT_TOKEN = "xoxb-sandbox"
SIGNING_SECRET = "sandbox-signing-secret"
THREADS = 8  # cobot.slack.http.HttpServer's default, which `cobot run` uses
CHANNEL = "C0HOME"


def serve_bare(port: int, threads: int, api_url: str) -> None:
    """The baseline: a Bolt app that only acks, behind cobot's own WSGI wrapper and server."""
    from slack_bolt import Ack
    from slack_bolt import App
    from slack_sdk import WebClient

    from cobot.slack.http import CobotWsgi
    from cobot.slack.http import HttpServer

    app = App(
        signing_secret=SIGNING_SECRET,
        # Bolt asks auth.test who it is on the first request, as it does for cobot
        client=WebClient(token=BOT_TOKEN, base_url=api_url),
        token_verification_enabled=False,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.command("/cobot")
    def cobot_command(ack: Ack) -> None:
        ack(text="Hello from a bare Bolt app.")

    @app.event("app_home_opened")
    def home_opened() -> None:
        return None

    class _Seen:
        # the bare app's replay guard: a set in memory, where cobot's is a database table
        def __init__(self) -> None:
            self._seen: set[str] = set()

        def first_signature(self, digest: str) -> bool:
            if digest in self._seen:
                return False
            self._seen.add(digest)
            return True

    wsgi = CobotWsgi(app, healthy=lambda: True, signing_secret=SIGNING_SECRET, replays=_Seen())
    server = HttpServer(wsgi, host="127.0.0.1", port=port, threads=threads)
    server.serve()


@dataclass
class Run:
    """One endpoint hammered on one app."""

    latencies: list[float] = field(default_factory=list)
    not_ok: int = 0
    late: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        done = len(self.latencies)
        return done / self.elapsed if self.elapsed else 0.0


def hammer(send: Callable[[int], int], *, requests: int, clients: int, budget: float) -> Run:
    """``clients`` threads send until ``requests`` were sent or ``budget`` seconds passed."""
    run = Run()
    numbers = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + budget

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(numbers)
            if n >= requests:
                return
            started = time.perf_counter()
            try:
                status = send(n)
            except OSError:  # refused, reset or timed out: Slack would show an error
                status = 0
            took = time.perf_counter() - started
            with lock:
                run.latencies.append(took)
                run.not_ok += status != 200
                run.late += took > harness.SLACK_DEADLINE

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.elapsed = time.perf_counter() - started
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per endpoint, at most")
    parser.add_argument(
        "--threads",
        type=int,
        default=THREADS,
        help="the bare app's waitress threads (keep it at `cobot run`'s)",
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--participants", type=int, default=12)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny and short")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.threads, args.api_url)
        return
    if args.quick:
        args.clients, args.requests, args.budget = 5, 40, 10.0

    from cobot.sandbox.client import SlackClient
    from cobot.sandbox.client import app_home_opened_event
    from cobot.sandbox.stack import LocalStack
    from cobot.sandbox.webapi import SlackEmulator
    from cobot.storage import crypto
    from cobot.storage.db import create_db_engine
    from cobot.storage.db import session_factory
    from cobot.storage.migrate import upgrade
    from tests.integration.test_home import seed_project

    url = args.database_url or harness.sqlite_url("ack")
    logs = Path(tempfile.mkdtemp(prefix="cobot-bench-ack-logs-"))
    emulator = SlackEmulator(bot_token=BOT_TOKEN)
    emulator.start()
    env = LocalStack(database_url=url, emulator=emulator).env()
    upgrade(url)
    crypto.configure(crypto.parse_keys(env["COBOT_ENCRYPTION_KEYS"]))
    engine = create_db_engine(url)
    seeded = seed_project(
        session_factory(engine),
        datetime.now(UTC),
        participants=args.participants,
        sessions=args.sessions,
        channel=CHANNEL,
    )
    engine.dispose()
    people = ["UCOORD", "UTEAM", "UF1", "UF2", "UF3", *seeded.participants]
    for user in people:
        emulator.add_user(user, name=user.lower())
    emulator.add_channel(CHANNEL, name="recovery", members=people)

    cobot_port, bare_port = harness.free_port(), harness.free_port()
    processes = {
        "cobot": harness.cobot_run(env, port=cobot_port, log=logs / "cobot.log"),
        "bare": harness.launch(
            [
                sys.executable,
                __file__,
                "--serve-bare",
                str(bare_port),
                "--threads",
                str(args.threads),
                "--api-url",
                emulator.api_url,
            ],
            env={},
            log=logs / "bare.log",
        ),
    }
    ports = {"cobot": cobot_port, "bare": bare_port}
    try:
        for name, process in processes.items():
            if harness.wait_healthy(ports[name], timeout=300, process=process) is None:
                sys.exit(f"{name} did not become healthy; see {logs / (name + '.log')}")
        clients = {
            name: SlackClient(
                app_url=f"http://127.0.0.1:{port}/slack/events",
                signing_secret=SIGNING_SECRET,
                emulator=emulator,
                timeout=30,
            )
            for name, port in ports.items()
        }

        def endpoint(kind: str, client: SlackClient) -> Callable[[int], int]:
            if kind == "home":
                return lambda n: client.event(app_home_opened_event(people[n % len(people)])).status
            text = kind.removeprefix("/cobot ")
            return lambda n: (
                client.slash_command(user_id="UCOORD", text=text, channel_id=CHANNEL).status
            )

        endpoints = ("/cobot help", "/cobot sessions", "home")
        print(
            f"database: {url.split(':', 1)[0]}; {args.sessions} sessions, {len(people)} people; "
            f"{args.clients} clients, up to {args.requests} requests or {args.budget:.0f} s "
            f"per endpoint; waitress threads: {args.threads}"
        )
        print(
            f"{'endpoint':16} {'app':6} {'sent':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} "
            f"{'>3 s':>5} {'not 200':>7}"
        )
        ratios: list[str] = []
        for kind in endpoints:
            runs: dict[str, Run] = {}
            for name in ("bare", "cobot"):
                send = endpoint(kind, clients[name])
                hammer(send, requests=min(20, args.requests), clients=2, budget=10)  # warm up
                runs[name] = run = hammer(
                    send, requests=args.requests, clients=args.clients, budget=args.budget
                )
                print(
                    f"{kind:16} {name:6} {len(run.latencies):5d} "
                    f"{harness.median(run.latencies) * 1000:8.1f} "
                    f"{harness.percentile(run.latencies, 0.99) * 1000:8.1f} {run.rate:7.0f} "
                    f"{run.late:5d} {run.not_ok:7d}"
                )
            bare, cobot = runs["bare"], runs["cobot"]
            p50 = harness.median(cobot.latencies) / harness.median(bare.latencies)
            p99 = harness.percentile(cobot.latencies, 0.99) / harness.percentile(
                bare.latencies, 0.99
            )
            fewer = bare.rate / cobot.rate if cobot.rate else float("inf")
            ratios.append(f"{kind:16} p50 {p50:5.2f}x  p99 {p99:5.2f}x  req/s {fewer:5.2f}x fewer")
        print("cobot / bare (goal: within 1.25x):")
        for line in ratios:
            print(f"  {line}")
        publishes = emulator.calls_to("views.publish")
        print(
            f"cobot's views.publish calls: {len(publishes)} "
            f"({sum(c.status == 429 for c in publishes)} answered 429)"
        )
    finally:
        for process in processes.values():
            harness.stop(process)
        emulator.stop()


if __name__ == "__main__":
    main()
