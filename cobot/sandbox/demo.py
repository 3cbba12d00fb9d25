"""`cobot demo`: cobot's foundation at work on this machine, with Slack replaced by the emulator.

It starts the real app over HTTP on a fresh SQLite database, has a coordinator use /cobot
through signed requests, and has the real scheduler deliver messages through the deliveries
ledger, including one that cannot be delivered, so the coordinator is told.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from cobot.sandbox.stack import LocalStack
from cobot.sandbox.transcript import blocks_to_text
from cobot.services import deliveries
from cobot.storage.db import transaction
from cobot.storage.models import Delivery

PEOPLE = {
    "UCORA": ("Cora", "coordinator", "Europe/London"),
    "UFERN": ("Fern", "practitioner", "Europe/London"),
    "UPAT": ("Pat", "participant", "America/New_York"),
    "ULEFT": ("Lou", "participant (left the workspace)", "Europe/London"),
}
NAMES = {user: name for user, (name, _role, _tz) in PEOPLE.items()}


@dataclass
class DemoResult:
    """What the demo did and whether everything arrived."""

    transcript: str
    problems: list[str] = field(default_factory=list)
    out: Path | None = None


def run_demo(*, out: Path, progress: TextIO | None = None) -> DemoResult:
    """Play the foundation's story and write the transcript to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)

    def say(line: str) -> None:
        if progress is not None:
            progress.write(line + "\n")
            progress.flush()

    seen: list[tuple[str, str]] = []
    problems: list[str] = []
    with LocalStack(database_url=f"sqlite:///{database}", sweep_seconds=1) as stack:
        emulator, client, runtime = stack.emulator, stack.client, stack.runtime
        assert client is not None and runtime is not None
        for user, (name, _role, tz) in PEOPLE.items():
            emulator.add_user(
                user, name=name.lower(), real_name=name, tz=tz, deleted=user == "ULEFT"
            )
        say("1/3 Cora types /cobot help and opens cobot's Home tab")
        ack = client.slash_command(user_id="UCORA", text="help")
        seen.append(("UCORA", "(only you can see this)\n" + _ack_text(ack.json())))
        typo = client.slash_command(user_id="UCORA", text="sesions")
        seen.append(("UCORA", "(only you can see this)\n" + typo.text))
        client.app_home_opened("UCORA")
        home = emulator.wait_for("views.publish")[0].args["view"]
        seen.append(("UCORA", "[Home tab]\n" + blocks_to_text(home["blocks"])))

        say("2/3 cobot schedules a welcome for each person through the deliveries ledger")
        now = datetime.now(UTC)
        ids = {}
        with transaction(runtime.factory) as session:
            for n, (user, (name, role, _tz)) in enumerate(PEOPLE.items()):
                ids[user] = deliveries.schedule(
                    session,
                    key=f"demo:welcome:{user}",
                    kind=deliveries.NOTICE_KIND,
                    target=user,
                    due_at=now + timedelta(seconds=1 + n * 0.5),
                    now=now,
                    payload={"text": f"Welcome, {name}. You have joined the project as {role}."},
                    escalate_to="UCORA",
                ).id

        say("3/3 the scheduler delivers them; Lou's account is gone, so Cora is told")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _settled(stack, ids):
            time.sleep(0.2)
        with transaction(runtime.factory) as session:
            rows = {user: session.get(Delivery, i) for user, i in ids.items()}
        for user, row in rows.items():
            expected = "failed" if user == "ULEFT" else "sent"
            if row is None or row.status != expected:
                problems.append(f"welcome for {user}: {row.status if row else 'missing'}")
        try:
            emulator.wait_for(
                "chat.postMessage",
                where=lambda call: call.args.get("channel") == "UCORA",
                timeout=10,
            )
        except AssertionError:
            problems.append("the coordinator was not told about the failed delivery")
        for call in emulator.calls_to("chat.postMessage"):
            if call.status == 200 and call.response.get("ok"):
                args = call.args
                seen.append(
                    (str(args["channel"]), blocks_to_text(args.get("blocks"), args["text"], NAMES))
                )
        sent = sum(1 for row in rows.values() if row is not None and row.status == "sent")

    transcript = _render(seen, sent=sent, failed=len(PEOPLE) - sent)
    (out / "transcript.txt").write_text(transcript, encoding="utf-8")
    return DemoResult(transcript=transcript, problems=problems, out=out)


def _settled(stack: LocalStack, ids: dict[str, int]) -> bool:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        rows = [session.get(Delivery, i) for i in ids.values()]
    return all(row is not None and row.status in ("sent", "failed") for row in rows)


def _ack_text(body: Any) -> str:
    return blocks_to_text(body.get("blocks"), body.get("text", ""))


def _render(seen: list[tuple[str, str]], *, sent: int, failed: int) -> str:
    lines = ["What each person saw in Slack", "=" * 30, ""]
    for user, (name, role, _tz) in PEOPLE.items():
        lines.append(f"--- {name} ({role}) ---")
        mine = [text for who, text in seen if who == user]
        lines.extend(f"{text}\n" for text in mine) if mine else lines.append("(nothing)\n")
    lines.append(f"Deliveries: {sent} sent, {failed} failed (and reported to the coordinator).")
    return "\n".join(lines) + "\n"
