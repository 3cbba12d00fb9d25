"""Live calendar feeds: a person's private, revocable subscription URL, and each session's
iCalendar SEQUENCE (raised on every change, so subscribed calendars take the update)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.privacy import Category
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Field
from cobot.storage.columns import IntPK
from cobot.storage.columns import ProjectRef
from cobot.storage.columns import SessionRef
from cobot.storage.columns import SlackId
from cobot.storage.columns import TeamId
from cobot.storage.models.core import Base

FEATURE = "Calendar feeds"
declare = partial(Declaration, feature=FEATURE)
FEED_SUBJECT = "calendar_feed"


class CalendarFeed(Base):
    """One feed URL: `scope` "person" (their own sessions and deadlines in the project) or
    "project" (every session, for a coordinator). The URL's secret is never stored: only
    its SHA-256 (`token_hash`, looked up by index) and `nonce`, from which the secret is
    derived with the encryption key (so the DM can be rendered at send time)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[IntPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[TeamId]
    user_id: Mapped[SlackId] = mapped_column(index=True)
    project_id: Mapped[ProjectRef] = mapped_column(index=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SessionSequence(Base):
    """How many times a session changed since it was added: its iCalendar SEQUENCE."""

    __tablename__ = "calendar_sequences"

    session_id: Mapped[SessionRef] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


PRIVACY = (
    declare(
        table="calendar_feeds",
        what="The calendar links you asked for (your sessions, or the project's)",
        fields=(Field("scope", Category.SETTING, "your sessions, or the whole project's"),),
        context=("created_at", "revoked_at"),
        seen_by="you (the link's secret is not stored: only a hash of it, to recognise it)",
        ledger_subject=FEED_SUBJECT,
    ),
)
# the session sequences are counters about sessions, not about anyone
NOT_PERSONAL: dict[str, str] = {}
