"""The project report and CSV exports: what happened, never anyone's personal answers.

`snapshot` reads everything in typed form; `build_report` and the `*_csv` functions are pure
over that snapshot (unit-tested); `artefacts` gives the files a coordinator's export (and
the demo) write: a Markdown report, CSVs and the word cloud image.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain import endings as rules
from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.endings import EvaluationThemes
from cobot.domain.endings import FeelingsTally
from cobot.domain.involvement import format_money
from cobot.domain.involvement import percent
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.services import access
from cobot.services import reviews as reviews_service
from cobot.services.access import AccessError
from cobot.services.base import Service
from cobot.services.checkins import PRIVATE_KINDS
from cobot.services.checkins import Checkins
from cobot.services.checkins import PeriodFigures
from cobot.services.debriefs import Debriefs
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRef
from cobot.services.endings import CLOUD_FILENAME
from cobot.services.endings import evaluation_themes
from cobot.services.endings import feelings_tally
from cobot.services.endings import project_any
from cobot.services.involvement import Involvement
from cobot.services.involvement import PayTotals
from cobot.services.ports import Clock
from cobot.services.session_queries import sessions_with_people
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import EndingFollowUp
from cobot.storage.models import Project

REPORT_FILENAME = "project-report.md"


@dataclass(frozen=True)
class SessionRow:
    """A session as the report lists it."""

    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    facilitators: tuple[str, ...]
    participants: int


@dataclass(frozen=True)
class DeliveryRow(DeliveryRef):
    """A delivery's bookkeeping (never its content)."""

    status: str
    due_at: datetime
    finished_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class DebriefRow:
    """Who debriefed one session (never what they wrote)."""

    session_title: str
    starts_at: datetime
    debriefed: tuple[str, ...]
    skipped: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class ReportSnapshot:
    """Everything the report and the CSVs say, read at one moment."""

    project_name: str
    timezone: str
    aims: str
    status: str
    generated_at: datetime
    closed_at: datetime | None
    sessions: tuple[SessionRow, ...]
    deliveries: tuple[DeliveryRow, ...]
    # None: not available (the debriefs or check-ins service refused, e.g. a closed project)
    debriefs: tuple[DebriefRow, ...] | None
    # the published figures of each closed month, oldest first (empty: check-ins not used)
    wellbeing: tuple[PeriodFigures, ...]
    feelings: FeelingsTally
    cloud_filename: str | None
    themes: EvaluationThemes
    follow_up_replies: int
    # the participants' review: each closed round as coordinators saw it at the close
    reviews: tuple[reviews_service.Results, ...] = ()


