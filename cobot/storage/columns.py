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
from typing import Annotated, Any, ClassVar

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

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
# the project or the session a row belongs to, gone with it
ProjectRef = Annotated[int, mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))]
SessionRef = Annotated[int, mapped_column(ForeignKey("project_sessions.id", ondelete="CASCADE"))]

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


class _OnePerPerson:
    """One person's row in a project or a session, at most one each (`uq_<table>_person`)."""

    __tablename__: str
    scope: ClassVar[str]

    id: Mapped[IntPK] = mapped_column(sort_order=_KEY)
    user_id: Mapped[SlackId] = mapped_column(sort_order=_PERSON)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = f"uq_{cls.__tablename__}_person"
        return (UniqueConstraint(cls.scope, "user_id", name=name),)


class PersonInProject(_OnePerPerson):
    """A person's one row in a project (their feelings, choice, availability...)."""

    scope = "project_id"
    project_id: Mapped[ProjectRef] = mapped_column(index=True, sort_order=_SCOPE)


class PersonInSession(_OnePerPerson):
    """A person's one row about a session (their debrief, their feedback)."""

    scope = "session_id"
    session_id: Mapped[SessionRef] = mapped_column(index=True, sort_order=_SCOPE)
