"""One scheduling leader per PostgreSQL database (advisory lock); SQLite runs on one host."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# one lock per database and schema, so separate cobot installations never block each other
LOCK_KEY_SQL = "hashtext('cobot-scheduler:' || current_database() || ':' || current_schema())"


class Leadership:
    """Holds the advisory lock on a dedicated connection while this process leads."""

    def __init__(self, engine: Engine, *, on_elected: Callable[[], None], retry: float = 10.0):
        self._engine = engine
        self._on_elected = on_elected
        self._retry = retry
        self._conn: Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def uses_lock(self) -> bool:
        """Only PostgreSQL has advisory locks; on SQLite every process may schedule."""
        return self._engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process is (now) the leader."""
        if not self.uses_lock:
            return True
        if self._conn is not None:
            return True
        conn = self._engine.connect()
        got = bool(conn.execute(text(f"SELECT pg_try_advisory_lock({LOCK_KEY_SQL})")).scalar())
        conn.commit()
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def campaign(self) -> None:
        """Keep trying in the background; call on_elected once the lock is ours."""

        def loop() -> None:
            while not self._stop.wait(self._retry):
                try:
                    if self.try_acquire():
                        log.info("this process is now the scheduling leader")
                        self._on_elected()
                        return
                except SQLAlchemyError:  # a database blip: try again next round
                    log.warning("leader election attempt failed; will retry")

        self._thread = threading.Thread(target=loop, name="cobot-leader", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop campaigning and give the lock up."""
        self._stop.set()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY_SQL})"))
                conn.commit()
            finally:
                # really close it: a pooled connection would keep a session lock alive
                conn.invalidate()
                conn.close()
