"""Core models: the deliveries ledger, Slack event ids, projects, people and sessions."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Date
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.privacy import IN_SESSION
from cobot.domain.privacy import KEPT_WITH_PROJECT
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Path
from cobot.domain.projects import ProjectStatus
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionStatus
from cobot.storage.columns import InProject
from cobot.storage.columns import IntPK
from cobot.storage.columns import ProjectRef
from cobot.storage.columns import SessionRef
from cobot.storage.columns import SlackId
from cobot.storage.columns import Status
from cobot.storage.columns import TeamId
from cobot.storage.columns import owned
from cobot.storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably; every
    `Mapped[datetime]` is an aware UTC datetime (the column kinds models share are in
    cobot.storage.columns)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class Delivery(Base):
    """One message cobot owes someone: the source of truth the scheduler only wakes up.

    `payload` holds render parameters that are never personal answers; what a message
    says is rendered at send time from the subject's current state.
    """

    __tablename__ = "deliveries"

    id: Mapped[IntPK]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    target: Mapped[SlackId]
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # the workspace it goes to (its project's): sent with that workspace's token
    team_id: Mapped[TeamId | None]
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime]
    status: Mapped[Status] = mapped_column(default=DeliveryStatus.SCHEDULED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # while sending: the claim expires then; while scheduled after a failure: not before then
    lease_until: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    slack_channel: Mapped[SlackId | None]
    slack_ts: Mapped[SlackId | None]
    escalate_to: Mapped[SlackId | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index("ix_deliveries_subject", "subject_type", "subject_id"),
        Index("ix_deliveries_team_status", "team_id", "status"),
    )


class SlackEvent(Base):
    """An Events API callback already processed; its id makes Slack's retries harmless."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class SlackSignature(Base):
    """A signed request already answered, by the SHA-256 of its signature: a replay within
    Slack's five-minute window finds it and does nothing."""

    __tablename__ = "slack_signatures"

    signature_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class FormReceipt(Base):
    """A form (a Slack modal, by view id) that already took effect, and the row it made: a
    second submission of the same modal (a double click, a client retry) finds it and
    answers with that row instead of making another. Ids only, nothing anyone wrote."""

    __tablename__ = "form_receipts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    result_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(index=True)


class Project(Base):
    """A co-production project, bound to one Slack channel."""

    __tablename__ = "projects"

    id: Mapped[IntPK]
    team_id: Mapped[TeamId]
    channel_id: Mapped[SlackId]
    name: Mapped[str] = mapped_column(String(120))
    aims: Mapped[str] = mapped_column(Text, default="")
    agreement: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # LeadTimes.to_json(): seconds per lead time
    lead_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[Status] = mapped_column(default=ProjectStatus.ACTIVE)
    created_by: Mapped[SlackId]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    members: Mapped[list[Member]] = owned("project", "Member.id")

    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_projects_channel"),)


class Member(Base):
    """A person's one role in one project, and (for participants) their onboarding."""

    __tablename__ = "members"

    id: Mapped[IntPK]
    project_id: Mapped[ProjectRef]
    user_id: Mapped[SlackId] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(20))
    added_by: Mapped[SlackId]
    added_at: Mapped[datetime]
    # onboarding checklist, ticked by a coordinator (dates only: no personal detail)
    briefing_done_at: Mapped[datetime | None]
    training_done_at: Mapped[datetime | None]
    access_needs_done_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(back_populates="members")

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_members_person"),)


class CoSession(InProject, Base):
    """One co-production session (table project_sessions; 'session' means a DB session here)."""

    __tablename__ = "project_sessions"

    kind: Mapped[str] = mapped_column(String(20), default=SessionKind.WORKSHOP)
    title: Mapped[str] = mapped_column(String(150))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    venue: Mapped[str] = mapped_column(String(300), default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[Status] = mapped_column(default=SessionStatus.SCHEDULED)
    # bumped whenever the time changes, so reminders get fresh idempotency keys
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[SlackId]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # the between-session work
    agenda_text: Mapped[str] = mapped_column(Text, default="")
    agenda_shared_at: Mapped[datetime | None]
    agenda_shared_by: Mapped[SlackId | None]
    notes_text: Mapped[str] = mapped_column(Text, default="")
    notes_posted_at: Mapped[datetime | None]
    notes_posted_by: Mapped[SlackId | None]
    plan_done_at: Mapped[datetime | None]
    accessibility_done_at: Mapped[datetime | None]

    people: Mapped[list[SessionPerson]] = owned("session", "SessionPerson.user_id")

    __table_args__ = (Index("ix_project_sessions_starts_at", "project_id", "starts_at"),)

    def user_ids(self, role: str) -> list[str]:
        """Facilitators or participants of this session."""
        return [p.user_id for p in self.people if p.role == role]


class SessionPerson(Base):
    """Who facilitates or takes part in a session."""

    __tablename__ = "session_people"

    session_id: Mapped[SessionRef] = mapped_column(primary_key=True)
    user_id: Mapped[SlackId] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # facilitator | participant

    session: Mapped[CoSession] = relationship(back_populates="people")


# ---------------------------------------------------------------- privacy registry

FEATURE = "Projects and sessions"
declare = partial(Declaration, feature=FEATURE)
_MEMBERSHIP = (
    "because coordinators manage who is in a project; ask one to remove you, and cobot "
    "stops inviting you to its sessions"
)

PRIVACY = (
    declare(
        table="members",
        what="Your role in a project and your onboarding dates (briefing, training, access needs)",
        fields=(Field("role", Category.RECORD, "role"),),
        context=("added_at", "briefing_done_at", "training_done_at", "access_needs_done_at"),
        seen_by="the project's members",
        **KEPT_WITH_PROJECT,
        kept_because="your project membership and role stay, " + _MEMBERSHIP,
    ),
    declare(
        table="session_people",
        what="Which sessions you facilitate or take part in",
        **IN_SESSION,
        fields=(Field("role", Category.RECORD, "facilitator or participant"),),
        seen_by="the project's members",
        **KEPT_WITH_PROJECT,
        kept_because="your place in sessions' lists stays, " + _MEMBERSHIP,
    ),
    declare(
        table="deliveries",
        what="The messages cobot sent or owes you: which kind, when (never what they said)",
        person=Path("target"),
        fields=(Field("kind", Category.RECORD, "kind of message"),),
        context=("due_at", "status", "finished_at"),
        seen_by="you, and coordinators for the project's reminders (never private kinds)",
        **KEPT_WITH_PROJECT,
        kept_because=(
            "the delivery log keeps when cobot messaged you about the project (never what a "
            "message said, and nothing of your check-ins), so coordinators can see reminders "
            "went out; what was still owed to you is cancelled"
        ),
    ),
)

NOT_PERSONAL = {
    "deliveries.last_error": "a Slack API error code, never message content",
    "deliveries.payload": "render parameters: ids only, never an answer",
    "projects.lead_times": "seconds per lead time",
    "projects.aims": "the project's aims, written by coordinators for every member",
    "projects.agreement": "the group agreement, shared with every member",
    "project_sessions.venue": "where a session is held, shared with its people",
    "project_sessions.objectives": "a session's objectives, shared with its people",
    "project_sessions.agenda_text": "a session's agenda, shared with its people",
    "project_sessions.notes_text": "a session's notes, shared with its people",
}
