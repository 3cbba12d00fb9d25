"""Who has opened cobot's App Home: only their Homes are republished when things change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.storage.columns import SlackId
from cobot.storage.columns import TeamId
from cobot.storage.models.core import Base


class HomeOpened(Base):
    """A person (per workspace) who has opened the Home tab at least once: a fact about
    using cobot, not about them; Homes of people who never look are never published."""

    __tablename__ = "home_opened"

    team_id: Mapped[TeamId] = mapped_column(primary_key=True)
    user_id: Mapped[SlackId] = mapped_column(primary_key=True)
    first_opened_at: Mapped[datetime]
