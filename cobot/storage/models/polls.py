"""Finding a time: polls, their slots, the people asked and their answers, and each person's
standing availability. Notes people write (and their busy windows' labels) are encrypted."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from cobot.domain.polls import PartOfDay
from cobot.domain.polls import PollStatus
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Link
from cobot.domain.privacy import Path
from cobot.storage.columns import Encrypted
from cobot.storage.columns import InProject
from cobot.storage.columns import IntPK
from cobot.storage.columns import PersonInProject
from cobot.storage.columns import SlackId
from cobot.storage.columns import Status
from cobot.storage.columns import child_of
from cobot.storage.columns import owned
from cobot.storage.models.core import Base


class Poll(InProject, Base):
    """An availability poll: what for, how long, who started it, when answers close."""

    __tablename__ = "polls"

    purpose: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(150))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[Status] = mapped_column(default=PollStatus.OPEN)
    # a poll for a new time for an existing session moves it instead of adding one
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_sessions.id", ondelete="SET NULL")
    )
    chosen_slot_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[SlackId]
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    slots: Mapped[list[PollSlot]] = owned("poll", "PollSlot.starts_at")
    people: Mapped[list[PollPerson]] = owned("poll", "PollPerson.id")


class PollSlot(Base):
    """One candidate time of a poll."""

    __tablename__ = "poll_slots"

    id: Mapped[IntPK]
    poll_id: Mapped[int] = child_of("polls", index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    poll: Mapped[Poll] = relationship(back_populates="slots")


class PollPerson(Base):
    """Someone a poll asks, as facilitator or participant, with their private note."""

    __tablename__ = "poll_people"

    id: Mapped[IntPK]
    poll_id: Mapped[int] = child_of("polls", index=True)
    user_id: Mapped[SlackId]
    role: Mapped[str] = mapped_column(String(16))
    # "anything that would make it easier to come?": coordinators only
    note: Mapped[Encrypted] = mapped_column(default="")
    answered_at: Mapped[datetime | None]

    poll: Mapped[Poll] = relationship(back_populates="people")

    __table_args__ = (UniqueConstraint("poll_id", "user_id", name="uq_poll_people_person"),)


class PollAnswer(Base):
    """One person's answer for one slot (changeable until the poll closes)."""

    __tablename__ = "poll_answers"

    id: Mapped[IntPK]
    slot_id: Mapped[int] = child_of("poll_slots")
    user_id: Mapped[SlackId]
    answer: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("slot_id", "user_id", name="uq_poll_answers_slot_id"),
        Index("ix_poll_answers_user", "user_id"),
    )


class Availability(PersonInProject, Base):
    """A person's standing availability in one project (optional), in their own zone."""

    __tablename__ = "availability"

    timezone: Mapped[str] = mapped_column(String(64))
    # weekday numbers (0 = Monday) they are not available
    weekdays_off: Mapped[list[Any]] = mapped_column(JSON, default=list)
    part_of_day: Mapped[str] = mapped_column(String(16), default=PartOfDay.ANY)
    # JSON list of {"start": "HH:MM", "end": "HH:MM", "label": "..."}; labels are theirs
    windows: Mapped[Encrypted] = mapped_column(default="[]")
    note: Mapped[Encrypted] = mapped_column(default="")
    updated_at: Mapped[datetime]


# ---------------------------------------------------------------- privacy registry

FEATURE = "Finding a time"
declare = partial(Declaration, feature=FEATURE)
_POLL = Link("poll_id", "polls")
_SLOT = Link("slot_id", "poll_slots")

PRIVACY = (
    declare(
        table="poll_people",
        what="Polls that asked you for a time, and your note on what would make it easier to come",
        project=Path("project_id", via=(_POLL,)),
        fields=(
            Field("role", Category.RECORD, "asked as facilitator or participant"),
            Field("note", Category.FREE_TEXT, "what would make it easier to come"),
        ),
        context=("answered_at",),
        seen_by="you; your note is seen by the project's coordinators only",
    ),
    declare(
        table="poll_answers",
        what="Your answers to polls: yes, if need be or no for each time",
        project=Path("project_id", via=(_SLOT, _POLL)),
        fields=(Field("answer", Category.CHOICE, "yes, if need be or no"),),
        context=("updated_at",),
        seen_by="the poll's starter and the project's coordinators, as counts per time",
    ),
    declare(
        table="availability",
        what="Your standing availability: days and times you usually cannot make, and a note",
        fields=(
            Field("weekdays_off", Category.SETTING, "weekdays not available", json=True),
            Field("part_of_day", Category.SETTING, "mornings or afternoons only"),
            Field("windows", Category.FREE_TEXT, "recurring busy times", json=True),
            Field("note", Category.FREE_TEXT, "note"),
        ),
        context=("timezone", "updated_at"),
        seen_by=(
            "you; polls show your clashing times to you as 'probably no', and coordinators "
            "see only that a facilitator usually cannot make a time, never why"
        ),
    ),
)

NOT_PERSONAL = {
    "polls.title": "what a poll is for, written by its starter for everyone asked",
}
