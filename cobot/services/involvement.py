"""Involvement records and fair payment: the attendance register, hours, time logs, payment
choices and rates, expenses, claims, the finance CSV and the budget's pace.

When a workshop ends its facilitators are owed one register message (every expected person
ticked); saving it says who came, which gives everyone's hours (session length plus the
project's preparation time for their role) and tells the debriefs who to ask for feedback.
Claims are owed monthly (for the closed calendar month, in the project's zone) and when a
coordinator sends them at the end; each goes to its person to confirm or query, and
confirmed claims are the finance CSV. Every message is a ledger delivery rendered at send
time from the rows; payloads carry ids and dates only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from typing import Generic
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.domain.involvement import MAX_BUDGET
from cobot.domain.involvement import MAX_WHAT_FOR
from cobot.domain.involvement import REGISTER_EDITABLE
from cobot.domain.involvement import REGISTER_NUDGE_AFTER
from cobot.domain.involvement import Activity
from cobot.domain.involvement import BudgetPace
from cobot.domain.involvement import ClaimStatus
from cobot.domain.involvement import ExpenseKind
from cobot.domain.involvement import ExpenseStatus
from cobot.domain.involvement import PaymentChoice
from cobot.domain.involvement import Rates
from cobot.domain.involvement import Receipt
from cobot.domain.involvement import TimeLogInput
from cobot.domain.involvement import UploadedFile
from cobot.domain.involvement import budget_pace
from cobot.domain.involvement import check_prep
from cobot.domain.involvement import check_rates
from cobot.domain.involvement import check_receipts
from cobot.domain.involvement import check_time_log
from cobot.domain.involvement import finance_keep_until
from cobot.domain.involvement import last_closed_month
from cobot.domain.involvement import month_bounds
from cobot.domain.involvement import overloaded
from cobot.domain.involvement import parse_money
from cobot.domain.involvement import pay_for
from cobot.domain.projects import ProjectStatus
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionFacts
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.text import TypedText
from cobot.domain.zones import local_day
from cobot.services import access
from cobot.services import deliveries
from cobot.services import session_changes
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.access import raise_if_invalid
from cobot.services.base import ForProject
from cobot.services.base import SessionChangingService
from cobot.services.deliveries import DeliveryKind
from cobot.services.ports import Clock
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import SystemClock
from cobot.services.project_views import of_project
from cobot.services.session_deliveries import SessionOwes
from cobot.services.session_queries import sessions_with_people
from cobot.storage.db import transaction
from cobot.storage.models import Attendance
from cobot.storage.models import AttendanceRegister
from cobot.storage.models import Claim
from cobot.storage.models import ClaimQuery
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Expense
from cobot.storage.models import PaymentChoiceRow
from cobot.storage.models import PaySettings
from cobot.storage.models import Project
from cobot.storage.models import TimeLog

SESSION_SUBJECT = "session"
CLAIM_SUBJECT = "claim"
EXPENSE_SUBJECT = "expense"
PROJECT_SUBJECT = "project"

REGISTER = "attendance_register"
REGISTER_NUDGE = "attendance_nudge"
CLAIM = "payment_claim"
CLAIM_QUERIED = "claim_queried"
EXPENSE_REVIEW = "expense_review"
EXPENSE_QUESTION = "expense_question"
REGISTER_KINDS = (REGISTER, REGISTER_NUDGE)
# monthly claims go out on the 1st at this local time
CLAIM_HOUR = time(9, 0)
MAX_QUERY = 1000
ROLE_KEY = "role:"
ACTIVITY_KEY = "activity:"
# a message owed: its kind, its subject and its key
About = tuple[str, tuple[str, int], str]


# ---------------------------------------------------------------- what messages say


@dataclass(frozen=True)
class RegisterNote:
    """The register for a session's facilitators (or the one nudge to save it)."""

    session: SessionFacts
    expected: int
    nudge: bool
    saved_by: str | None


@dataclass(frozen=True)
class ClaimLine:
    """One line of a claim."""

    what: str
    minutes: int
    rate: int
    amount: int
    expense: bool = False


@dataclass(frozen=True)
class ClaimFigures:
    """A claim's period, payment choice and amounts (pence): what its person and finance
    both see of it."""

    period_start: date
    period_end: date
    choice: PaymentChoice
    currency: str
    fees: int
    expenses: int
    total: int


@dataclass(frozen=True)
class ClaimNote(ClaimFigures):
    """A claim for its person to confirm or query."""

    claim_id: int
    project_name: str
    lines: tuple[ClaimLine, ...]


@dataclass(frozen=True)
class ClaimQueriedNote:
    """A person queried their claim: for the coordinators."""

    claim: ClaimNote
    user_id: str
    query: str


@dataclass(frozen=True)
class ExpenseNote:
    """An expense for a coordinator to approve or question (or its question, for its
    person to answer)."""

    expense_id: int
    project_name: str
    user_id: str
    kind: ExpenseKind
    amount: int
    currency: str
    what_for: str
    question: str | None
    answer: str | None
    for_person: bool
    receipts: tuple[Receipt, ...] = ()


InvolvementNote = RegisterNote | ClaimNote | ClaimQueriedNote | ExpenseNote
Presenter = Callable[[InvolvementNote], OutgoingMessage]


# ---------------------------------------------------------------- reading rows


def settings_of(db: Session, project: Project) -> PaySettings:
    """The project's pay settings (defaults when a coordinator has set none)."""
    found = db.get(PaySettings, project.id)
    if found is not None:
        return found
    return PaySettings(
        project_id=project.id,
        currency="GBP",
        default_rate=0,
        rates={},
        rate_reason="",
        prep_minutes={},
        benefits_contact="",
        budget=None,
        updated_by="",
    )


def rates_of(settings: PaySettings) -> Rates:
    """The settings' rates as the domain reads them."""
    raw = settings.rates or {}
    return Rates(
        default=settings.default_rate or 0,
        by_role={k[len(ROLE_KEY) :]: int(v) for k, v in raw.items() if k.startswith(ROLE_KEY)},
        by_activity={
            k[len(ACTIVITY_KEY) :]: int(v) for k, v in raw.items() if k.startswith(ACTIVITY_KEY)
        },
        reason=settings.rate_reason or "",
    )


