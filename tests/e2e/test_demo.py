"""`cobot demo` runs the real stack against the emulator and shows what people saw."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cobot.sandbox.demo import run_demo


def test_demo_delivers_reports_the_failure_and_writes_a_transcript(tmp_path: Path) -> None:
    result = run_demo(out=tmp_path)
    assert result.problems == []
    text = (tmp_path / "transcript.txt").read_text()
    assert text == result.transcript
    cora = text.split("--- Cora (coordinator) ---")[1].split("--- Fern")[0]
    assert "== cobot: what you can ask ==" in cora
    assert "I don't know `/cobot sesions`" in cora
    assert "[Home tab]" in cora
    assert "A notice for @Lou could not be delivered: account_inactive." in cora
    pat = text.split("--- Pat (participant) ---")[1].split("--- Lou")[0]
    assert "Welcome, Pat. You have joined the project as participant." in pat
    assert "account_inactive" not in pat
    assert "Deliveries: 3 sent, 1 failed" in text


def test_cobot_demo_command_exits_zero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "cobot", "demo", "--out", str(tmp_path / "out")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "What each person saw in Slack" in result.stdout
    assert (tmp_path / "out" / "transcript.txt").exists()
