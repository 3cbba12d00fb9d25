"""Alembic owns the schema: head matches the models exactly, on every database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from cobot.storage.db import create_db_engine
from cobot.storage.migrate import current_revision
from cobot.storage.migrate import head_revision
from cobot.storage.migrate import include_object
from cobot.storage.migrate import upgrade
from cobot.storage.models import Base


def test_upgrade_head_then_autogenerate_finds_no_difference(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = create_db_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
            assert compare_metadata(context, Base.metadata) == []
        assert current_revision(engine) == head_revision(empty_database_url)
        tables = set(inspect(engine).get_table_names())
        assert {"deliveries", "slack_events", "apscheduler_jobs"} <= tables
    finally:
        engine.dispose()


def test_upgrade_is_repeatable(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    engine = create_db_engine(empty_database_url)
    try:
        assert current_revision(engine) == head_revision(empty_database_url)
    finally:
        engine.dispose()


def test_the_history_is_one_line_with_one_head() -> None:
    # feature branches may add parallel heads; once merged they are chained, so an operator's
    # `cobot db current` names one revision and every downgrade has one path
    from alembic.script import ScriptDirectory

    from cobot.storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.down_revision is None or isinstance(revision.down_revision, str)
