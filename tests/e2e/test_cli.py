"""The `cobot` command as an operator uses it: run (HTTP and Socket Mode), db, doctor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cobot.sandbox.client import SlackClient
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import SIGNING_SECRET
from cobot.sandbox.webapi import SlackEmulator
from cobot.storage import crypto
from tests.e2e.test_resilience import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as running:
        running.add_user("UCOORD", name="cora")
        yield running


KEY = crypto.new_key()


def base_env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    return {**clean, "COBOT_ENCRYPTION_KEYS": KEY, **extra}


def cobot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cobot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_http(url: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body: dict[str, Any] = json.loads(response.read())
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_cobot_run_over_http_answers_help_and_logs_no_body(
    database_url: str, emulator: SlackEmulator, tmp_path: Path
) -> None:
    port = free_port()
    env = base_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        COBOT_DATABASE_URL=database_url,
        COBOT_SLACK_API_URL=emulator.api_url,
        COBOT_PORT=str(port),
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cobot", "run"], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    try:
        assert wait_http(f"http://127.0.0.1:{port}/healthz")["ok"] is True
        slack = SlackClient(
            app_url=f"http://127.0.0.1:{port}/slack/events",
            signing_secret=SIGNING_SECRET,
            emulator=emulator,
        )
        result = slack.slash_command(user_id="UCOORD", text="help")
        assert result.status == 200
        assert "cobot: what you can ask" in result.text
        private = slack.slash_command(user_id="UCOORD", text="no-such-thing my-private-words")
        assert private.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
    logged = log.read_text()
    assert "cobot listening on port" in logged and "cobot stopped" in logged
    assert "my-private-words" not in logged
    assert "Traceback" not in logged


def test_cobot_run_in_socket_mode_answers_help(
    database_url: str, emulator: SlackEmulator, tmp_path: Path
) -> None:
    env = base_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        COBOT_DATABASE_URL=database_url,
        COBOT_SLACK_API_URL=emulator.api_url,
    )
    with (tmp_path / "run.log").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cobot", "run"], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    try:
        assert emulator.socket_connected(timeout=30), (tmp_path / "run.log").read_text()
        slack = SlackClient(app_url="http://unused", signing_secret="", emulator=emulator)
        ack = slack.socket_slash_command(user_id="UCOORD", text="help")
        assert "cobot: what you can ask" in json.dumps(ack["payload"])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0


def test_db_upgrade_reads_dotenv_and_run_refuses_an_old_schema(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "COBOT_DATABASE_URL=sqlite:///fromdotenv.db\nSLACK_BOT_TOKEN=xoxb-x\n"
        "SLACK_SIGNING_SECRET=s\nCOBOT_SLACK_API_URL=http://127.0.0.1:9/api/\n"
    )
    no_key = cobot("run", env={**base_env(), "COBOT_ENCRYPTION_KEYS": ""}, cwd=tmp_path)
    assert no_key.returncode == 2
    assert no_key.stderr.startswith("cobot: COBOT_ENCRYPTION_KEYS: missing: run `cobot keys new`")
    refused = cobot("run", env=base_env(), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "cobot: the database is not up to date: run `cobot db upgrade` first"
    )
    current = cobot("db", "current", env=base_env(), cwd=tmp_path)
    assert "database at nothing (empty)" in current.stdout and "behind" in current.stdout
    upgraded = cobot("db", "upgrade", env=base_env(), cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "fromdotenv.db").exists()
    assert "up to date" in cobot("db", "current", env=base_env(), cwd=tmp_path).stdout


def test_doctor_says_what_is_wrong_and_how_to_fix_it(
    emulator: SlackEmulator, tmp_path: Path
) -> None:
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-wrong",
        SLACK_SIGNING_SECRET="s",
        COBOT_DATABASE_URL="sqlite:///doctor.db",
        COBOT_SLACK_API_URL=emulator.api_url,
    )
    sick = cobot("doctor", env=env, cwd=tmp_path)
    assert sick.returncode == 1
    assert "FAIL database schema at nothing" in sick.stdout
    assert "fix: run `cobot db upgrade`" in sick.stdout
    assert "FAIL Slack auth.test refused: invalid_auth" in sick.stdout
    assert "xoxb-wrong" not in sick.stdout
    assert cobot("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    healthy = cobot("doctor", env={**env, "SLACK_BOT_TOKEN": BOT_TOKEN}, cwd=tmp_path)
    assert healthy.returncode == 0, healthy.stdout
    assert "ok   deliveries: 0 scheduled, 0 alarm(s) armed" in healthy.stdout
    assert healthy.stdout.strip().endswith("all good")


def test_keys_new_makes_a_key_that_run_accepts(tmp_path: Path) -> None:
    made = cobot("keys", "new", env=base_env(), cwd=tmp_path)
    assert made.returncode == 0
    key = made.stdout.strip()
    assert crypto.parse_keys(key) == [key]
    bad = cobot("run", env=base_env(COBOT_ENCRYPTION_KEYS="not-a-key"), cwd=tmp_path)
    assert bad.returncode == 2
    assert "COBOT_ENCRYPTION_KEYS: expected Fernet keys" in bad.stderr
