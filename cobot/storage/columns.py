"""The columns the models share, each named once, so a model states only what is particular
to it.

Column kinds are PEP 593 `Annotated` types (SQLAlchemy merges the `mapped_column()` inside
with the one a model writes, so `project_id: Mapped[ProjectRef] = mapped_column(index=True)`
is the usual foreign key, indexed); `Optional` in `Mapped[...]` makes a column nullable, as
for any type. Every `Mapped[datetime]` is a `UTCDateTime` (the `Base`'s type map). Column
groups that several tables repeat are mixins; their columns keep their places in each table
(`sort_order`: keys first, stamps last), so the tables are exactly what the migrations build.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from typing import Any
from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import MappedColumn
from sqlalchemy.orm import Relationship
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from cobot.storage.crypto import EncryptedText

# a table's surrogate key
IntPK = Annotated[int, mapped_column(Integer, primary_key=True)]
# a Slack user, channel or message id (who did something, who owns it, where it went)
SlackId = Annotated[str, mapped_column(String(40))]
# a Slack workspace id
TeamId = Annotated[str, mapped_column(String(20))]
# where a row stands in its life (the features' status enums)
Status = Annotated[str, mapped_column(String(16))]
# personal text, encrypted at rest (the privacy registry finds these by their type)
Encrypted = Annotated[str, mapped_column(EncryptedText())]


def child_of(table: str, **options: Any) -> MappedColumn[Any]:
    """A key to the row in `table` (by its id) this row belongs to, deleted with it."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), **options)


def owned(back_populates: str, order_by: str) -> Relationship[Any]:
    """The rows that belong to this one (by their `child_of` key), in `order_by` order: saved
    and deleted with it, and deleted once taken off the list."""
    return relationship(
        back_populates=back_populates, cascade="all, delete-orphan", order_by=order_by
    )


# the project or the session a row belongs to
ProjectRef = Annotated[int, child_of("projects")]
SessionRef = Annotated[int, child_of("project_sessions")]

# where a mixin's columns stand among the model's own: keys before them, stamps after
_KEY, _SCOPE, _PERSON, _STAMP = -3, -2, -1, 1


class Timestamps:
    """When a row was made and when it last changed."""

    created_at: Mapped[datetime] = mapped_column(sort_order=_STAMP)
    updated_at: Mapped[datetime] = mapped_column(sort_order=_STAMP)


class ProjectSettings:
    """A project's settings for one feature (one row a project), and who last changed them."""

    project_id: Mapped[ProjectRef] = mapped_column(primary_key=True, sort_order=_KEY)
    updated_by: Mapped[SlackId] = mapped_column(sort_order=_STAMP)
    updated_at: Mapped[datetime] = mapped_column(sort_order=_STAMP)


class InProject:
    """One of a project's rows (sessions, polls, milestones...), by its own id."""

    id: Mapped[IntPK] = mapped_column(sort_order=_KEY)
    project_id: Mapped[ProjectRef] = mapped_column(index=True, sort_order=_SCOPE)


class InSession:
    """One of a session's rows, by its own id."""

    id: Mapped[IntPK] = mapped_column(sort_order=_KEY)
    session_id: Mapped[SessionRef] = mapped_column(index=True, sort_order=_SCOPE)


class _OnePerPerson:
    """A person's row in a project or a session, at most one each (`uq_<table>_person`)."""

    __tablename__: str
    _person_in: ClassVar[str]  # the column the person is unique within

    user_id: Mapped[SlackId] = mapped_column(sort_order=_PERSON)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = f"uq_{cls.__tablename__}_person"
        return (UniqueConstraint(cls._person_in, "user_id", name=name),)


class PersonInProject(_OnePerPerson, InProject):
    """A person's one row in a project (their feelings, choice, availability...)."""

    _person_in = "project_id"


class PersonInSession(_OnePerPerson, InSession):
    """A person's one row about a session (their debrief, their feedback)."""

    _person_in = "session_id"
