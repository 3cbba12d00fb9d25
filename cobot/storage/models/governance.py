"""Governance: the project plan's milestones, the oversight digest and slow-downs."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import partial

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.governance import DEFAULT_DIGEST_DAYS
from cobot.domain.governance import MilestoneStatus
from cobot.domain.privacy import KEPT_WITH_PROJECT
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Path
from cobot.storage.columns import InProject
from cobot.storage.columns import IntPK
from cobot.storage.columns import ProjectRef
from cobot.storage.columns import ProjectSettings
from cobot.storage.columns import SlackId
from cobot.storage.columns import Status
from cobot.storage.columns import Timestamps
from cobot.storage.models.core import Base


class Milestone(InProject, Timestamps, Base):
    """One step of a project's plan: who owns it, when it is due, whether it is done."""

    __tablename__ = "milestones"

    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(150))
    owner: Mapped[SlackId | None]
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(default=MilestoneStatus.OPEN)
    done_at: Mapped[datetime | None]
    done_by: Mapped[SlackId | None]
    # bumped when the due date or owner changes, so an overdue nudge is owed afresh
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[SlackId]


class DigestSettings(ProjectSettings, Base):
    """How often a project's oversight and steering members get the digest."""

    __tablename__ = "digest_settings"

    every_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_DIGEST_DAYS)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Digest(Base):
    """One digest owed to the oversight and steering members, and the coordinator's line."""

    __tablename__ = "digests"

    id: Mapped[IntPK]
    project_id: Mapped[ProjectRef]
    number: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    line: Mapped[str] = mapped_column(Text, default="")
    line_by: Mapped[SlackId | None]
    line_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_digests_number"),)


class SlowDown(InProject, Base):
    """A confirmed slow-down: what moved, by how much, and why (told to oversight)."""

    __tablename__ = "slow_downs"

    mode: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    sessions_moved: Mapped[int] = mapped_column(Integer, default=0)
    milestones_moved: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[SlackId]
    created_at: Mapped[datetime]


# ---------------------------------------------------------------- privacy registry

FEATURE = "Project plan"
declare = partial(Declaration, feature=FEATURE)

PRIVACY: tuple[Declaration, ...] = (
    declare(
        table="milestones",
        what="The milestones of a project plan you own",
        person=Path("owner"),
        fields=(Field("status", Category.RECORD, "open or done"),),
        context=("title", "due_on", "done_at"),
        seen_by="the project's members, and (as counts and titles) its oversight and steering",
        **KEPT_WITH_PROJECT,
        kept_because=(
            "the plan's steps are the project's work and stay in its plan; a coordinator can "
            "give one you own to someone else"
        ),
    ),
)

NOT_PERSONAL = {
    "milestones.title": "a step of the project plan, written by coordinators for the project",
    "digests.line": (
        "the coordinator's line about how the project is going (on track, slipping because "
        "...): their words about the project, written to be sent to its oversight and "
        "steering members; never about any one person's answers"
    ),
    "slow_downs.reason": (
        "why the coordinator slowed the project down, written to be told openly to its "
        "oversight and steering members: project data, not the coordinator's own"
    ),
}
