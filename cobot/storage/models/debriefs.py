"""Debrief models: per-project settings, debriefs, developmental feedback, actions, rounds and
participant feedback. Personal free text (and the 1-5 answers) is encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from cobot.domain.privacy import BY_SESSION
from cobot.domain.privacy import IN_SESSION
from cobot.domain.privacy import SESSION
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Link
from cobot.domain.privacy import Path
from cobot.storage.columns import Encrypted
from cobot.storage.columns import InProject
from cobot.storage.columns import IntPK
from cobot.storage.columns import PersonInSession
from cobot.storage.columns import ProjectSettings
from cobot.storage.columns import SessionRef
from cobot.storage.columns import SlackId
from cobot.storage.columns import Status
from cobot.storage.columns import Timestamps
from cobot.storage.columns import child_of
from cobot.storage.columns import owned
from cobot.storage.models.core import Base


class DebriefSettings(ProjectSettings, Base):
    """A project's debrief questions and where the collated summary goes."""

    __tablename__ = "debrief_settings"

    questions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the practitioners' private channel; None means DM facilitators and coordinators
    channel_id: Mapped[SlackId | None]


class Debrief(PersonInSession, Timestamps, Base):
    """One person's debrief of one session (or their choice to skip it)."""

    __tablename__ = "debriefs"

    status: Mapped[Status]  # submitted | skipped
    went_well: Mapped[Encrypted] = mapped_column(default="")
    change: Mapped[Encrypted] = mapped_column(default="")
    voices: Mapped[Encrypted] = mapped_column(default="")
    # the author's own: never collated, never shown to anyone else
    feeling: Mapped[Encrypted | None]
    feeling_words: Mapped[Encrypted | None]

    notes: Mapped[list[DebriefDevNote]] = owned("debrief", "DebriefDevNote.id")


class DebriefDevNote(Base):
    """Developmental feedback from a debrief, for one named person only."""

    __tablename__ = "debrief_dev_notes"

    id: Mapped[IntPK]
    debrief_id: Mapped[int] = child_of("debriefs", index=True)
    to_user: Mapped[SlackId]
    text: Mapped[Encrypted]

    debrief: Mapped[Debrief] = relationship(back_populates="notes")


class DebriefAction(InProject, Base):
    """An action for the next session, tracked until its owner (or a coordinator) ticks it."""

    __tablename__ = "debrief_actions"

    session_id: Mapped[SessionRef]
    debrief_id: Mapped[int] = child_of("debriefs", index=True)
    owner: Mapped[SlackId]
    text: Mapped[Encrypted]
    status: Mapped[Status] = mapped_column(default="open")  # open | done
    created_by: Mapped[SlackId]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[SlackId | None]


class DebriefRound(Base):
    """When a session's debriefs closed (summary posted) and its feedback went out."""

    __tablename__ = "debrief_rounds"

    session_id: Mapped[SessionRef] = mapped_column(primary_key=True)
    closed_at: Mapped[datetime | None]
    feedback_closed_at: Mapped[datetime | None]


class ParticipantFeedback(PersonInSession, Timestamps, Base):
    """A participant's feedback on a session; `named` when they put their name to the words."""

    __tablename__ = "participant_feedback"

    heard: Mapped[Encrypted | None]
    keep: Mapped[Encrypted] = mapped_column(default="")
    change: Mapped[Encrypted] = mapped_column(default="")
    named: Mapped[bool] = mapped_column(Boolean, default=False)


# ---------------------------------------------------------------- privacy registry

FEATURE = "Debriefs and session feedback"
declare = partial(Declaration, feature=FEATURE)
_BY_DEBRIEF = Link("debrief_id", "debriefs")

PRIVACY = (
    declare(
        table="debriefs",
        what="Your debrief of a session: what went well, what to change, whose voices, "
        "and how you felt",
        **IN_SESSION,
        fields=(
            Field("status", Category.CHOICE, "submitted or skipped"),
            Field("went_well", Category.FREE_TEXT, "what went well"),
            Field("change", Category.FREE_TEXT, "what to change"),
            Field("voices", Category.FREE_TEXT, "whose voices were heard"),
            Field("feeling", Category.WELLBEING, "how you felt (1-5)"),
            Field("feeling_words", Category.WELLBEING, "how you felt, in words"),
        ),
        context=("created_at", "updated_at"),
        seen_by=(
            "you; the session's facilitators and coordinators see the collated summary "
            "without names; how you felt is yours only"
        ),
    ),
    declare(
        table="debrief_dev_notes",
        what="Developmental feedback written in a debrief for one named colleague",
        person=Path("user_id", via=(_BY_DEBRIEF,)),
        project=Path(
            "project_id",
            via=(_BY_DEBRIEF, BY_SESSION),
        ),
        session=Path("session_id", via=(_BY_DEBRIEF,)),
        fields=(Field("text", Category.FREE_TEXT, "feedback"),),
        seen_by="its author and the one colleague it is for",
        recipient=Path("to_user"),
        recipient_label="Developmental feedback colleagues wrote for you",
        recipient_sees=True,
        erased_for_recipient=True,
    ),
    declare(
        table="debrief_actions",
        what="Actions you set in a debrief for the next session",
        person=Path("user_id", via=(_BY_DEBRIEF,)),
        session=SESSION,
        fields=(Field("text", Category.FREE_TEXT, "action"),),
        context=("status", "created_at", "done_at"),
        seen_by="the project team (facilitators and coordinators) and the action's owner",
        recipient=Path("owner"),
        recipient_label="Actions colleagues set for you",
        recipient_sees=True,
        erased_for_recipient=False,
        recipient_kept_because=(
            "actions colleagues set for you are the team's work for the next session and "
            "stay on the team's list with you as owner; a coordinator can mark them done"
        ),
    ),
    declare(
        table="participant_feedback",
        what="Your feedback on a session: whether you felt heard, what to keep and change",
        **IN_SESSION,
        fields=(
            Field("heard", Category.CHOICE, "felt heard (1-5)"),
            Field("keep", Category.FREE_TEXT, "what to keep"),
            Field("change", Category.FREE_TEXT, "what to change"),
            Field("named", Category.CHOICE, "put your name to it"),
        ),
        context=("created_at", "updated_at"),
        seen_by=(
            "you; the session's facilitators get it collated, with your name only if you "
            "chose to give it"
        ),
    ),
)

NOT_PERSONAL = {
    "debrief_settings.questions": "the debrief questions, as coordinators worded them",
}
