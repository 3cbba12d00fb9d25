"""No delivery status is written outside the ledger (services/deliveries.py): features say
what they owe and deliveries.reconcile() (or cancel()) makes the ledger match."""

from __future__ import annotations

import re
from pathlib import Path

import cobot

ROOT = Path(cobot.__file__).parent
LEDGER = ROOT / "services" / "deliveries.py"

# an assignment (not a comparison) of a delivery status, as an attribute, a keyword
# argument of update().values()/insert or a constructor, or a dict entry
WRITES = (
    re.compile(
        r"\.status\s*=(?!=)\s*(DeliveryStatus\.|\"(scheduled|sending|sent|failed|skipped|cancelled)\")"
    ),
    re.compile(r"\bstatus\s*=(?!=)\s*DeliveryStatus\."),
    re.compile(r"[\"']status[\"']\s*:\s*DeliveryStatus\."),
    re.compile(r"update\(\s*Delivery\s*\)"),
)


def status_writes(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(w.search(line) for w in WRITES)]


def test_the_patterns_find_each_way_of_writing_a_status() -> None:
    written = (
        "row.status = DeliveryStatus.CANCELLED\n"
        "    .values(status=DeliveryStatus.SENT)\n"
        '{"status": DeliveryStatus.SCHEDULED}\n'
        "session.execute(update(Delivery).where(x))\n"
        'row.status = "cancelled"\n'
    )
    read = (
        "if row.status == DeliveryStatus.CANCELLED:\n"
        "Delivery.status != DeliveryStatus.SENT\n"
        "row.status in (DeliveryStatus.SENT,)\n"
    )
    assert len(status_writes(written)) == 5
    assert status_writes(read) == []


def test_no_delivery_status_is_written_outside_the_ledger() -> None:
    found = [
        f"{path.relative_to(ROOT.parent)}: {line}"
        for path in sorted(ROOT.rglob("*.py"))
        if path != LEDGER
        for line in status_writes(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "delivery statuses written outside services/deliveries.py:\n" + "\n".join(
        found
    )


def test_the_ledger_itself_is_found_writing_them() -> None:
    # the scan reads the right tree: the ledger does write statuses
    assert status_writes(LEDGER.read_text(encoding="utf-8"))
