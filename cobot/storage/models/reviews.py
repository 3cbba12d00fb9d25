"""The participants' review of the output (rounds and answers) and the perspectives members
say they bring. Answers, their words and perspectives are encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import Boolean
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.privacy import UNTRACEABLE
from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.domain.privacy import Link
from cobot.domain.privacy import Published
from cobot.storage.columns import Encrypted
from cobot.storage.columns import InProject
from cobot.storage.columns import IntPK
from cobot.storage.columns import PersonInProject
from cobot.storage.columns import ProjectRef
from cobot.storage.columns import SlackId
from cobot.storage.columns import Timestamps
from cobot.storage.columns import child_of
from cobot.storage.models.core import Base


class ReviewRound(InProject, Base):
    """One round of the participants' review: the draft, the deadline, the outcome."""

    __tablename__ = "review_rounds"

    number: Mapped[int] = mapped_column(Integer)
    draft_url: Mapped[str] = mapped_column(String(500))
    # the coordinator's note to the participants, as they worded it
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime]
    started_by: Mapped[SlackId]
    started_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # set once at the close, with the counts: aggregates only, never who
    outcome: Mapped[str | None] = mapped_column(String(24))
    approved: Mapped[int] = mapped_column(Integer, default=0)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    not_yet: Mapped[int] = mapped_column(Integer, default=0)
    asked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_review_rounds_number"),)


class ReviewAnswer(Timestamps, Base):
    """One participant's answer in one round; `named` when they let their name be shown."""

    __tablename__ = "review_answers"

    id: Mapped[IntPK]
    round_id: Mapped[int] = child_of("review_rounds", index=True)
    # the round's project, so a change can say whose Homes it shows on without a look-up
    project_id: Mapped[ProjectRef]
    user_id: Mapped[SlackId]
    choice: Mapped[Encrypted]
    text: Mapped[Encrypted] = mapped_column(default="")
    named: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_review_answers_person"),)


class MemberPerspectives(PersonInProject, Base):
    """The perspectives one member says they bring to one project (a JSON list, encrypted:
    lived experience reveals health)."""

    __tablename__ = "member_perspectives"

    chosen: Mapped[Encrypted]
    updated_at: Mapped[datetime]


# ---------------------------------------------------------------- privacy registry

FEATURE = "The participants' review and perspectives"
declare = partial(Declaration, feature=FEATURE)

PRIVACY = (
    declare(
        table="review_answers",
        what="Your answer in the participants' review of the draft, and what you asked for",
        fields=(
            Field("choice", Category.CHOICE, "approve, approve with changes, or not yet"),
            Field("text", Category.FREE_TEXT, "the changes you asked for, or why not yet"),
            Field("named", Category.CHOICE, "let your name be shown with your comments"),
        ),
        context=("created_at", "updated_at"),
        seen_by=(
            "you; after the round closes the coordinators see the counts and the words, "
            "with your name only if you chose to show it; oversight and steering members "
            "see only the outcome; after a round closes, `forget me` keeps your answer in "
            "it but no longer linked to you and without your name"
        ),
        published=Published(
            table="review_rounds",
            column="closed_at",
            link=Link("round_id", "review_rounds"),
            off=("named",),
            because=(
                "your answers in review rounds that have closed are still among the counts "
                "and words the coordinators were shown, no longer linked to you and without "
                "your name: " + UNTRACEABLE
            ),
        ),
    ),
    declare(
        table="member_perspectives",
        what="The perspectives you said you bring (lived experience, carer, clinician...)",
        fields=(Field("chosen", Category.WELLBEING, "your perspectives"),),
        context=("updated_at",),
        seen_by=(
            "you; everyone else sees only how many members bring each perspective, as a "
            "number only when at least 3 people are on each side of it"
        ),
    ),
)

NOT_PERSONAL = {
    "review_rounds.note": "the coordinator's note sending the draft, as they worded it",
}
