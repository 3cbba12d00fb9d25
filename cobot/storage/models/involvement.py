"""Involvement and payment models: a project's pay settings and budget, attendance
registers, time logs, payment choices, expenses and claims. What a person chose or wrote
about themselves (payment choice, expenses, time-log notes, claim queries) is encrypted."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.involvement import DEFAULT_CURRENCY
from cobot.domain.privacy import IN_SESSION
from cobot.domain.privacy import KEPT_WITH_PROJECT
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Erasure
from cobot.domain.privacy import Field
from cobot.domain.privacy import Link
from cobot.domain.privacy import Path
from cobot.domain.privacy import Retention
from cobot.storage.columns import Encrypted
from cobot.storage.columns import InProject
from cobot.storage.columns import IntPK
from cobot.storage.columns import PersonInProject
from cobot.storage.columns import PersonInSession
from cobot.storage.columns import ProjectSettings
from cobot.storage.columns import SessionRef
from cobot.storage.columns import SlackId
from cobot.storage.columns import Status
from cobot.storage.columns import child_of
from cobot.storage.models.core import Base


class PaySettings(ProjectSettings, Base):
    """A project's currency, rates, preparation time per role, benefits-advice contact and
    budget, as its coordinators set them."""

    __tablename__ = "pay_settings"

    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    # pence per hour for everyone, unless a role or activity rate says otherwise
    default_rate: Mapped[int] = mapped_column(Integer, default=0)
    # {"role:<role>": pence, "activity:<activity>": pence}
    rates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rate_reason: Mapped[str] = mapped_column(Text, default="")
    # {"facilitator": minutes, "participant": minutes} added to each session attended
    prep_minutes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    benefits_contact: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[int | None] = mapped_column(Integer)


class AttendanceRegister(Base):
    """A session's register: owed to its facilitators when it ends, saved by one of them."""

    __tablename__ = "attendance_registers"

    session_id: Mapped[SessionRef] = mapped_column(primary_key=True)
    saved_by: Mapped[SlackId | None]
    saved_at: Mapped[datetime | None]


class Attendance(PersonInSession, Base):
    """Whether one person came to a session (saved with its register)."""

    __tablename__ = "attendance"

    # indexed, unlike the mixin's person column
    user_id: Mapped[SlackId] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(16))  # facilitator | participant
    attended: Mapped[bool] = mapped_column(Boolean, default=True)
    # came without being on the session's list
    unexpected: Mapped[bool] = mapped_column(Boolean, default=False)


class TimeLog(InProject, Base):
    """Time a person spent on the project outside sessions (`/cobot log time`)."""

    __tablename__ = "time_logs"

    user_id: Mapped[SlackId] = mapped_column(index=True)
    activity: Mapped[str] = mapped_column(String(30))
    day: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[Encrypted] = mapped_column(default="")
    created_at: Mapped[datetime]


class PaymentChoiceRow(PersonInProject, Base):
    """How a person chose to be paid in one project (private to them and coordinators)."""

    __tablename__ = "payment_choices"

    choice: Mapped[Encrypted]
    updated_at: Mapped[datetime]


class Expense(InProject, Base):
    """An expense a person claims back; a coordinator approves it or asks a question."""

    __tablename__ = "expenses"

    user_id: Mapped[SlackId] = mapped_column(index=True)
    kind: Mapped[Encrypted]
    amount: Mapped[int] = mapped_column(Integer)  # pence
    what_for: Mapped[Encrypted]
    status: Mapped[Status]
    question: Mapped[Encrypted | None]
    answer: Mapped[Encrypted | None]
    # receipts the person attached in the form: a JSON list of {"id", "name", "permalink"}
    # of files that stay in their Slack workspace (cobot holds no copy), encrypted because
    # file names are personal
    receipts: Mapped[Encrypted | None]
    # bumped each time it goes (back) to coordinators, so review messages get fresh keys
    round: Mapped[int] = mapped_column(Integer, default=1)
    decided_by: Mapped[SlackId | None]
    decided_at: Mapped[datetime | None]
    # the confirmed claim that paid it
    claim_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Claim(InProject, Base):
    """What a paid person is owed for a period, sent to them to confirm or query. Confirmed
    claims are payment records: their amounts stay for HMRC's period after `forget me`."""

    __tablename__ = "claims"

    user_id: Mapped[SlackId] = mapped_column(index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[Status]
    payment_choice: Mapped[Encrypted]
    currency: Mapped[str] = mapped_column(String(3))
    # [{"what": label, "minutes": n, "rate": pence, "amount": pence}] and expenses by kind
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fees: Mapped[int] = mapped_column(Integer, default=0)
    expenses: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # bumped when it is sent again after a query
    round: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    keep_until: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("project_id", "user_id", "period_start", name="uq_claims_period"),
    )


