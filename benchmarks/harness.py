"""Shared pieces of the process-level benchmarks: a cobot as an operator runs it, and figures.

Imported by ack.py, burst.py and startup.py (run from the repository root, as
`.venv/bin/python benchmarks/<name>.py`); not a benchmark itself.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SLACK_DEADLINE = 3.0  # seconds Slack waits for an ack before showing the user an error


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sqlite_url(label: str) -> str:
    """A fresh SQLite file in a temporary directory."""
    return f"sqlite:///{tempfile.mkdtemp(prefix=f'cobot-bench-{label}-')}/bench.db"


def launch(argv: Sequence[str], *, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a child process with its output in ``log`` (read it when something fails)."""
    handle = log.open("wb")
    return subprocess.Popen(
        list(argv),
        env={**os.environ, **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def cobot_run(env: Mapping[str, str], *, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`python -m cobot run` in HTTP mode on ``port``, configured by ``env``."""
    return launch(
        [sys.executable, "-m", "cobot", "run"], env={**env, "COBOT_PORT": str(port)}, log=log
    )


def wait_healthy(
    port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> float | None:
    """Seconds until GET /healthz answers 200, or None after ``timeout`` (or if it exits)."""
    started = time.monotonic()
    url = f"http://127.0.0.1:{port}/healthz"
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    return None


def stop(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux /proc), or None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    """The median, or NaN when empty."""
    return statistics.median(values) if values else float("nan")
