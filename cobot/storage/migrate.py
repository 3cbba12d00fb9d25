"""Alembic driven from cobot (no alembic.ini): upgrade, and where a database stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from cobot.storage.db import normalise_url
from cobot.storage.types import UTCDateTime

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


# APScheduler's SQLAlchemyJobStore owns the shape of its table; the first migration creates
# it so `cobot db upgrade` prepares everything, and autogenerate leaves it alone.
EXCLUDED_TABLES = frozenset({"apscheduler_jobs"})


def include_object(
    obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic filter: everything but the tables cobot does not define."""
    if type_ == "table" and name in EXCLUDED_TABLES:
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and table.name in EXCLUDED_TABLES)


def render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    """Alembic renderer: a UTC column is written as a plain timezone-aware DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at this checkout's migrations/ and at `url`."""
    if not (MIGRATIONS / "env.py").exists():
        raise FileNotFoundError(
            f"migrations not found at {MIGRATIONS}; "
            "install cobot from a checkout (pip install -e .)"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at `url` to `revision`."""
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    """The newest revision in migrations/ ("a+b" while two branches await a merge)."""
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    return "+".join(sorted(heads)) or None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return "+".join(sorted(heads)) or None