class Reports(Service):
    """Exports for coordinators; reads only, so nothing here changes the project."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        debriefs: Debriefs,
        checkins: Checkins,
        kinds: DeliveryKinds | None = None,
        involvement: Involvement | None = None,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._debriefs = debriefs
        self._checkins = checkins
        self._kinds = kinds
        self._involvement = involvement

    def _private_kinds(self) -> frozenset[str]:
        return PRIVATE_KINDS | (self._kinds.private() if self._kinds else frozenset())

    def export(self, *, team_id: str, channel_id: str, user_id: str) -> list[tuple[str, bytes]]:
        """The export files for a coordinator of the channel's project (active or closed)."""
        with transaction(self._factory) as db:
            project = project_any(db, team_id=team_id, channel_id=channel_id)
            access.require_coordinator(project, user_id)
            project_id = project.id
        return self.artefacts(project_id, as_user=user_id)

    def artefacts(self, project_id: int, *, as_user: str | None = None) -> list[tuple[str, bytes]]:
        """(filename, bytes) of the report, the CSVs and the word cloud (when shareable).

        `as_user` is the coordinator the debrief and wellbeing figures are read as (the
        project's first coordinator when not given: the demo and the CLI).
        """
        snap = self.snapshot(project_id, as_user=as_user)
        files = [
            (REPORT_FILENAME, build_report(snap).encode()),
            ("sessions.csv", sessions_csv(snap).encode()),
            ("facilitation.csv", facilitation_csv(snap).encode()),
            ("deliveries.csv", deliveries_csv(snap).encode()),
            ("debriefs.csv", debriefs_csv(snap).encode()),
            ("evaluation.csv", evaluation_csv(snap).encode()),
            ("feelings.csv", feelings_csv(snap).encode()),
            ("wellbeing.csv", wellbeing_csv(snap).encode()),
        ]
        if self._involvement is not None:
            # confirmed claims for finance, and payments against the budget in the report
            totals = self._involvement.totals(project_id)
            name, report = files[0]
            files[0] = (name, report + payments_markdown(totals).encode())
            files.append(("finance.csv", finance_csv(totals).encode()))
        if snap.cloud_filename is not None:
            files.append((snap.cloud_filename, rules.cloud_png(snap.feelings.counts)))
        return files

    def snapshot(self, project_id: int, *, as_user: str | None = None) -> ReportSnapshot:
        """Read the project's state for the report."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = db.get(Project, project_id)
            if project is None:
                raise AccessError("That project no longer exists.")
            coordinator = as_user or next(iter(access.people_with(project, Role.COORDINATOR)), "")
            team_id, channel_id = project.team_id, project.channel_id
            sessions = tuple(_session_row(s) for s in _sessions(db, project.id))
            rows = db.scalars(
                select(Delivery)
                .where(
                    Delivery.project_id == project.id,
                    Delivery.kind.not_in(sorted(self._private_kinds())),
                )
                .order_by(Delivery.id)
            ).all()
            delivered = tuple(
                DeliveryRow(
                    id=r.id,
                    kind=r.kind,
                    target=r.target,
                    status=r.status,
                    due_at=r.due_at,
                    finished_at=r.finished_at,
                    attempts=r.attempts,
                )
                for r in rows
            )
            tally = feelings_tally(db, project.id)
            themes = evaluation_themes(db, project.id)
            replies = int(
                db.scalar(
                    select(func.count(EndingFollowUp.id)).where(
                        EndingFollowUp.project_id == project.id
                    )
                )
                or 0
            )
            reviewed = tuple(reviews_service.results_of(db, project))
            name, zone, aims = project.name, project.timezone, project.aims
            status, closed_at = project.status, project.closed_at
        debriefs = self._debrief_rows(team_id, channel_id, coordinator)
        wellbeing = self._checkins.published(project_id)
        return ReportSnapshot(
            project_name=name,
            timezone=zone,
            aims=aims,
            status=status,
            generated_at=now,
            closed_at=closed_at,
            sessions=sessions,
            deliveries=delivered,
            debriefs=debriefs,
            wellbeing=wellbeing,
            feelings=tally,
            cloud_filename=CLOUD_FILENAME if tally.shareable else None,
            themes=themes,
            follow_up_replies=replies,
            reviews=reviewed,
        )

    def _debrief_rows(
        self, team_id: str, channel_id: str, user_id: str
    ) -> tuple[DebriefRow, ...] | None:
        try:
            view = self._debriefs.completion(
                team_id=team_id, channel_id=channel_id, user_id=user_id
            )
        except AccessError:
            return None
        return tuple(
            DebriefRow(
                session_title=c.session.title,
                starts_at=c.session.starts_at,
                debriefed=c.debriefed,
                skipped=c.skipped,
                missing=c.missing,
            )
            for c in sorted(view.sessions, key=lambda c: c.session.starts_at)
        )


def _sessions(db: Session, project_id: int) -> Sequence[CoSession]:
    return sessions_with_people(db, CoSession.project_id == project_id)


def _session_row(row: CoSession) -> SessionRow:
    return SessionRow(
        id=row.id,
        kind=row.kind,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=row.status,
        facilitators=tuple(row.user_ids(SessionRole.FACILITATOR)),
        participants=len(row.user_ids(SessionRole.PARTICIPANT)),
    )


# ---------------------------------------------------------------- pure builders


def _local(when: datetime | None, zone: str) -> str:
    if when is None:
        return ""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_cell(str(v)) for v in row])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    # a spreadsheet would run a cell starting with these as a formula
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def sessions_csv(snap: ReportSnapshot) -> str:
    """One row per session."""
    return _csv(
        [
            "id",
            "kind",
            "title",
            "starts_at_utc",
            "ends_at_utc",
            "status",
            "facilitators",
            "participants",
        ],
        [
            (
                s.id,
                s.kind,
                s.title,
                _iso(s.starts_at),
                _iso(s.ends_at),
                s.status,
                len(s.facilitators),
                s.participants,
            )
            for s in snap.sessions
        ],
    )


def facilitation_csv(snap: ReportSnapshot) -> str:
    """One row per facilitator per session (who facilitated; participants only counted)."""
    return _csv(
        ["session_id", "title", "starts_at_utc", "role", "user_id"],
        [
            (s.id, s.title, _iso(s.starts_at), SessionRole.FACILITATOR, u)
            for s in snap.sessions
            for u in s.facilitators
        ],
    )


def deliveries_csv(snap: ReportSnapshot) -> str:
    """The ledger's bookkeeping: kind, target, status and times, never content."""
    return _csv(
        ["id", "kind", "target", "status", "due_at_utc", "finished_at_utc", "attempts"],
        [
            (d.id, d.kind, d.target, d.status, _iso(d.due_at), _iso(d.finished_at), d.attempts)
            for d in snap.deliveries
        ],
    )


