"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.storage.db import create_db_engine
from cobot.storage.db import normalise_url
from cobot.storage.db import session_factory
from cobot.storage.migrate import upgrade
from tests.fakes import FakeClock
from tests.fakes import FakeMessenger

PG_ENV = "COBOT_TEST_DATABASE_URL"
REQUIRE_PG_ENV = "COBOT_REQUIRE_POSTGRES"


def _postgres_base() -> str | None:
    url = os.environ.get(PG_ENV)
    if url:
        return normalise_url(url)
    if os.environ.get(REQUIRE_PG_ENV):
        pytest.fail(f"{REQUIRE_PG_ENV} is set but {PG_ENV} is not")
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/cobot.db"
        return
    base = _postgres_base()
    if base is None:
        pytest.skip(f"set {PG_ENV} to run this test on PostgreSQL too")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if os.environ.get(REQUIRE_PG_ENV):
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A database migrated to head."""
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the migrated database, disposed of after the test."""
    made = create_db_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the migrated database (a module adds hooks by overriding and asking for it)."""
    return session_factory(engine)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when told (modules override it to start elsewhere)."""
    return FakeClock()


@pytest.fixture
def messenger() -> FakeMessenger:
    """Records what cobot would have posted to Slack."""
    return FakeMessenger()


@pytest.fixture(autouse=True, scope="session")
def _encryption_key() -> None:
    """Encrypted columns work in every test, with a throwaway key."""
    from cobot.storage import crypto

    crypto.configure([crypto.new_key()])
