"""Debrief models: per-project settings, debriefs, developmental feedback, actions, rounds and
participant feedback. Personal free text (and the 1-5 answers) is encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cobot.storage.crypto import EncryptedText
from cobot.storage.models.core import Base
from cobot.storage.types import UTCDateTime


class DebriefSettings(Base):
    """A project's debrief questions and where the collated summary goes."""

    __tablename__ = "debrief_settings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    questions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the practitioners' private channel; None means DM facilitators and coordinators
    channel_id: Mapped[str | None] = mapped_column(String(40))
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Debrief(Base):
    """One person's debrief of one session (or their choice to skip it)."""

    __tablename__ = "debriefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("project_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # submitted | skipped
    went_well: Mapped[str] = mapped_column(EncryptedText(), default="")
    change: Mapped[str] = mapped_column(EncryptedText(), default="")
    voices: Mapped[str] = mapped_column(EncryptedText(), default="")
    # the author's own: never collated, never shown to anyone else
    feeling: Mapped[str | None] = mapped_column(EncryptedText())
    feeling_words: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    notes: Mapped[list[DebriefDevNote]] = relationship(
        back_populates="debrief", cascade="all, delete-orphan", order_by="DebriefDevNote.id"
    )

    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_debriefs_person"),)


class DebriefDevNote(Base):
    """Developmental feedback from a debrief, for one named person only."""

    __tablename__ = "debrief_dev_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debrief_id: Mapped[int] = mapped_column(
        ForeignKey("debriefs.id", ondelete="CASCADE"), index=True
    )
    to_user: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(EncryptedText())

    debrief: Mapped[Debrief] = relationship(back_populates="notes")


class DebriefAction(Base):
    """An action for the next session, tracked until its owner (or a coordinator) ticks it."""

    __tablename__ = "debrief_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("project_sessions.id", ondelete="CASCADE"))
    debrief_id: Mapped[int] = mapped_column(
        ForeignKey("debriefs.id", ondelete="CASCADE"), index=True
    )
    owner: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(40))


class DebriefRound(Base):
    """When a session's debriefs closed (summary posted) and its feedback went out."""

    __tablename__ = "debrief_rounds"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("project_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ParticipantFeedback(Base):
    """A participant's feedback on a session; `named` when they put their name to the words."""

    __tablename__ = "participant_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("project_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(40))
    heard: Mapped[str | None] = mapped_column(EncryptedText())
    keep: Mapped[str] = mapped_column(EncryptedText(), default="")
    change: Mapped[str] = mapped_column(EncryptedText(), default="")
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_participant_feedback_person"),
    )
