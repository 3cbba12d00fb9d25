"""Benchmark: how long `cobot run` takes to become healthy with pending deliveries (by hand).

    .venv/bin/python benchmarks/startup.py [--database sqlite|postgresql] \\
        [--sizes 0,10000,100000] [--timeout 120] [--postgres-url URL]
    .venv/bin/python benchmarks/startup.py --quick      # a smoke run: 0 and 200 pending

For each size, a fresh migrated database (a SQLite file, or a new schema in the PostgreSQL
database of ``--postgres-url``/``COBOT_BENCH_POSTGRES_URL``) gets that many scheduled
deliveries, due over the next 30 days, inserted with bulk SQL (executemany), not through
the service. Then `python -m cobot run` is launched as an operator would (HTTP mode,
against the Slack emulator) and timed from process launch to the first `GET /healthz`
200; its RSS is read then, and the APScheduler job table's rows and size are printed. The
same database is started once more (a restart, with whatever the first start left in the
job table). A start that is not healthy within ``--timeout`` seconds is stopped and shown
as "> timeout". Asserts nothing; the goal is under 3 s at 100,000 on both databases.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/cobot_bench"
JOBS_TABLE = "apscheduler_jobs"
CHUNK = 5000


def insert_pending(url: str, count: int) -> float:
    """Insert ``count`` scheduled deliveries with executemany; return the seconds it took."""
    from sqlalchemy import insert

    from cobot.storage.db import create_db_engine
    from cobot.storage.models.core import Delivery

    engine = create_db_engine(url)
    now = datetime.now(UTC)
    spread = timedelta(days=30).total_seconds()
    started = time.perf_counter()
    with engine.begin() as conn:
        for first in range(0, count, CHUNK):
            conn.execute(
                insert(Delivery.__table__),  # type: ignore[arg-type]
                [
                    {
                        "idempotency_key": f"startup:{n}",
                        "kind": "notice",
                        "target": f"U{n:07d}",
                        "payload": {"text": f"pending {n}"},
                        "due_at": now + timedelta(seconds=60 + spread * n / max(count, 1)),
                        "status": "scheduled",
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(first, min(first + CHUNK, count))
                ],
            )
    took = time.perf_counter() - started
    engine.dispose()
    return took


def job_table(url: str) -> str:
    """The APScheduler job table's row count and size, as text."""
    from sqlalchemy import inspect
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from cobot.storage.db import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(JOBS_TABLE):
                return "no job table"
            rows = conn.execute(text(f"SELECT count(*) FROM {JOBS_TABLE}")).scalar_one()
            if engine.dialect.name == "postgresql":
                size = conn.execute(
                    text("SELECT pg_total_relation_size(:t)"), {"t": JOBS_TABLE}
                ).scalar_one()
                where = "table+indexes"
            else:
                size = conn.execute(
                    text(f"SELECT coalesce(sum(length(job_state)), 0) FROM {JOBS_TABLE}")
                ).scalar_one()
                where = "pickled job_state"
            return f"{rows} rows, {int(size) / 1e6:.2f} MB {where}"
    except SQLAlchemyError as exc:
        return f"could not read the job table ({type(exc).__name__})"
    finally:
        engine.dispose()


def start_once(env: dict[str, str], *, timeout: float, log: Path) -> tuple[str, str]:
    """Launch `cobot run`; return (time to healthy, RSS) as printable text."""
    port = harness.free_port()
    launched = time.monotonic()
    process = harness.cobot_run(env, port=port, log=log)
    try:
        healthy = harness.wait_healthy(port, timeout=timeout, process=process)
        if healthy is None:
            if process.poll() is not None:
                return f"exited ({process.returncode}), see {log}", "-"
            return f"> {timeout:.0f} s", "-"
        took = time.monotonic() - launched
        rss = harness.rss_mb(process.pid)
        return f"{took:.2f} s", f"{rss:.0f} MB" if rss is not None else "-"
    finally:
        harness.stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COBOT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL database this benchmark may create schemas in",
    )
    parser.add_argument("--sizes", default="0,10000,100000", help="pending deliveries, commas")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per start")
    parser.add_argument("--no-restart", action="store_true", help="time the first start only")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 0 and 200 pending")
    args = parser.parse_args()
    sizes = [0, 200] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.timeout = min(args.timeout, 60.0)

    from sqlalchemy import create_engine
    from sqlalchemy import text

    from cobot.sandbox.stack import BOT_TOKEN
    from cobot.sandbox.stack import LocalStack
    from cobot.sandbox.webapi import SlackEmulator
    from cobot.storage.migrate import upgrade

    logs = Path(tempfile.mkdtemp(prefix="cobot-bench-startup-logs-"))
    emulator = SlackEmulator(bot_token=BOT_TOKEN)
    emulator.start()
    print(
        f"database: {args.database}; timeout {args.timeout:.0f} s per start; "
        f"from process launch to GET /healthz 200"
    )
    print(
        f"{'pending':>8}  {'insert':>8}  {'start':>12} {'RSS':>7}  {'restart':>12} {'RSS':>7}  jobs"
    )
    try:
        for size in sizes:
            schema = None
            if args.database == "postgresql":
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                sep = "&" if "?" in args.postgres_url else "?"
                url = f"{args.postgres_url}{sep}options={quote(f'-csearch_path={schema}')}"
            else:
                url = harness.sqlite_url("startup")
            try:
                upgrade(url)
                inserted = insert_pending(url, size)
                env = LocalStack(database_url=url, emulator=emulator).env()
                first, first_rss = start_once(
                    env, timeout=args.timeout, log=logs / f"{size}-first.log"
                )
                jobs = job_table(url)
                if args.no_restart or not first.endswith(" s") or first.startswith(">"):
                    again, again_rss = "-", "-"
                else:
                    again, again_rss = start_once(
                        env, timeout=args.timeout, log=logs / f"{size}-restart.log"
                    )
                print(
                    f"{size:8d}  {inserted:7.2f}s  {first:>12} {first_rss:>7}  "
                    f"{again:>12} {again_rss:>7}  {jobs}",
                    flush=True,
                )
            finally:
                if schema is not None:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
    finally:
        emulator.stop()
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