def attended(db: Session, session_id: int, role: str | None = None) -> list[str] | None:
    """Who came to a session by its saved register (of `role`, when given); None while the
    register is not saved."""
    register = db.get(AttendanceRegister, session_id)
    if register is None or register.saved_at is None:
        return None
    query = select(Attendance.user_id).where(
        Attendance.session_id == session_id, Attendance.attended.is_(True)
    )
    if role is not None:
        query = query.where(Attendance.role == role)
    return list(db.scalars(query.order_by(Attendance.user_id)))


def session_minutes(cosession: CoSession, role: str, settings: PaySettings) -> int:
    """A session's hours for someone in `role`: its length plus the preparation time."""
    length = int((cosession.ends_at - cosession.starts_at).total_seconds() // 60)
    return length + int((settings.prep_minutes or {}).get(role, 0))


def _choice_of(db: Session, project_id: int, user_id: str) -> PaymentChoiceRow | None:
    return db.scalar(
        select(PaymentChoiceRow).where(
            PaymentChoiceRow.project_id == project_id, PaymentChoiceRow.user_id == user_id
        )
    )


# ---------------------------------------------------------------- planning the register


def _coordinator(project: Project) -> str | None:
    found = access.people_with(project, Role.COORDINATOR)
    return found[0] if found else None


def plan_session(
    session: Session, *, project: Project, cosession: CoSession, now: datetime
) -> None:
    """(Re)plan a workshop's register for its facilitators at its end, and one nudge a day
    later, in the caller's transaction; idempotent."""
    scope = deliveries.Scope.of(SESSION_SUBJECT, [cosession.id], REGISTER_KINDS)
    prefix = f"register:s{cosession.id}:r{cosession.revision}"
    owes = SessionOwes(cosession, access.people_with(project, Role.COORDINATOR), prefix)
    if cosession.status == SessionStatus.SCHEDULED and cosession.kind == SessionKind.WORKSHOP:
        for user in dict.fromkeys(cosession.user_ids(SessionRole.FACILITATOR)):
            owes.add(REGISTER, [user], cosession.ends_at, late_ok=True)
            owes.add(
                REGISTER_NUDGE, [user], cosession.ends_at + REGISTER_NUDGE_AFTER, late_ok=False
            )
    deliveries.reconcile(session, subject=scope, owed=owes.owed, now=now)


def cancel_session(session: Session, *, cosession: CoSession, now: datetime) -> None:
    """A cancelled session owes no register."""
    scope = deliveries.Scope.of(SESSION_SUBJECT, [cosession.id], REGISTER_KINDS)
    deliveries.reconcile(session, subject=scope, owed=[], now=now)


def on_session_changed(session: Session, event: SessionChanged, now: datetime) -> None:
    """A session was added, edited, moved or cancelled: its register moves with it."""
    session_changes.replan(session, event, now, plan=plan_session, cancel=cancel_session)


def _plan_monthly_claim(
    db: Session, project: Project, user_id: str, day: date, *, now: datetime
) -> None:
    """The claim for `day`'s month is owed to `user_id` on the 1st of the next month (when
    they are paid or have expenses to repay: nobody else has anything to claim)."""
    row = _choice_of(db, project.id, user_id)
    paid = row is not None and row.choice != PaymentChoice.NONE
    if not paid and not _unpaid_expenses(db, project.id, user_id):
        return
    start, end = month_bounds(day)
    tz = ZoneInfo(project.timezone)
    due = datetime.combine(end + timedelta(days=1), CLAIM_HOUR, tzinfo=tz)
    key = deliveries.owed_key(CLAIM_SUBJECT, f"p{project.id}", start.isoformat(), user_id)
    about = (CLAIM, (PROJECT_SUBJECT, project.id), key)
    payload = {"start": start.isoformat(), "end": end.isoformat()}
    _owe(db, project, about, target=user_id, payload=payload, now=now, due=due)


# ---------------------------------------------------------------- claims


def _claim_lines(
    db: Session, project: Project, user_id: str, start: date, end: date
) -> tuple[list[dict[str, Any]], int, int]:
    """A person's payable lines for a period (sessions attended, time logged, approved
    expenses not yet paid): (lines, fees, expenses)."""
    settings = settings_of(db, project)
    rates = rates_of(settings)
    role = str(access.role_of(project, user_id) or Role.PARTICIPANT)
    choice_row = _choice_of(db, project.id, user_id)
    choice = PaymentChoice(choice_row.choice) if choice_row else PaymentChoice.NONE
    paid = choice is not PaymentChoice.NONE
    lines: list[dict[str, Any]] = []
    fees = 0
    rows = db.execute(
        select(Attendance, CoSession)
        .join(CoSession, CoSession.id == Attendance.session_id)
        .join(AttendanceRegister, AttendanceRegister.session_id == CoSession.id)
        .where(
            CoSession.project_id == project.id,
            Attendance.user_id == user_id,
            Attendance.attended.is_(True),
            AttendanceRegister.saved_at.is_not(None),
            CoSession.status == SessionStatus.SCHEDULED,
        )
        .order_by(CoSession.starts_at)
    ).all()
    for mark, cosession in rows:
        if not start <= local_day(cosession.ends_at, project.timezone) <= end:
            continue
        minutes = session_minutes(cosession, mark.role, settings)
        rate = rates.rate(role, Activity.SESSION) if paid else 0
        amount = pay_for(minutes, rate)
        fees += amount
        lines.append({"what": cosession.title, "minutes": minutes, "rate": rate, "amount": amount})
    logs = db.scalars(
        select(TimeLog)
        .where(
            TimeLog.project_id == project.id,
            TimeLog.user_id == user_id,
            TimeLog.day >= start,
            TimeLog.day <= end,
        )
        .order_by(TimeLog.day, TimeLog.id)
    ).all()
    for log in logs:
        rate = rates.rate(role, log.activity) if paid else 0
        amount = pay_for(log.minutes, rate)
        fees += amount
        label = Activity(log.activity).label
        lines.append(
            {
                "what": f"{label} ({log.day.isoformat()})",
                "minutes": log.minutes,
                "rate": rate,
                "amount": amount,
            }
        )
    spent = 0
    for expense in _unpaid_expenses(db, project.id, user_id):
        spent += expense.amount
        lines.append(
            {
                "what": ExpenseKind(expense.kind).label,
                "minutes": 0,
                "rate": 0,
                "amount": expense.amount,
                "expense_id": expense.id,
            }
        )
    return lines, fees, spent


def _unpaid_expenses(db: Session, project_id: int, user_id: str) -> Sequence[Expense]:
    return db.scalars(
        select(Expense)
        .where(
            Expense.project_id == project_id,
            Expense.user_id == user_id,
            Expense.status == ExpenseStatus.APPROVED,
            Expense.claim_id.is_(None),
        )
        .order_by(Expense.id)
    ).all()


def _claims_of(db: Session, project_id: int, user_id: str) -> Sequence[Claim]:
    return db.scalars(
        select(Claim)
        .where(Claim.project_id == project_id, Claim.user_id == user_id)
        .order_by(Claim.period_start)
    ).all()


def make_claim(
    db: Session, project: Project, user_id: str, start: date, end: date, *, now: datetime
) -> Claim | None:
    """The person's claim for the period (made, or brought up to date while unconfirmed);
    None when there is nothing to pay. Periods never overlap a confirmed claim."""
    claims = _claims_of(db, project.id, user_id)
    for claim in claims:  # by period: each confirmed one moves the start past its end
        confirmed = claim.status == ClaimStatus.CONFIRMED
        if confirmed and claim.period_start <= end and claim.period_end >= start:
            start = claim.period_end + timedelta(days=1)
    existing = next((c for c in claims if c.period_start == start), None)
    if existing is not None and existing.status == ClaimStatus.CONFIRMED:
        return None
    if start > end:
        return None
    lines, fees, spent = _claim_lines(db, project, user_id, start, end)
    if fees + spent == 0:
        return existing
    choice_row = _choice_of(db, project.id, user_id)
    choice = choice_row.choice if choice_row else PaymentChoice.NONE
    settings = settings_of(db, project)
    claim = existing or Claim(
        project_id=project.id,
        user_id=user_id,
        period_start=start,
        status=ClaimStatus.SENT,
        round=1,
        created_at=now,
    )
    claim.period_end = end
    claim.payment_choice = str(choice)
    claim.currency = settings.currency
    claim.lines = lines
    claim.fees = fees
    claim.expenses = spent
    claim.total = fees + spent
    if existing is None:
        db.add(claim)
    db.flush()
    return claim


def _claim_note(db: Session, claim: Claim) -> ClaimNote:
    project = db.get_one(Project, claim.project_id)
    return ClaimNote(
        claim_id=claim.id,
        project_name=project.name,
        period_start=claim.period_start,
        period_end=claim.period_end,
        choice=PaymentChoice(claim.payment_choice),
        currency=claim.currency,
        lines=tuple(
            ClaimLine(
                what=str(line.get("what", "")),
                minutes=int(line.get("minutes", 0)),
                rate=int(line.get("rate", 0)),
                amount=int(line.get("amount", 0)),
                expense="expense_id" in line,
            )
            for line in claim.lines or []
        ),
        fees=claim.fees,
        expenses=claim.expenses,
        total=claim.total,
    )


def _schedule_claim(db: Session, project: Project, claim: Claim, *, now: datetime) -> None:
    _owe(
        db,
        project,
        _about(CLAIM, claim.id, f"r{claim.round}"),
        target=claim.user_id,
        payload={"claim_id": claim.id, "round": claim.round},
        now=now,
    )


def _involved(db: Session, project: Project) -> list[str]:
    """Everyone with something payable in the project."""
    people = set(
        db.scalars(
            select(Attendance.user_id)
            .join(CoSession, CoSession.id == Attendance.session_id)
            .where(CoSession.project_id == project.id, Attendance.attended.is_(True))
        )
    )
    people |= set(db.scalars(select(TimeLog.user_id).where(TimeLog.project_id == project.id)))
    people |= set(db.scalars(select(Expense.user_id).where(Expense.project_id == project.id)))
    return sorted(people)


# ---------------------------------------------------------------- rendering at send time


def involvement_kinds(*, present: Presenter, clock: Clock | None = None) -> Sequence[DeliveryKind]:
    """The delivery kinds involvement uses; claims and expenses are private to their person
    and coordinators (never listed in exports)."""
    now = (clock or SystemClock()).now

    def build(session: Session, delivery: Delivery) -> InvolvementNote | None:
        return build_note(session, delivery, now=now())

    render = deliveries.Presented[InvolvementNote](build, present)
    private = {CLAIM, CLAIM_QUERIED, EXPENSE_REVIEW, EXPENSE_QUESTION}
    return tuple(
        DeliveryKind(name=name, render=render, private=name in private)
        for name in (REGISTER, REGISTER_NUDGE, *sorted(private))
    )


def build_note(session: Session, delivery: Delivery, *, now: datetime) -> InvolvementNote | None:
    """What `delivery` should say now, or None when it no longer applies."""
    project = session.get(Project, delivery.project_id or 0)
    if project is None or project.status != ProjectStatus.ACTIVE:
        return None
    if delivery.kind in REGISTER_KINDS:
        return _register_note(session, project, delivery, now=now)
    if delivery.kind == CLAIM:
        claim_id = delivery.payload.get("claim_id")
        if claim_id is None:
            start = date.fromisoformat(str(delivery.payload.get("start")))
            end = date.fromisoformat(str(delivery.payload.get("end")))
            claim = make_claim(session, project, delivery.target, start, end, now=now)
        else:
            claim = session.get(Claim, int(claim_id))
            if claim is not None and delivery.payload.get("round") != claim.round:
                return None
        if claim is None or claim.status == ClaimStatus.CONFIRMED:
            return None
        if claim.user_id != delivery.target:
            return None
        return _claim_note(session, claim)
    if delivery.kind == CLAIM_QUERIED:
        claim = session.get(Claim, delivery.subject_id or 0)
        query = session.get(ClaimQuery, int(delivery.payload.get("query_id", 0)))
        if claim is None or query is None or claim.status != ClaimStatus.QUERIED:
            return None
        return ClaimQueriedNote(
            claim=_claim_note(session, claim), user_id=claim.user_id, query=query.text
        )
    expense = session.get(Expense, delivery.subject_id or 0)
    if expense is None:
        return None
    for_person = delivery.kind == EXPENSE_QUESTION
    if for_person and expense.status != ExpenseStatus.QUESTIONED:
        return None
    if not for_person and (
        expense.status != ExpenseStatus.PENDING or delivery.payload.get("round") != expense.round
    ):
        return None
    return _expense_note(session, project, expense, for_person=for_person)


def _register_note(
    session: Session, project: Project, delivery: Delivery, *, now: datetime
) -> RegisterNote | None:
    cosession = session.get(CoSession, delivery.subject_id or 0)
    if cosession is None or cosession.status != SessionStatus.SCHEDULED:
        return None
    if delivery.payload.get("revision") != cosession.revision:
        return None
    if delivery.target not in cosession.user_ids(SessionRole.FACILITATOR):
        return None
    if now > cosession.ends_at + REGISTER_EDITABLE:
        return None
    register = session.get(AttendanceRegister, cosession.id)
    saved = register is not None and register.saved_at is not None
    nudge = delivery.kind == REGISTER_NUDGE
    if nudge and saved:
        return None
    return RegisterNote(
        session=access.session_facts(cosession, project),
        expected=len(set(cosession.user_ids(SessionRole.PARTICIPANT))),
        nudge=nudge,
        saved_by=register.saved_by if register is not None and saved else None,
    )


def _expense_note(
    db: Session, project: Project, expense: Expense, *, for_person: bool
) -> ExpenseNote:
    return ExpenseNote(
        expense_id=expense.id,
        project_name=project.name,
        user_id=expense.user_id,
        kind=ExpenseKind(expense.kind),
        amount=expense.amount,
        currency=settings_of(db, project).currency,
        what_for=expense.what_for,
        question=expense.question,
        answer=expense.answer,
        for_person=for_person,
        receipts=receipts_of(expense),
    )


def receipts_of(expense: Expense) -> tuple[Receipt, ...]:
    """The receipts attached to an expense (none once forgotten, or when unreadable)."""
    try:
        stored = json.loads(expense.receipts or "[]")
    except ValueError:
        return ()
    return tuple(
        Receipt(str(r.get("id", "")), str(r.get("name", "")), str(r.get("permalink", "")))
        for r in stored
        if isinstance(r, dict)
    )


# ---------------------------------------------------------------- what the service returns


@dataclass(frozen=True)
class RegisterForm:
    """The register modal: everyone expected (ticked when they came, or by default)."""

    session: SessionFacts
    expected: tuple[tuple[str, str], ...]  # (user, session role)
    present: frozenset[str]
    extra: tuple[str, ...]
    saved_by: str | None
    editable_until: datetime


@dataclass(frozen=True)
class RegisterSaved:
    """The register was saved."""

    session: SessionFacts
    came: tuple[str, ...]
    absent: tuple[str, ...]
    extra: tuple[str, ...]
    updated: bool


@dataclass(frozen=True)
class ProjectForm(ForProject):
    """A person's form in one project (time log, payment choice, expense)."""

    currency: str = "GBP"
    benefits_contact: str = ""
    choice: PaymentChoice | None = None


@dataclass(frozen=True)
class Done:
    """Something was saved: what to tell the person."""

    project_name: str
    label: str
    amount: int = 0
    currency: str = "GBP"
    # an expense's receipts (Slack files the person attached)
    attached: int = 0


# pay amounts: whole numbers once read, the text typed before
Money = TypeVar("Money", int, str)


@dataclass(frozen=True)
class PayFields(Generic[Money]):
    """The pay settings' fields, as shown (`int`) or as typed (`str`): one list of names."""

    currency: str
    default_rate: Money
    rates: dict[str, Money]
    reason: str
    prep: dict[str, Money]
    benefits_contact: str


@dataclass(frozen=True)
class PayForm(PayFields[int], ForProject):
    """The coordinators' pay settings form (the project's fields first)."""


@dataclass(frozen=True)
class PaySettingsInput(PayFields[str]):
    """What the pay settings form typed (money as text, parsed here)."""


@dataclass(frozen=True)
class RecordItem:
    """One line of a person's involvement record."""

    day: date
    what: str
    minutes: int


@dataclass(frozen=True)
class InvolvementRecord:
    """A person's involvement in one project: what they did and for how long."""

    project_name: str
    items: tuple[RecordItem, ...]
    minutes: int
    choice: PaymentChoice | None


@dataclass(frozen=True)
class FinanceRow(ClaimFigures):
    """One confirmed claim, as finance pays it."""

    user_id: str
    minutes: int
    confirmed_at: datetime


@dataclass(frozen=True)
class PayTotals:
    """A project's payments against its budget."""

    currency: str
    confirmed: int
    awaiting: int
    fees: int
    expenses: int
    pace: BudgetPace | None
    rows: tuple[FinanceRow, ...] = field(default=())


# ---------------------------------------------------------------- the service


class Involvement(SessionChangingService):
    """Registers, time, payment choices, rates, expenses, claims; each call one transaction."""

    # -- the register --------------------------------------------------------------------

    def _facilitated(self, db: Session, team_id: str, user_id: str, session_id: int) -> CoSession:
        cosession = access.session_by_id(db, team_id=team_id, session_id=session_id)
        project = db.get_one(Project, cosession.project_id)
        if user_id not in cosession.user_ids(SessionRole.FACILITATOR) and (
            access.role_of(project, user_id) is not Role.COORDINATOR
        ):
            raise AccessError(
                f"Only the facilitators of “{cosession.title}” (or a coordinator) can take "
                "its register."
            )
        if self._clock.now() > cosession.ends_at + REGISTER_EDITABLE:
            raise AccessError(
                f"The register of “{cosession.title}” could be changed for a week after it "
                "ended; ask a coordinator if it is wrong."
            )
        if cosession.ends_at > self._clock.now():
            raise AccessError(f"“{cosession.title}” has not ended yet: take the register after.")
        return cosession

    def register_form(self, *, team_id: str, user_id: str, session_id: int) -> RegisterForm:
        """The register as it stands: the expected people ticked unless marked absent."""
        with transaction(self._factory) as db:
            cosession = self._facilitated(db, team_id, user_id, session_id)
            project = db.get_one(Project, cosession.project_id)
            marks = {
                m.user_id: m
                for m in db.scalars(select(Attendance).where(Attendance.session_id == session_id))
            }
            register = db.get(AttendanceRegister, session_id)
            expected = tuple(
                (p.user_id, p.role) for p in cosession.people if p.role == SessionRole.PARTICIPANT
            )
            present = frozenset(u for u, _ in expected if u not in marks or marks[u].attended)
            return RegisterForm(
                session=access.session_facts(cosession, project),
                expected=expected,
                present=present,
                extra=tuple(u for u, m in marks.items() if m.unexpected and m.attended),
                saved_by=register.saved_by if register is not None else None,
                editable_until=cosession.ends_at + REGISTER_EDITABLE,
            )

    def save_register(
        self,
        *,
        team_id: str,
        user_id: str,
        session_id: int,
        present: Iterable[str],
        extra: Iterable[str],
    ) -> RegisterSaved:
        """Save who came; hours follow, and participant feedback goes to those who came."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            cosession = self._facilitated(db, team_id, user_id, session_id)
            project = db.get_one(Project, cosession.project_id)
            roles = {p.user_id: p.role for p in cosession.people}
            came = {u for u in present if roles.get(u) == SessionRole.PARTICIPANT}
            facilitators = set(cosession.user_ids(SessionRole.FACILITATOR))
            unexpected = {u for u in extra if u not in roles and u.startswith(("U", "W"))}
            marks = {
                m.user_id: m
                for m in db.scalars(select(Attendance).where(Attendance.session_id == session_id))
            }
            wanted: dict[str, tuple[str, bool, bool]] = {}
            for user, role in roles.items():
                here = user in came or role == SessionRole.FACILITATOR
                wanted[user] = (role, here, False)
            for user in unexpected:
                wanted[user] = (SessionRole.PARTICIPANT, True, True)
            for user, old in marks.items():
                if user not in wanted:
                    db.delete(old)
            for user, (role, here, surprise) in wanted.items():
                row = marks.get(user)
                if row is None:
                    row = Attendance(session_id=session_id, user_id=user)
                    db.add(row)
                row.role = role
                row.attended = here
                row.unexpected = surprise
            register = db.get(AttendanceRegister, session_id)
            updated = register is not None and register.saved_at is not None
            if register is None:
                register = AttendanceRegister(session_id=session_id)
                db.add(register)
            register.saved_by = user_id
            register.saved_at = now
            db.flush()
            day = local_day(cosession.ends_at, project.timezone)
            for user, (_role, here, _s) in wanted.items():
                if here:
                    _plan_monthly_claim(db, project, user, day, now=now)
            # the debriefs re-plan: participant feedback goes to those who came
            self._changes.publish(db, SessionChanged(session_id, SessionChange.EDITED), now=now)
            participants = [u for u, r in roles.items() if r == SessionRole.PARTICIPANT]
            return RegisterSaved(
                session=access.session_facts(cosession, project),
                came=tuple(sorted((came | unexpected) - facilitators)),
                absent=tuple(sorted(u for u in participants if u not in came)),
                extra=tuple(sorted(unexpected)),
                updated=updated,
            )

    # -- a person's own forms --------------------------------------------------------------

    def _member(self, db: Session, team_id: str, project_id: int, user_id: str) -> Project:
        project = access.project_by_id(db, team_id=team_id, project_id=project_id)
        access.require_member(
            project, user_id, f"Only members of *{project.name}* can do that here."
        )
        return project

    def project_form(self, *, team_id: str, channel_id: str, user_id: str) -> ProjectForm:
        """What a member's time-log, payment or expense form needs of the channel's project."""
        with transaction(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            self._member(db, team_id, project.id, user_id)
            settings = settings_of(db, project)
            row = _choice_of(db, project.id, user_id)
            return ProjectForm(
                **of_project(project),
                currency=settings.currency,
                benefits_contact=settings.benefits_contact,
                choice=PaymentChoice(row.choice) if row else None,
            )

    def log_time(self, *, team_id: str, user_id: str, project_id: int, data: TimeLogInput) -> Done:
        """Record time spent outside sessions; errors by field, nothing saved."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = self._member(db, team_id, project_id, user_id)
            today = local_day(now, project.timezone)
            minutes, errors = check_time_log(data, today=today)
            raise_if_invalid(errors)
            assert data.day is not None
            db.add(
                TimeLog(
                    project_id=project.id,
                    user_id=user_id,
                    activity=data.activity,
                    day=data.day,
                    minutes=minutes,
                    note=data.note.strip(),
                    created_at=now,
                )
            )
            _plan_monthly_claim(db, project, user_id, data.day, now=now)
            return Done(project.name, f"{Activity(data.activity).label}", amount=minutes)

    def set_payment(self, *, team_id: str, user_id: str, project_id: int, choice: str) -> Done:
        """The person's payment choice (theirs to change at any time)."""
        now = self._clock.now()
        if choice not in {c.value for c in PaymentChoice}:
            raise InvalidFields({"choice": "Choose how you would like to be paid."})
        with transaction(self._factory) as db:
            project = self._member(db, team_id, project_id, user_id)
            row = _choice_of(db, project.id, user_id)
            if row is None:
                row = PaymentChoiceRow(project_id=project.id, user_id=user_id)
                db.add(row)
            row.choice = choice
            row.updated_at = now
            db.flush()
            # this month's claim is owed from now on (registers saved earlier planned none)
            _plan_monthly_claim(db, project, user_id, local_day(now, project.timezone), now=now)
            return Done(project.name, PaymentChoice(choice).label)

    # -- expenses ----------------------------------------------------------------------------

    def claim_expense(
        self,
        *,
        team_id: str,
        user_id: str,
        project_id: int,
        kind: str,
        amount: str,
        what_for: str,
        receipts: Sequence[UploadedFile] = (),
    ) -> Done:
        """An expense to repay, with any receipts (Slack files the person uploaded in the
        form: only their ids, names and links are kept), sent to the coordinators to approve
        or question."""
        now = self._clock.now()
        errors: dict[str, str] = {}
        if kind not in {k.value for k in ExpenseKind}:
            errors["kind"] = "Choose what the expense was for."
        pence = parse_money(amount)
        if isinstance(pence, str):
            errors["amount"] = pence
        elif pence == 0:
            errors["amount"] = "Enter the amount you paid."
        if not what_for.strip():
            errors["what_for"] = "Say what it was for (a journey, the hours of cover...)."
        elif len(what_for) > MAX_WHAT_FOR:
            errors["what_for"] = f"Keep it under {MAX_WHAT_FOR} characters."
        attached = check_receipts(receipts)
        if isinstance(attached, str):
            errors["receipt"] = attached
        raise_if_invalid(errors)
        assert isinstance(pence, int)
        assert not isinstance(attached, str)
        with transaction(self._factory) as db:
            project = self._member(db, team_id, project_id, user_id)
            expense = Expense(
                project_id=project.id,
                user_id=user_id,
                kind=kind,
                amount=pence,
                what_for=what_for.strip(),
                receipts=json.dumps([r.as_json() for r in attached]) if attached else None,
                status=ExpenseStatus.PENDING,
                round=1,
                created_at=now,
            )
            db.add(expense)
            db.flush()
            self._review(db, project, expense, now=now)
            currency = settings_of(db, project).currency
            return Done(
                project.name,
                ExpenseKind(kind).label,
                amount=pence,
                currency=currency,
                attached=len(attached),
            )

    def _review(self, db: Session, project: Project, expense: Expense, *, now: datetime) -> None:
        payload = {"expense_id": expense.id, "round": expense.round}
        about = _about(EXPENSE_REVIEW, expense.id, f"r{expense.round}")
        _owe_coordinators(db, project, about, payload=payload, now=now)

    def _expense(
        self, db: Session, team_id: str, expense_id: int, user_id: str, *, coordinator: bool
    ) -> tuple[Expense, Project]:
        expense = db.get(Expense, expense_id)
        if expense is None:
            raise AccessError("That expense no longer exists.")
        project = access.project_by_id(db, team_id=team_id, project_id=expense.project_id)
        if coordinator:
            access.require_coordinator(project, user_id)
        elif expense.user_id != user_id:
            raise AccessError("Only the person who claimed that expense can answer about it.")
        return expense, project

    def approve_expense(self, *, team_id: str, user_id: str, expense_id: int) -> ExpenseNote:
        """A coordinator approves an expense: it goes into the person's next claim."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            expense, project = self._expense(db, team_id, expense_id, user_id, coordinator=True)
            if expense.status == ExpenseStatus.APPROVED:
                raise AccessError(f"That expense was already approved by <@{expense.decided_by}>.")
            expense.status = ExpenseStatus.APPROVED
            expense.decided_by = user_id
            expense.decided_at = now
            _plan_monthly_claim(
                db, project, expense.user_id, local_day(now, project.timezone), now=now
            )
            return _expense_note(db, project, expense, for_person=False)

    def question_expense(
        self, *, team_id: str, user_id: str, expense_id: int, question: str
    ) -> ExpenseNote:
        """A coordinator asks about an expense; its person gets the question to answer."""
        _written("question", question, "Write your question.")
        now = self._clock.now()
        with transaction(self._factory) as db:
            expense, project = self._expense(db, team_id, expense_id, user_id, coordinator=True)
            if expense.status != ExpenseStatus.PENDING:
                raise InvalidFields({"question": "That expense is no longer waiting for review."})
            expense.status = ExpenseStatus.QUESTIONED
            expense.question = question.strip()
            expense.decided_by = user_id
            about = _about(EXPENSE_QUESTION, expense.id, f"q{expense.round}")
            payload = {"expense_id": expense.id}
            _owe(db, project, about, target=expense.user_id, payload=payload, now=now)
            return _expense_note(db, project, expense, for_person=False)

    def answer_expense(
        self, *, team_id: str, user_id: str, expense_id: int, answer: str
    ) -> ExpenseNote:
        """The person answers a question: the expense goes back to the coordinators."""
        _written("answer", answer, "Write your answer.")
        now = self._clock.now()
        with transaction(self._factory) as db:
            expense, project = self._expense(db, team_id, expense_id, user_id, coordinator=False)
            if expense.status != ExpenseStatus.QUESTIONED:
                raise InvalidFields({"answer": "That expense has no open question."})
            expense.answer = answer.strip()
            expense.status = ExpenseStatus.PENDING
            expense.round += 1
            db.flush()
            self._review(db, project, expense, now=now)
            return _expense_note(db, project, expense, for_person=True)

    def expense_form(self, *, team_id: str, user_id: str, expense_id: int) -> ExpenseNote:
        """An expense, for the question modal (coordinators) or the answer modal (its person)."""
        with transaction(self._factory) as db:
            found = db.get(Expense, expense_id)
            mine = found is not None and found.user_id == user_id
            expense, project = self._expense(db, team_id, expense_id, user_id, coordinator=not mine)
            return _expense_note(db, project, expense, for_person=mine)

    # -- claims ------------------------------------------------------------------------------

    def send_claims(
        self, *, team_id: str, channel_id: str, user_id: str, at_end: bool
    ) -> tuple[int, date, date]:
        """A coordinator sends claims now: for the last closed month, or (`at_end`) for
        everything not yet claimed up to today. Returns (claims sent, period)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            today = local_day(now, project.timezone)
            start, end = last_closed_month(today)
            if at_end:
                start, end = project.start_date or date(2000, 1, 1), today
            sent = 0
            for person in _involved(db, project):
                claim = make_claim(db, project, person, start, end, now=now)
                if claim is None or claim.status == ClaimStatus.CONFIRMED:
                    continue
                if claim.status == ClaimStatus.QUERIED:
                    claim.status = ClaimStatus.SENT
                    claim.round += 1
                _schedule_claim(db, project, claim, now=now)
                sent += 1
            return sent, start, end

    def _claim(self, db: Session, team_id: str, user_id: str, claim_id: int) -> Claim:
        claim = db.get(Claim, claim_id)
        if claim is None:
            raise AccessError("That claim no longer exists.")
        access.project_by_id(db, team_id=team_id, project_id=claim.project_id)
        if claim.user_id != user_id:
            raise AccessError("Only the person a claim is for can confirm or query it.")
        return claim

    def confirm_claim(self, *, team_id: str, user_id: str, claim_id: int) -> ClaimNote:
        """The person confirms their claim: it goes to finance (and is kept as HMRC asks)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            claim = self._claim(db, team_id, user_id, claim_id)
            if claim.status == ClaimStatus.CONFIRMED:
                raise AccessError("You have already confirmed that claim: thank you.")
            if claim.status == ClaimStatus.QUERIED:
                raise AccessError(
                    "You queried that claim: a coordinator will send it again once it is sorted."
                )
            project = db.get_one(Project, claim.project_id)
            claim.status = ClaimStatus.CONFIRMED
            claim.confirmed_at = now
            claim.keep_until = finance_keep_until(local_day(now, project.timezone))
            paid = [int(line["expense_id"]) for line in claim.lines if "expense_id" in line]
            for expense in db.scalars(select(Expense).where(Expense.id.in_(paid))):
                expense.claim_id = claim.id
            return _claim_note(db, claim)

    def query_claim(self, *, team_id: str, user_id: str, claim_id: int, text: str) -> ClaimNote:
        """The person queries their claim: the coordinators get the question."""
        now = self._clock.now()
        _written("query", text, "Say what looks wrong.")
        with transaction(self._factory) as db:
            claim = self._claim(db, team_id, user_id, claim_id)
            if claim.status == ClaimStatus.CONFIRMED:
                raise InvalidFields({"query": "That claim is already confirmed."})
            project = db.get_one(Project, claim.project_id)
            claim.status = ClaimStatus.QUERIED
            query = ClaimQuery(
                claim_id=claim.id, user_id=user_id, text=text.strip(), created_at=now
            )
            db.add(query)
            db.flush()
            about = _about(CLAIM_QUERIED, claim.id, f"query:{query.id}")
            _owe_coordinators(db, project, about, payload={"query_id": query.id}, now=now)
            return _claim_note(db, claim)

    def claim_view(self, *, team_id: str, user_id: str, claim_id: int) -> ClaimNote:
        """A claim, for its person's query modal."""
        with transaction(self._factory) as db:
            return _claim_note(db, self._claim(db, team_id, user_id, claim_id))

    # -- coordinators' settings ----------------------------------------------------------------

    def pay_form(self, *, team_id: str, channel_id: str, user_id: str) -> PayForm:
        """The pay settings as they stand."""
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return _pay_form(db, project)

    def save_pay(
        self, *, team_id: str, user_id: str, project_id: int, data: PaySettingsInput
    ) -> PayForm:
        """Save rates, preparation time and the benefits contact; errors by field."""
        now = self._clock.now()
        errors: dict[str, str] = {}
        default = parse_money(data.default_rate or "0")
        if isinstance(default, str):
            errors["default_rate"] = default
        rates: dict[str, int] = {}
        for key, typed in data.rates.items():
            if not typed.strip():
                continue
            found = parse_money(typed)
            if isinstance(found, str):
                errors[key.replace(":", "_")] = found
            else:
                rates[key] = found
        prep: dict[str, int] = {}
        for role, typed in data.prep.items():
            minutes, problem = check_prep(typed, f"prep_{role}")
            errors.update(problem)
            prep[role] = minutes
        if data.currency not in ("GBP", "EUR", "USD"):
            errors["currency"] = "Choose the project's currency."
        if isinstance(default, int):
            errors.update(
                check_rates(
                    Rates(
                        default=default,
                        by_role={
                            k[len(ROLE_KEY) :]: v
                            for k, v in rates.items()
                            if k.startswith(ROLE_KEY)
                        },
                        by_activity={
                            k[len(ACTIVITY_KEY) :]: v
                            for k, v in rates.items()
                            if k.startswith(ACTIVITY_KEY)
                        },
                        reason=data.reason,
                    )
                )
            )
        raise_if_invalid(errors)
        assert isinstance(default, int)
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            settings = self._own_settings(db, project, user_id, now)
            settings.currency = data.currency
            settings.default_rate = default
            settings.rates = rates
            settings.rate_reason = data.reason.strip()
            settings.prep_minutes = prep
            settings.benefits_contact = data.benefits_contact.strip()
            db.flush()
            return _pay_form(db, project)

    def _own_settings(
        self, db: Session, project: Project, user_id: str, now: datetime
    ) -> PaySettings:
        settings = db.get(PaySettings, project.id)
        if settings is None:
            settings = settings_of(db, project)
            db.add(settings)
        settings.updated_by = user_id
        settings.updated_at = now
        return settings

    def set_budget(self, *, team_id: str, channel_id: str, user_id: str, typed: str) -> PayTotals:
        """`/cobot budget <amount>`: the project's budget for involvement payments."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            pence = parse_money(typed, limit=MAX_BUDGET)
            if isinstance(pence, str) or pence == 0:
                raise AccessError(
                    (pence if isinstance(pence, str) else "The budget must be more than 0.")
                    + " Use `/cobot budget 4500.00`."
                )
            self._own_settings(db, project, user_id, now).budget = pence
            project_id = project.id
        return self.totals(project_id)

    # -- what is shown -------------------------------------------------------------------------

    def totals(
        self, project_id: int, *, start: date | None = None, end: date | None = None
    ) -> PayTotals:
        """Confirmed and awaiting claims, against the budget (for the report and finance)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = db.get_one(Project, project_id)
            settings = settings_of(db, project)
            claims = db.scalars(
                select(Claim).where(Claim.project_id == project_id).order_by(Claim.id)
            ).all()
            rows: list[FinanceRow] = []
            awaiting = 0
            for claim in claims:
                if claim.status != ClaimStatus.CONFIRMED or claim.confirmed_at is None:
                    awaiting += claim.total
                    continue
                day = local_day(claim.confirmed_at, project.timezone)
                if (start and day < start) or (end and day > end):
                    continue
                rows.append(
                    FinanceRow(
                        user_id=claim.user_id,
                        choice=PaymentChoice(claim.payment_choice),
                        period_start=claim.period_start,
                        period_end=claim.period_end,
                        minutes=sum(int(line.get("minutes", 0)) for line in claim.lines),
                        fees=claim.fees,
                        expenses=claim.expenses,
                        total=claim.total,
                        currency=claim.currency,
                        confirmed_at=claim.confirmed_at,
                    )
                )
            confirmed = sum(r.total for r in rows)
            pace = (
                budget_pace(
                    budget=settings.budget,
                    spent=confirmed,
                    start=project.start_date,
                    end=project.end_date,
                    today=local_day(now, project.timezone),
                )
                if settings.budget
                else None
            )
            return PayTotals(
                currency=settings.currency,
                confirmed=confirmed,
                awaiting=awaiting,
                fees=sum(r.fees for r in rows),
                expenses=sum(r.expenses for r in rows),
                pace=pace,
                rows=tuple(rows),
            )

    def project_totals(self, *, team_id: str, channel_id: str, user_id: str) -> PayTotals:
        """`/cobot pay report`, for coordinators."""
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            project_id = project.id
        return self.totals(project_id)

    def records(self, *, team_id: str, user_id: str) -> list[InvolvementRecord]:
        """The person's involvement in each of the workspace's active projects (App Home)."""
        with transaction(self._factory) as db:
            projects = db.scalars(
                select(Project).where(
                    Project.team_id == team_id, Project.status == ProjectStatus.ACTIVE
                )
            ).all()
            return records_in(db, projects, user_id)


def records_in(db: Session, projects: Iterable[Project], user_id: str) -> list[InvolvementRecord]:
    """The person's involvement record in each of `projects` they have one in."""
    found: list[InvolvementRecord] = []
    for project in projects:
        if access.role_of(project, user_id) is None:
            continue
        record = _record(db, project, user_id)
        if record.items or record.choice is not None:
            found.append(record)
    return found


def _written(block: str, text: str, missing: str) -> None:
    """A question, answer or query: something written, and not too long once trimmed (as
    it is kept)."""
    problem = TypedText(MAX_QUERY, "it", missing).problem(text)
    if problem is not None:
        raise InvalidFields({block: problem})


# what each message owed now is about
_SUBJECT_OF = {
    CLAIM: CLAIM_SUBJECT,
    CLAIM_QUERIED: CLAIM_SUBJECT,
    EXPENSE_REVIEW: EXPENSE_SUBJECT,
    EXPENSE_QUESTION: EXPENSE_SUBJECT,
}


def _about(kind: str, subject_id: int, rest: str) -> About:
    """What a message about a claim or an expense is: its kind, the claim or expense, and
    its key (the subject's, then `rest`)."""
    subject = (_SUBJECT_OF[kind], subject_id)
    return kind, subject, deliveries.owed_key(*subject, rest)


def _owe(
    db: Session,
    project: Project,
    about: About,
    *,
    target: str,
    payload: dict[str, Any],
    now: datetime,
    due: datetime | None = None,
) -> None:
    """A message the project owes (now, unless `due`), escalated to its first coordinator."""
    kind, subject, key = about
    deliveries.schedule(
        db,
        key=key,
        kind=kind,
        target=target,
        due_at=due or now,
        now=now,
        project_id=project.id,
        subject=subject,
        payload=payload,
        escalate_to=_coordinator(project),
    )


def _owe_coordinators(
    db: Session,
    project: Project,
    about: About,
    *,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """The message owed now to each of the project's coordinators (its key ends with them)."""
    kind, subject, key = about
    for coordinator in access.people_with(project, Role.COORDINATOR):
        each = (kind, subject, deliveries.owed_key(key, coordinator))
        _owe(db, project, each, target=coordinator, payload=payload, now=now)


def _pay_form(db: Session, project: Project) -> PayForm:
    settings = settings_of(db, project)
    return PayForm(
        **of_project(project),
        currency=settings.currency,
        default_rate=settings.default_rate,
        rates={k: int(v) for k, v in (settings.rates or {}).items()},
        reason=settings.rate_reason,
        prep={k: int(v) for k, v in (settings.prep_minutes or {}).items()},
        benefits_contact=settings.benefits_contact,
    )


def _record(db: Session, project: Project, user_id: str) -> InvolvementRecord:
    settings = settings_of(db, project)
    items: list[RecordItem] = []
    rows = db.execute(
        select(Attendance, CoSession)
        .join(CoSession, CoSession.id == Attendance.session_id)
        .where(
            CoSession.project_id == project.id,
            Attendance.user_id == user_id,
            Attendance.attended.is_(True),
            CoSession.status == SessionStatus.SCHEDULED,
        )
    ).all()
    for mark, cosession in rows:
        items.append(
            RecordItem(
                day=local_day(cosession.starts_at, project.timezone),
                what=cosession.title,
                minutes=session_minutes(cosession, mark.role, settings),
            )
        )
    for log in db.scalars(
        select(TimeLog).where(TimeLog.project_id == project.id, TimeLog.user_id == user_id)
    ):
        items.append(
            RecordItem(day=log.day, what=Activity(log.activity).label, minutes=log.minutes)
        )
    items.sort(key=lambda i: (i.day, i.what))
    row = _choice_of(db, project.id, user_id)
    return InvolvementRecord(
        project_name=project.name,
        items=tuple(items),
        minutes=sum(i.minutes for i in items),
        choice=PaymentChoice(row.choice) if row else None,
    )


def facilitation_minutes(db: Session, project: Project) -> dict[str, int]:
    """Each practitioner's facilitation hours so far, by saved registers (sessions whose
    register is not saved count their listed facilitators)."""
    settings = settings_of(db, project)
    totals = dict.fromkeys(access.people_with(project, Role.PRACTITIONER), 0)
    sessions = sessions_with_people(
        db,
        CoSession.project_id == project.id,
        CoSession.status == SessionStatus.SCHEDULED,
        CoSession.kind == SessionKind.WORKSHOP,
    )
    for cosession in sessions:
        came = attended(db, cosession.id, SessionRole.FACILITATOR)
        for user in came if came is not None else cosession.user_ids(SessionRole.FACILITATOR):
            totals[user] = totals.get(user, 0) + session_minutes(
                cosession, SessionRole.FACILITATOR, settings
            )
    return totals


def workload_flags(db: Session, project: Project) -> list[str]:
    """Practitioners carrying much more facilitation than the others."""
    return overloaded(facilitation_minutes(db, project))