class ClaimQuery(Base):
    """What a person asked about their claim (for coordinators to answer)."""

    __tablename__ = "claim_queries"

    id: Mapped[IntPK]
    claim_id: Mapped[int] = child_of("claims", index=True)
    user_id: Mapped[SlackId]
    text: Mapped[Encrypted]
    created_at: Mapped[datetime]


# ---------------------------------------------------------------- privacy registry

FEATURE = "Involvement and payment"
declare = partial(Declaration, feature=FEATURE)
_PRIVATE = "you and the project's coordinators"

PRIVACY = (
    declare(
        table="attendance",
        what="Whether you came to a session (its register), which gives your hours",
        **IN_SESSION,
        fields=(
            Field("attended", Category.RECORD, "attended"),
            Field("role", Category.RECORD, "facilitator or participant"),
        ),
        context=("unexpected",),
        seen_by="the session's facilitators and the project's coordinators",
        **KEPT_WITH_PROJECT,
        kept_because=(
            "whether you came to sessions stays on their registers, like the sessions' lists "
            "of people, because facilitators' hours and the project's record depend on it"
        ),
    ),
    declare(
        table="time_logs",
        what="Time you logged on the project outside sessions, with your notes",
        fields=(
            Field("activity", Category.RECORD, "activity"),
            Field("minutes", Category.RECORD, "minutes"),
            Field("note", Category.FREE_TEXT, "note"),
        ),
        context=("day", "created_at"),
        seen_by=_PRIVATE,
    ),
    declare(
        table="payment_choices",
        what="How you chose to be paid for your involvement",
        fields=(Field("choice", Category.CHOICE, "payment choice"),),
        context=("updated_at",),
        seen_by=_PRIVATE,
    ),
    declare(
        table="expenses",
        what=(
            "Expenses you claimed: what for, how much, the names of receipts you attached, a "
            "coordinator's question and your answer (the receipt files themselves stay in your "
            "Slack workspace: cobot holds no copy, and you can delete them there)"
        ),
        fields=(
            Field("kind", Category.CHOICE, "kind of expense"),
            Field("amount", Category.RECORD, "amount (pence)"),
            Field("what_for", Category.FREE_TEXT, "what it was for"),
            Field("question", Category.FREE_TEXT, "a coordinator's question"),
            Field("answer", Category.FREE_TEXT, "your answer"),
            Field(
                "receipts", Category.FREE_TEXT, "receipts (Slack file names and links)", json=True
            ),
        ),
        context=("status", "created_at", "decided_at"),
        seen_by=_PRIVATE,
    ),
    declare(
        table="claims",
        what="Your claims: the amounts for each period and whether you confirmed them",
        fields=(
            Field("payment_choice", Category.CHOICE, "payment choice at the time"),
            Field("lines", Category.RECORD, "what the claim pays", json=True),
            Field("total", Category.RECORD, "total (pence)"),
        ),
        context=("period_start", "period_end", "status", "confirmed_at", "keep_until"),
        seen_by=_PRIVATE + ", and the project's finance contact for confirmed claims",
        retention=Retention.FINANCE,
        kept_until="keep_until",
        erasure=Erasure.KEEP,
        kept_because=(
            "your claims' amounts and who they were paid to stay for 6 years from the end of "
            "the UK tax year they were confirmed in, because HMRC requires payment records to "
            "be kept that long; nothing you wrote is kept with them (your queries and expense "
            "notes are erased)"
        ),
    ),
    declare(
        table="claim_queries",
        what="What you asked about a claim",
        project=Path("project_id", via=(Link("claim_id", "claims"),)),
        fields=(Field("text", Category.FREE_TEXT, "your query"),),
        context=("created_at",),
        seen_by=_PRIVATE,
    ),
)

NOT_PERSONAL = {
    "pay_settings.rate_reason": "why rates differ, as coordinators worded it for the project",
    "pay_settings.benefits_contact": "the project's benefits-advice contact, for every member",
    "pay_settings.rates": "the project's rates per role and activity",
    "pay_settings.prep_minutes": "the project's preparation time per role",
}