def debriefs_csv(snap: ReportSnapshot) -> str:
    """Debrief completion per session (who, never what)."""
    return _csv(
        [
            "session",
            "starts_at_utc",
            "debriefed",
            "skipped",
            "missing",
            "debriefed_by",
            "missing_from",
        ],
        [
            (
                d.session_title,
                _iso(d.starts_at),
                len(d.debriefed),
                len(d.skipped),
                len(d.missing),
                " ".join(d.debriefed),
                " ".join(d.missing),
            )
            for d in snap.debriefs or ()
        ],
    )


def evaluation_csv(snap: ReportSnapshot) -> str:
    """The evaluation themes: one row per anonymous answer, by safe group and question."""
    rows: list[tuple[object, ...]] = []
    for group in snap.themes.groups:
        for q in group.questions:
            for text in q.texts:
                rows.append((group.label, group.people, q.question, q.answered, text))
    return _csv(["group", "people", "question", "answered", "answer"], rows)


def feelings_csv(snap: ReportSnapshot) -> str:
    """Word counts: everyone, then the safe groups."""
    rows: list[tuple[object, ...]] = []
    if snap.feelings.shareable:
        rows += [("everyone", w, n) for w, n in snap.feelings.counts]
        for g in snap.feelings.groups:
            rows += [(g.label, w, n) for w, n in g.words]
    return _csv(["group", "word", "count"], rows)


def wellbeing_csv(snap: ReportSnapshot) -> str:
    """The published check-in figures: one row per closed month and shown group (the same
    figures the summary and Home show; months with nothing to show have no rows)."""
    rows: list[tuple[object, ...]] = []
    for period in snap.wellbeing:
        agg = period.aggregate
        if agg.total is None:
            continue
        for f in (agg.total, *agg.groups):
            rows.append((period.period, f.group, f.people, f.answers, f.average, f.low_answers))
    return _csv(["month", "group", "people", "answers", "average_mood", "low_answers"], rows)


def finance_csv(totals: PayTotals) -> str:
    """Confirmed claims for finance: person, payment choice and amounts (pence as money)."""
    return _csv(
        [
            "person",
            "payment_choice",
            "period_start",
            "period_end",
            "hours",
            "payment",
            "expenses",
            "total",
            "currency",
            "confirmed_at",
        ],
        [
            [
                r.user_id,
                r.choice.value,
                r.period_start.isoformat(),
                r.period_end.isoformat(),
                str((Decimal(r.minutes) / 60).quantize(Decimal("0.01"))),
                _amount(r.fees),
                _amount(r.expenses),
                _amount(r.total),
                r.currency,
                _iso(r.confirmed_at),
            ]
            for r in totals.rows
        ],
    )


