"""`cobot demo` plays a whole project through the real stack and writes its artefacts."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One run of the command as a newcomer types it (bigger time steps, to keep CI quick)."""
    out = tmp_path_factory.mktemp("demo") / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "cobot", "demo", "--out", str(out), "--speed", "2"],
        env=env,
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, out


def test_the_demo_exits_cleanly_and_shows_progress_and_a_summary(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _out = demo
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Playing the project forward" in result.stdout
    assert "messages delivered" in result.stdout
    assert "What each person saw in Slack" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_artefacts_are_written_and_valid(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _result, out = demo
    for picture in ("feelings-word-cloud.png", "timeline.png"):
        assert (out / picture).read_bytes().startswith(PNG), picture
    sessions = list(csv.DictReader(io.StringIO((out / "sessions.csv").read_text())))
    assert len([row for row in sessions if "Workshop" in str(row)]) == 5
    report = (out / "project-report.md").read_text()
    assert "Carers in Crisis" in report and "Workshop 5" in report


def test_the_transcript_tells_the_story(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _result, out = demo
    text = (out / "transcript.txt").read_text()
    channel = text.split("--- #carers-in-crisis ---")[1].split("--- #practitioners ---")[0]
    assert "Workshop 4" in channel and "moved" in channel.lower()
    practitioners = text.split("--- #practitioners ---")[1].split("--- Cora")[0]
    assert practitioners.lower().count("debrief") >= 5
    cora = text.split("--- Cora (coordinator)")[1].split("--- Fern")[0]
    assert "in touch" in cora  # Priya asked for contact; only what she chose to share
    finn = text.split("--- Finn (practitioner)")[1].split("--- Femi")[0]
    assert finn.count("Workshop 2") >= 2  # the prompt he let slip, and the nudge
    priya = text.split("--- Priya (participant)")[1].split("--- Paul")[0]
    assert "Samaritans" in priya  # the project's support information after a low answer
    pat = text.split("--- Pat (participant)")[1].split("--- Priya")[0]
    assert "Priya" not in pat and "Evenings are best" not in pat
