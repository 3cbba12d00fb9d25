"""Ending tables: the ending plan, feelings and boats, evaluations, follow-up replies."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.privacy import UNTRACEABLE
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Published
from cobot.storage.columns import Encrypted
from cobot.storage.columns import PersonInProject
from cobot.storage.columns import ProjectRef
from cobot.storage.columns import SlackId
from cobot.storage.columns import Timestamps
from cobot.storage.models.core import Base


class Ending(Base):
    """A project's ending: when the collection closes, what it scheduled (nothing personal)."""

    __tablename__ = "endings"

    project_id: Mapped[ProjectRef] = mapped_column(primary_key=True)
    started_at: Mapped[datetime | None]
    started_by: Mapped[SlackId | None]
    deadline: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[SlackId | None]
    celebration_session_id: Mapped[int | None] = mapped_column(Integer)
    reflective_session_id: Mapped[int | None] = mapped_column(Integer)
    follow_up_at: Mapped[datetime | None]
    # the evaluation questions, as the coordinators worded them (defaults where missing)
    questions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class EndingFeeling(PersonInProject, Timestamps, Base):
    """One person's end-of-project words and boat; shared only as safe aggregates."""

    __tablename__ = "ending_feelings"

    # the reporting group at the time of answering (project_team, oversight, ...)
    role_group: Mapped[str] = mapped_column(String(20))
    typed: Mapped[Encrypted]
    # the counted words, space-separated
    words: Mapped[Encrypted]
    boat: Mapped[Encrypted]


class EndingEvaluation(PersonInProject, Timestamps, Base):
    """One person's evaluation; the answers (a JSON object) are encrypted."""

    __tablename__ = "ending_evaluations"

    role_group: Mapped[str] = mapped_column(String(20))
    answers: Mapped[Encrypted]


class EndingFollowUp(PersonInProject, Timestamps, Base):
    """A reply to the follow-up check-in weeks after the end; seen by its author only."""

    __tablename__ = "ending_follow_ups"

    how: Mapped[Encrypted]
    what_next: Mapped[Encrypted]


# ---------------------------------------------------------------- privacy registry

FEATURE = "Endings"
declare = partial(Declaration, feature=FEATURE)
# feelings and evaluations are published when the ending's collection closes
_published_at_close = partial(Published, table="endings", column="closed_at")

PRIVACY = (
    declare(
        table="ending_feelings",
        what="Your words for how you feel at the end, and the boat your journey was",
        fields=(
            Field("typed", Category.WELLBEING, "what you typed"),
            Field("words", Category.WELLBEING, "the words counted"),
            Field("boat", Category.FREE_TEXT, "your boat"),
        ),
        context=("role_group", "created_at", "updated_at"),
        seen_by=(
            "you; everyone else sees only the word cloud and boats of groups of at least 4 "
            "people, after the collection closes"
        ),
        published=_published_at_close(
            blank=("typed",),
            because=(
                "your end-of-project words and boat are still counted in the word cloud and "
                "results published when the collection closed, no longer linked to you: "
                + UNTRACEABLE
            ),
        ),
    ),
    declare(
        table="ending_evaluations",
        what="Your evaluation: what went well and what could have been done differently",
        fields=(Field("answers", Category.FREE_TEXT, "answers", json=True),),
        context=("role_group", "created_at", "updated_at"),
        seen_by="you; coordinators see the themes without names, after the collection closes",
        published=_published_at_close(
            because=(
                "your evaluation answers are still among the themes published when the "
                "collection closed, no longer linked to you: " + UNTRACEABLE
            ),
        ),
    ),
    declare(
        table="ending_follow_ups",
        what="Your reply to the follow-up weeks after the end",
        fields=(
            Field("how", Category.WELLBEING, "how you are"),
            Field("what_next", Category.FREE_TEXT, "what next"),
        ),
        context=("created_at", "updated_at"),
        seen_by="you only",
    ),
)

NOT_PERSONAL = {
    "endings.questions": "the evaluation questions, as coordinators worded them",
}