def _amount(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def payments_markdown(totals: PayTotals) -> str:
    """The report's payments section: confirmed claims against the budget, with the warning
    when spending runs ahead of the timeline."""
    cur = totals.currency
    lines = [
        "",
        "## Payments and budget",
        "",
        f"- Confirmed claims: {format_money(totals.confirmed, cur)} (payments "
        f"{format_money(totals.fees, cur)}, expenses {format_money(totals.expenses, cur)}), "
        f"{len(totals.rows)} claim(s)",
        f"- Awaiting confirmation: {format_money(totals.awaiting, cur)}",
    ]
    pace = totals.pace
    if pace is None:
        lines.append("- No budget entered (`/cobot budget`).")
    else:
        lines.append(
            f"- Budget: {format_money(pace.budget, cur)}; {percent(pace.spent_share)} spent "
            f"with {percent(pace.time_share)} of the project's time elapsed"
        )
        if pace.ahead:
            lines.append("- **Warning: spending is running ahead of the timeline.**")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def build_report(snap: ReportSnapshot) -> str:  # noqa: C901
    """The Markdown project report."""
    zone = snap.timezone
    held = [
        s
        for s in snap.sessions
        if s.status == SessionStatus.SCHEDULED and s.ends_at <= snap.generated_at
    ]
    lines = [
        f"# {_md(snap.project_name)}: project report",
        "",
        f"Generated {_local(snap.generated_at, zone)} ({zone}). Status: {snap.status}"
        + (f", closed {_local(snap.closed_at, zone)}." if snap.closed_at else "."),
        "",
    ]
    if snap.aims:
        lines += ["## Aims and objectives", "", snap.aims.strip(), ""]
    lines += ["## Sessions", "", f"{len(held)} sessions held of {len(snap.sessions)} planned.", ""]
    if snap.sessions:
        lines += [
            "| Date | Session | Kind | Status | Facilitators | Participants |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_local(s.starts_at, zone)} | {_md(s.title)} | {s.kind} | {s.status} | "
            f"{len(s.facilitators)} ({', '.join(s.facilitators) or 'none'}) | {s.participants} |"
            for s in snap.sessions
        ]
        short = [
            s for s in snap.sessions if s.kind == SessionKind.WORKSHOP and len(s.facilitators) < 2
        ]
        lines += [
            "",
            f"Sessions with fewer than two facilitators: {len(short)}.",
            "",
        ]
    lines += ["## Debrief completion", ""]
    if snap.debriefs is None:
        lines += ["Not available (export while the project is active to include it).", ""]
    elif not snap.debriefs:
        lines += ["No sessions to debrief yet.", ""]
    else:
        lines += ["| Session | Debriefed | Skipped | Missing |", "|---|---|---|---|"]
        lines += [
            f"| {_md(d.session_title)} | {len(d.debriefed)} | {len(d.skipped)} | {len(d.missing)} |"
            for d in snap.debriefs
        ]
        lines.append("")
    lines += ["## Wellbeing (aggregate)", ""]
    if not snap.wellbeing:
        lines += ["Not shown: check-ins were off, or no month has ended since they started.", ""]
    else:
        lines += [
            f"Published once per calendar month after it ended, for groups of at least "
            f"{MIN_PEOPLE} people.",
            "",
            "| Month | People | Check-ins | Average mood (of 5) | Low answers |",
            "|---|---|---|---|---|",
        ]
        notes: list[str] = []
        for period in snap.wellbeing:
            agg = period.aggregate
            if agg.total is None:
                lines.append(f"| {period.label} | fewer than {MIN_PEOPLE} | – | – | – |")
                continue
            t = agg.total
            lines.append(
                f"| {period.label} | {t.people} | {t.answers} | {t.average} | {t.low_answers} |"
            )
            for g in agg.groups:
                notes.append(f"- {period.label}, {g.group}: {g.people} people, average {g.average}")
            if agg.hidden:
                notes.append(
                    f"- {period.label}, counted only in the whole: {', '.join(agg.hidden)}"
                )
        lines.append("")
        if notes:
            lines += [*notes, ""]
    lines += ["## How we feel at the end", ""]
    tally = snap.feelings
    if tally.open:
        lines += _still_open(tally.answers, "words and boats")
    elif not tally.shareable:
        lines += [f"Fewer than {rules.MIN_GROUP} people answered, so nothing is shown.", ""]
    else:
        if snap.cloud_filename:
            lines += [f"![Word cloud of how we feel at the end]({snap.cloud_filename})", ""]
        lines += [
            f"{tally.answers} people answered. Most common words: " + _counted(tally.top()),
            "",
        ]
        for words in tally.groups:
            lines.append(f"- {words.label} ({words.answers}): " + _counted(words.words))
        if tally.groups:
            lines.append("")
        if tally.boats:
            lines += ["### Same ocean, different boats", ""]
            for b in tally.boats:
                lines += [f"**{'Everyone' if b.group == 'all' else b.label}**", ""]
                lines += [f"- {_md(text)}" for text in b.boats]
                lines.append("")
    lines += ["## Evaluation", ""]
    themes = snap.themes
    if themes.open:
        lines += _still_open(themes.people, "themes and answers")
    elif not themes.groups:
        lines += [
            f"{themes.people} people answered; themes are shown once at least "
            f"{rules.MIN_GROUP} have.",
            "",
        ]
    else:
        lines += [f"{themes.people} people answered.", ""]
        for group in themes.groups:
            lines += [f"### {group.label} ({group.people} people)", ""]
            for q in group.questions:
                common = f" Recurring words: {_counted(q.common)}." if q.common else ""
                lines += [f"**{_md(q.question)}** ({q.answered} answered).{common}", ""]
                lines += [f"- {_md(t)}" for t in q.texts]
                lines.append("")
    lines += reviews_service.report_lines(snap.reviews, _md)
    lines += [
        "## After the project",
        "",
        f"{snap.follow_up_replies} people replied to the follow-up check-in (replies stay "
        "private).",
        "",
    ]
    return "\n".join(lines)


def _still_open(answered: int, shown: str) -> list[str]:
    """What the report says of a collection still open: how many so far, nothing of what."""
    return [
        f"The collection is still open ({answered} answered so far): {shown} are shown once "
        "it closes.",
        "",
    ]


def _counted(words: Iterable[tuple[str, int]]) -> str:
    """Words with how often each came: "calm (3), tired (2)"."""
    return ", ".join(f"{w} ({n})" for w, n in words)


__all__ = [
    "DebriefRow",
    "DeliveryRow",
    "ReportSnapshot",
    "Reports",
    "SessionRow",
    "build_report",
    "debriefs_csv",
    "finance_csv",
    "deliveries_csv",
    "evaluation_csv",
    "facilitation_csv",
    "feelings_csv",
    "sessions_csv",
    "wellbeing_csv",
]
