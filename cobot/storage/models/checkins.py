"""Check-in tables: a project's set-up, each person's enrolment, answers, contact requests."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.privacy import PROJECT
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Link
from cobot.domain.privacy import NamedIn
from cobot.domain.privacy import Path
from cobot.storage.columns import Encrypted
from cobot.storage.columns import IntPK
from cobot.storage.columns import PersonInProject
from cobot.storage.columns import ProjectRef
from cobot.storage.columns import ProjectSettings
from cobot.storage.columns import SlackId
from cobot.storage.columns import Status
from cobot.storage.columns import Timestamps
from cobot.storage.columns import child_of
from cobot.storage.models.core import Base


class CheckinSetup(ProjectSettings, Base):
    """A project's check-in set-up, chosen by its coordinators (nothing personal)."""

    __tablename__ = "checkin_setups"

    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rhythm: Mapped[str] = mapped_column(String(20), default="weekly")
    support_text: Mapped[str] = mapped_column(Text, default="")
    contacts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    # members added after this were not yet invited (a forgotten person is not re-invited)
    invited_through: Mapped[datetime | None]


class CheckinPerson(PersonInProject, Timestamps, Base):
    """One person's enrolment in one project's check-ins: consent and their own settings."""

    __tablename__ = "checkin_people"

    # indexed, unlike the mixin's person column
    user_id: Mapped[SlackId] = mapped_column(index=True)
    # invited (asked for consent) | active | declined | stopped
    status: Mapped[Status] = mapped_column(default="invited")
    consented_at: Mapped[datetime | None]
    time_of_day: Mapped[str] = mapped_column(String(5), default="10:00")
    working_days: Mapped[list[Any]] = mapped_column(JSON, default=list)
    after_sessions: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(64))
    last_checkin_on: Mapped[date | None] = mapped_column(Date)


class CheckinAnswer(Base):
    """One answer to one check-in; the mood and the note are encrypted at rest."""

    __tablename__ = "checkin_answers"

    id: Mapped[IntPK]
    person_id: Mapped[int] = child_of("checkin_people", index=True)
    project_id: Mapped[ProjectRef]
    # the check-in message answered (deliveries.id); pressing again changes the answer
    delivery_id: Mapped[int] = mapped_column(Integer, unique=True)
    asked_on: Mapped[date] = mapped_column(Date)
    answered_at: Mapped[datetime]
    role: Mapped[str] = mapped_column(String(20))
    mood: Mapped[Encrypted]
    note: Mapped[Encrypted | None]

    __table_args__ = (Index("ix_checkin_answers_project", "project_id", "answered_at"),)


class CheckinContactRequest(Base):
    """A person asked the project's wellbeing contacts to get in touch, and what they chose
    to share with them (the contacts' message is rendered from exactly this)."""

    __tablename__ = "checkin_contact_requests"

    id: Mapped[IntPK]
    person_id: Mapped[int] = child_of("checkin_people", index=True)
    project_id: Mapped[ProjectRef]
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkin_answers.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime]
    share_mood: Mapped[bool] = mapped_column(Boolean, default=False)
    share_note: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[Encrypted | None]


class PublishedFigure(Base):
    """One check-in figure published for a closed month (domain/disclosure.py): the whole
    project (`group` "all") or one role group. Written once after the month ends and never
    changed, so erasing or purging answers later cannot be diffed against it. Held-back
    groups get a row with `shown` false and no numbers; a month with nothing to show has
    its "all" row with `shown` false, which also marks the month as done."""

    __tablename__ = "published_figures"

    id: Mapped[IntPK]
    project_id: Mapped[ProjectRef]
    period: Mapped[str] = mapped_column(String(7))
    group: Mapped[str] = mapped_column(String(20))
    shown: Mapped[bool] = mapped_column(Boolean, default=False)
    people: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    average: Mapped[float] = mapped_column(Float, default=0.0)
    low_answers: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("project_id", "period", "group", name="uq_published_figures_figure"),
    )


# ---------------------------------------------------------------- privacy registry

_PERSON = Path("user_id", via=(Link("person_id", "checkin_people"),))
FEATURE = "Wellbeing check-ins"
declare = partial(Declaration, feature=FEATURE)

PRIVACY = (
    declare(
        table="checkin_people",
        what="Your check-in enrolment: consent and your own time, days, pause and zone",
        fields=(
            Field("status", Category.CHOICE, "consent and status"),
            Field("time_of_day", Category.SETTING, "time of day"),
            Field("working_days", Category.SETTING, "days"),
            Field("after_sessions", Category.SETTING, "after sessions too"),
            Field("paused_until", Category.SETTING, "paused until"),
            Field("timezone", Category.SETTING, "time zone"),
        ),
        context=("consented_at", "last_checkin_on", "created_at"),
        seen_by="you only",
        ledger_subject="checkin_person",
    ),
    declare(
        table="checkin_answers",
        what="Each check-in answer: how you were feeling (1-5) and an optional note",
        person=_PERSON,
        fields=(
            Field("mood", Category.WELLBEING, "mood (1-5)"),
            Field("note", Category.WELLBEING, "note"),
        ),
        context=("asked_on", "answered_at", "role"),
        seen_by=(
            "you only; coordinators see totals of closed months for groups of at least 4 "
            "people, published once and never one person's answer"
        ),
    ),
    declare(
        table="checkin_contact_requests",
        what="When you asked a wellbeing contact to get in touch, and what you chose to share",
        person=_PERSON,
        fields=(
            Field("share_mood", Category.CHOICE, "shared your mood"),
            Field("share_note", Category.CHOICE, "shared your note"),
            Field("message", Category.WELLBEING, "message to the contacts"),
        ),
        context=("requested_at",),
        seen_by="you and the project's named wellbeing contacts",
        ledger_subject="checkin_contact",
    ),
)

NAMED_IN = (
    NamedIn(
        feature=FEATURE,
        table="checkin_setups",
        column="contacts",
        project=PROJECT,
        because=(
            "you are still a named wellbeing contact, because coordinators choose the "
            "contacts; ask one to name someone else (`/cobot checkin contacts`), or contact "
            "requests will still reach you"
        ),
    ),
)

NOT_PERSONAL = {
    "checkin_setups.roles": "the roles check-ins are for, chosen by coordinators",
    "checkin_setups.contacts": (
        "the Slack ids of the wellbeing contacts coordinators name (a role, not an answer)"
    ),
    "checkin_setups.support_text": (
        "support information coordinators publish to everyone invited (not about one person)"
    ),
}
