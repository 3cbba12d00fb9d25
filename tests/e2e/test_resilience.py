"""Processes die and double up: no delivery is lost, none is sent twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import SIGNING_SECRET
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import deliveries
from cobot.storage import crypto
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from tests.polling import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [f"U{n:03d}" for n in range(24)]


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as running:
        for user in PEOPLE:
            running.add_user(user, name=user.lower())
        yield running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cobot_env(database_url: str, emulator: SlackEmulator) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    return {
        **clean,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "COBOT_DATABASE_URL": database_url,
        "COBOT_SLACK_API_URL": emulator.api_url,
        "COBOT_SWEEP_SECONDS": "1",
        "COBOT_DELIVERY_LEASE_SECONDS": "3",
        "COBOT_ENCRYPTION_KEYS": crypto.new_key(),
        "COBOT_PORT": str(free_port()),
    }


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def schedule_spread(database_url: str, *, first_in: float, spread: float) -> dict[str, int]:
    """Schedule one notice per person, as a Slack-facing process would (scheduler paused)."""
    env = {
        "COBOT_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "COBOT_SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    runtime = Runtime.build(Settings.from_env(env))
    runtime.start(schedule=False)
    now = datetime.now(UTC)
    ids = {}
    try:
        with transaction(runtime.factory) as session:
            for n, user in enumerate(PEOPLE):
                due = now + timedelta(seconds=first_in + spread * n / len(PEOPLE))
                ids[user] = deliveries.schedule(
                    session,
                    key=f"resilience:{user}",
                    kind="notice",
                    target=user,
                    due_at=due,
                    now=now,
                    payload={"text": f"message for {user}"},
                ).id
    finally:
        runtime.stop()
    return ids


def statuses(database_url: str) -> Counter[str]:
    engine = create_db_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            return Counter(session.scalars(select(Delivery.status)).all())
    finally:
        engine.dispose()


def delivered(emulator: SlackEmulator) -> Counter[str]:
    return Counter(
        c.args["channel"]
        for c in emulator.calls_to("chat.postMessage")
        if c.status == 200 and c.response.get("ok")
    )


def test_sigkill_while_deliveries_are_due_loses_none(
    database_url: str, emulator: SlackEmulator, tmp_path: Path
) -> None:
    schedule_spread(database_url, first_in=2.0, spread=3.0)
    emulator.slow_next("chat.postMessage", 0.25, times=len(PEOPLE) * 2)
    env = cobot_env(database_url, emulator)
    log = tmp_path / "cobot.log"
    first = spawn([sys.executable, "-m", "cobot", "run"], env, log)
    try:
        wait_until(lambda: sum(delivered(emulator).values()) >= 4, 30, "the first sends")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = statuses(database_url)
        assert at_kill["scheduled"] + at_kill["sending"] > 0, "the kill came after everything"
        sent_before = sum(delivered(emulator).values())
        second = spawn([sys.executable, "-m", "cobot", "run"], env, log)
        try:
            wait_until(
                lambda: statuses(database_url)["sent"] == len(PEOPLE),
                60,
                f"every delivery sent after restart ({log.read_text()[-2000:]})",
            )
        finally:
            stop(second)
    finally:
        stop(first)
    counts = delivered(emulator)
    assert set(counts) == set(PEOPLE), "somebody's message was lost"
    duplicates = sum(n - 1 for n in counts.values())
    # at least once: only a send in flight at the moment of the kill may be repeated
    assert duplicates <= at_kill["sending"], (counts, at_kill)
    assert sum(counts.values()) > sent_before


def test_two_schedulers_on_one_database_send_nothing_twice(
    database_url: str, emulator: SlackEmulator, tmp_path: Path
) -> None:
    schedule_spread(database_url, first_in=3.0, spread=2.0)
    env = cobot_env(database_url, emulator)
    processes = [
        spawn([sys.executable, "-m", "tests.e2e.scheduler_process"], env, tmp_path / f"s{n}.log")
        for n in range(2)
    ]
    try:
        wait_until(lambda: statuses(database_url)["sent"] == len(PEOPLE), 60, "every delivery sent")
        time.sleep(2.5)  # give a late double-send every chance to show up
    finally:
        for process in processes:
            stop(process)
    assert all(p.returncode == 0 for p in processes)
    assert delivered(emulator) == Counter(dict.fromkeys(PEOPLE, 1))


def test_standby_takes_over_when_the_leader_dies(
    database_url: str, emulator: SlackEmulator, tmp_path: Path
) -> None:
    env = cobot_env(database_url, emulator)
    leader = spawn([sys.executable, "-m", "cobot", "run"], env, tmp_path / "a.log")
    time.sleep(3)
    standby_env = {**env, "COBOT_PORT": str(free_port())}
    standby = spawn([sys.executable, "-m", "cobot", "run"], standby_env, tmp_path / "b.log")
    try:
        time.sleep(3)
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        schedule_spread(database_url, first_in=1.0, spread=1.0)
        wait_until(
            lambda: statuses(database_url)["sent"] == len(PEOPLE),
            60,
            "the surviving process to send everything",
        )
    finally:
        stop(leader)
        stop(standby)
    assert delivered(emulator) == Counter(dict.fromkeys(PEOPLE, 1))


def test_sigterm_drains_the_send_under_way_releases_the_rest_and_exits_0(
    database_url: str, emulator: SlackEmulator, tmp_path: Path
) -> None:
    env = cobot_env(database_url, emulator)
    ids = schedule_spread(database_url, first_in=2, spread=0.5)
    # every post takes Slack 1.5 s to answer: SIGTERM arrives while one is on the wire
    emulator.slow_next("chat.postMessage", seconds=1.5, times=len(PEOPLE))
    log = tmp_path / "cobot.log"
    process = spawn([sys.executable, "-m", "cobot", "run"], env, log)
    try:
        wait_until(lambda: statuses(database_url)["sending"] >= 1, what="a send under way")
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert process.wait(timeout=30) == 0, log.read_text()
        # the sends under way, not the whole queue (24 x 1.5 s), were waited for
        assert time.monotonic() - signalled < 12
    finally:
        stop(process)
    counts = statuses(database_url)
    # the send under way was waited for and recorded; nothing is left claimed
    assert counts["sending"] == 0, counts
    sent = delivered(emulator)
    assert counts["sent"] == sum(sent.values()) >= 1, (counts, sent)
    assert all(n == 1 for n in sent.values()), sent
    # no new claim once SIGTERM came: the rest wait, due, for whichever process runs next
    assert counts["sent"] + counts["scheduled"] == len(ids), counts
    assert counts["scheduled"] >= len(ids) // 2, counts
    assert "deliveries drained" in log.read_text()
