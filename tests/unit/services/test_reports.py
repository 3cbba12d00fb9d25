"""The Markdown report and the CSVs are pure functions of a snapshot."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cobot.domain import endings as rules
from cobot.domain.checkins import Aggregate
from cobot.domain.checkins import GroupFigures
from cobot.domain.endings import EvaluationAnswer
from cobot.domain.endings import FeelingAnswer
from cobot.services.checkins import PeriodFigures
from cobot.services.reports import DebriefRow
from cobot.services.reports import DeliveryRow
from cobot.services.reports import ReportSnapshot
from cobot.services.reports import SessionRow
from cobot.services.reports import build_report
from cobot.services.reports import deliveries_csv
from cobot.services.reports import evaluation_csv
from cobot.services.reports import facilitation_csv
from cobot.services.reports import sessions_csv
from cobot.services.reports import wellbeing_csv

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def snapshot(*, answers: int = 4, debriefs: bool = True) -> ReportSnapshot:
    start = NOW - timedelta(days=30)
    feelings = [FeelingAnswer("participants", ("grateful", "valued"), "A raft")] * answers
    evaluation = [EvaluationAnswer("participants", {"went_well": "=Being heard"})] * answers
    return ReportSnapshot(
        project_name="Recovery | framework",
        timezone="Europe/London",
        aims="Co-produce a framework.",
        status="closed",
        generated_at=NOW,
        closed_at=NOW,
        sessions=(
            SessionRow(
                1,
                "workshop",
                "Values",
                start,
                start + timedelta(hours=2),
                "scheduled",
                ("UF1", "UF2"),
                8,
            ),
            SessionRow(
                2,
                "workshop",
                "Next",
                start + timedelta(days=14),
                start + timedelta(days=14, hours=2),
                "scheduled",
                ("UF1",),
                7,
            ),
            SessionRow(
                3,
                "celebration",
                "Launch",
                NOW + timedelta(days=3),
                NOW + timedelta(days=3, hours=2),
                "scheduled",
                ("UC",),
                20,
            ),
        ),
        deliveries=(DeliveryRow(9, "ending_invite", "UP1", "sent", start, start, 1),),
        debriefs=(DebriefRow("Values", start, ("UF1",), (), ("UF2",)),) if debriefs else None,
        wellbeing=(
            PeriodFigures(
                "2026-08",
                "August 2026",
                Aggregate(
                    total=GroupFigures("all", 5, 20, 3.6, 2),
                    groups=(GroupFigures("participant", 5, 20, 3.6, 2),),
                    hidden=(),
                ),
            ),
            PeriodFigures("2026-09", "September 2026", Aggregate(None, (), ())),
        ),
        feelings=rules.tally(feelings),
        cloud_filename="feelings-word-cloud.png" if answers >= 4 else None,
        themes=rules.collate_evaluation(evaluation, rules.DEFAULT_QUESTIONS),
        follow_up_replies=2,
    )


def test_the_report_covers_sessions_debriefs_wellbeing_feelings_and_evaluation() -> None:
    report = build_report(snapshot())
    assert report.startswith("# Recovery \\| framework: project report")
    assert "2 sessions held of 3 planned." in report
    assert "Sessions with fewer than two facilitators: 1." in report
    assert "| Values | 1 | 0 | 1 |" in report
    assert "| August 2026 | 5 | 20 | 3.6 | 2 |" in report
    assert "| September 2026 | fewer than 4 | – | – | – |" in report
    assert "![Word cloud of how we feel at the end](feelings-word-cloud.png)" in report
    assert "grateful (4)" in report and "- A raft" in report
    assert "**What went well?** (4 answered)" in report and "- =Being heard" in report
    assert "2 people replied to the follow-up" in report


def test_the_report_withholds_what_too_few_answered() -> None:
    report = build_report(snapshot(answers=3, debriefs=False))
    assert "Fewer than 4 people answered, so nothing is shown." in report
    assert "![Word cloud" not in report and "grateful" not in report
    assert "Being heard" not in report
    assert "Not available" in report


def test_csvs_have_headers_rows_and_no_formula_cells() -> None:
    snap = snapshot()
    sessions = list(csv.DictReader(io.StringIO(sessions_csv(snap))))
    assert [s["title"] for s in sessions] == ["Values", "Next", "Launch"]
    assert sessions[2]["kind"] == "celebration" and sessions[0]["facilitators"] == "2"
    facilitation = list(csv.DictReader(io.StringIO(facilitation_csv(snap))))
    assert [(f["session_id"], f["user_id"]) for f in facilitation][:3] == [
        ("1", "UF1"),
        ("1", "UF2"),
        ("2", "UF1"),
    ]
    ledger = list(csv.DictReader(io.StringIO(deliveries_csv(snap))))
    assert ledger[0]["kind"] == "ending_invite" and "payload" not in ledger[0]
    evaluation = list(csv.DictReader(io.StringIO(evaluation_csv(snap))))
    assert evaluation[0]["answer"] == "'=Being heard"  # a spreadsheet won't run it
    assert evaluation[0]["group"] == "Participants" and len(evaluation) == 4


def test_the_wellbeing_csv_has_the_published_months_only() -> None:
    rows = list(csv.DictReader(io.StringIO(wellbeing_csv(snapshot()))))
    assert [(r["month"], r["group"], r["people"], r["average_mood"]) for r in rows] == [
        ("2026-08", "all", "5", "3.6"),
        ("2026-08", "participant", "5", "3.6"),
    ]


def test_while_the_collection_is_open_the_report_has_counts_and_no_text() -> None:
    snap = snapshot()
    open_snap = ReportSnapshot(
        **{
            **snap.__dict__,
            "feelings": rules.open_tally(4),
            "themes": rules.open_themes(4),
            "cloud_filename": None,
        }
    )
    report = build_report(open_snap)
    assert "still open (4 answered so far)" in report
    assert "A raft" not in report and "grateful" not in report and "Being heard" not in report
    assert list(csv.DictReader(io.StringIO(evaluation_csv(open_snap)))) == []
