"""The benchmarks still run against the code in the tree (tiny sizes; no figure is judged)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

pytestmark = pytest.mark.slow


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_ack_benchmark_runs_both_apps_and_every_endpoint() -> None:
    out = _run("ack.py", "--clients", "2", "--requests", "4", "--budget", "10")
    rows = [line.split() for line in out.splitlines() if line.startswith(("/cobot", "home"))]
    # endpoint, app, then six figures: sent, p50, p99, req/s, >3 s, not 200
    apps = {(" ".join(row[:-7]), row[-7]) for row in rows}
    assert len(apps) == 6, out
    # every request was answered 200 within Slack's deadline (the last two columns)
    assert all(row[-2:] == ["0", "0"] for row in rows), out
    assert "cobot / bare" in out


def test_burst_benchmark_delivers_everything_once() -> None:
    out = _run("burst.py", "--count", "20", "--ceiling", "50", "--timeout", "60")
    assert "all ended" in out, out
    assert "lost (never arrived): 0; duplicates: 0" in out, out
    assert "ledger: sent 20" in out, out


def test_startup_benchmark_reports_time_rss_and_the_job_table() -> None:
    out = _run("startup.py", "--sizes", "20", "--no-restart", "--timeout", "60")
    row = next(line for line in out.splitlines() if line.split()[:1] == ["20"])
    assert " s " in row and "MB" in row and "rows" in row, out
