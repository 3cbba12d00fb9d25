"""Installations (OAuth): the workspaces cobot is installed in, and slack-sdk's SQLAlchemy
installation and state stores' tables, in cobot's own database and migrations.

The three `slack_*` tables mirror what `SQLAlchemyInstallationStore` and
`SQLAlchemyOAuthStateStore` build (same names, columns and index), so the stores' own queries
run on them unchanged (cobot.slack.oauth hands these tables to the stores). One difference:
every token column is `SecretText`, encrypted at rest with COBOT_ENCRYPTION_KEYS, so
`cobot keys rotate` re-encrypts tokens along with answers. slack-sdk stores naive UTC
datetimes (`normalize_datetime_for_db`), so its columns keep plain `DateTime`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from cobot.domain.privacy import Declaration
from cobot.storage.columns import TeamId
from cobot.storage.crypto import SecretText
from cobot.storage.models.core import Base

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
STATES_TABLE = "slack_oauth_states"


class Workspace(Base):
    """A Slack workspace cobot was installed in through OAuth, and whether it still is.

    Uninstalling (or revoking cobot's token) stops the workspace's deliveries and starts
    its retention clock: its projects' answers are purged once it has been gone for their
    retention period, as if each project had closed then. An org-wide install on Enterprise
    Grid covers many workspaces: each is noted here the first time one of its events
    arrives, with `org_install` set, so its deliveries use the organisation's token.
    """

    __tablename__ = "workspaces"

    team_id: Mapped[TeamId] = mapped_column(primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32), index=True)
    org_install: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_at: Mapped[datetime]
    uninstalled_at: Mapped[datetime | None]
    # app_uninstalled or tokens_revoked: what stopped the workspace's deliveries
    stopped_because: Mapped[str | None] = mapped_column(String(40))


def _token(name: str) -> Column[str]:
    return Column(name, SecretText())


def _app_columns() -> list[Column[Any]]:
    """The app and the Enterprise Grid organisation an installation or a bot is for (fresh
    columns each call: a column belongs to one table)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


def _bot_columns() -> list[Column[Any]]:
    """The workspace, its bot user and the bot's tokens: slack-sdk keeps them on the
    installation and on the bot alike."""
    return [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        _token("bot_token"),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        _token("bot_refresh_token"),
        Column("bot_token_expires_at", DateTime),
    ]


slack_installations = Table(
    INSTALLATIONS_TABLE,
    Base.metadata,
    *_app_columns(),
    Column("enterprise_url", String(200)),
    *_bot_columns(),
    Column("user_id", String(32), nullable=False),
    _token("user_token"),
    Column("user_scopes", String(1000)),
    _token("user_refresh_token"),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=sa.func.now()),
    Index(
        f"{INSTALLATIONS_TABLE}_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    BOTS_TABLE,
    Base.metadata,
    *_app_columns(),
    *_bot_columns(),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=sa.func.now()),
    Index(f"{BOTS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    STATES_TABLE,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)

# ---------------------------------------------------------------- privacy registry

PRIVACY: tuple[Declaration, ...] = ()

NOT_PERSONAL = {
    "slack_installations.bot_scopes": "the OAuth scopes the workspace granted cobot",
    "slack_installations.user_scopes": "OAuth scopes (cobot asks for none on the installer)",
    "slack_bots.bot_scopes": "the OAuth scopes the workspace granted cobot",
}
