"""Who has opened cobot's App Home: only their Homes are republished when things change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cobot.storage.models.core import Base
from cobot.storage.types import UTCDateTime


class HomeOpened(Base):
    """A person (per workspace) who has opened the Home tab at least once: a fact about
    using cobot, not about them; Homes of people who never look are never published."""

    __tablename__ = "home_opened"

    team_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
