"""Engine and session factory: SQLite tuned for threads, PostgreSQL via psycopg 3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# execution option: the transaction about to begin only reads
READ_ONLY = "cobot_read_only"
_READ_ONLY_OPTIONS = {READ_ONLY: True, "postgresql_readonly": True}


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy's default is psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str) -> Engine:
    """Create the one engine a process uses."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _tune_sqlite(engine: Engine) -> None:
    # WAL lets readers run beside one writer; BEGIN IMMEDIATE takes the write lock up
    # front so a read-then-write transaction waits (busy timeout) instead of failing with
    # SQLITE_BUSY when another thread or process wrote in between.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # a read-only unit of work (read_only()) takes no write lock: WAL readers see a
        # snapshot beside the one writer, so listings never queue behind each other
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    `write=False` (or read_only()) for work that only reads: on SQLite it begins a deferred
    transaction instead of taking the write lock, so reads run side by side; on PostgreSQL
    it is a READ ONLY transaction, so a stray write fails loudly. Work that reads and then
    may write stays `write=True`: SQLite cannot safely upgrade a deferred transaction when
    another writer got in first (SQLITE_BUSY).
    """
    with factory() as session, session.begin():
        if not write:
            # the options reach the connection before BEGIN is sent (see _tune_sqlite)
            session.connection(execution_options=_READ_ONLY_OPTIONS)
        yield session


def read_only(factory: sessionmaker[Session]) -> AbstractContextManager[Session]:
    """A unit of work that only reads (no write lock on SQLite); see transaction()."""
    return transaction(factory, write=False)
