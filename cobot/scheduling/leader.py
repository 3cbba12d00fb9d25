"""One scheduling leader per PostgreSQL database (advisory lock); SQLite runs on one host."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# one lock per database and schema, so separate cobot installations never block each other
LOCK_KEY_SQL = "hashtext('cobot-scheduler:' || current_database() || ':' || current_schema())"
# the dedicated connection holds this one advisory lock and nothing else
HOLDS_LOCK_SQL = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
    " AND pid = pg_backend_pid() AND granted)"
)
# some backend (this process's or another's) holds this database's scheduler lock; a bigint
# advisory key shows in pg_locks as classid (high 32 bits), objid (low) and objsubid 1
LEADER_KNOWN_SQL = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND objsubid = 1 AND database = (SELECT oid FROM pg_database"
    " WHERE datname = current_database())"
    f" AND ((classid::bigint << 32) | objid::bigint) = ({LOCK_KEY_SQL})::bigint)"
)


class Leadership:
    """Holds the advisory lock on a dedicated connection while this process leads.

    The leader checks the lock on every sweep (`verify`): a lost connection (the database
    restarted, the backend was terminated) or a lock no longer held makes it step down at
    once (`on_lost`: pause the scheduler), close the connection and campaign again. A
    standby campaigns every `retry` seconds and calls `on_elected` once the lock is its.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        on_elected: Callable[[], None],
        on_lost: Callable[[], None] | None = None,
        retry: float = 2.0,
    ) -> None:
        self._engine = engine
        self._on_elected = on_elected
        self._on_lost = on_lost
        self._retry = retry
        self._conn: Connection | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def uses_lock(self) -> bool:
        """Only PostgreSQL has advisory locks; on SQLite every process may schedule."""
        return self._engine.dialect.name == "postgresql"

    @property
    def leading(self) -> bool:
        """Whether this process believes it holds the lock (verify() checks)."""
        return not self.uses_lock or self._conn is not None

    def leader_known(self) -> bool:
        """Whether some process (this one or another) leads: on PostgreSQL, whether any
        backend holds the scheduler lock; on SQLite every process schedules itself."""
        if not self.uses_lock:
            return True
        with self._engine.connect() as conn:
            return bool(conn.execute(text(LEADER_KNOWN_SQL)).scalar())

    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process is (now) the leader."""
        if not self.uses_lock:
            return True
        with self._lock:
            if self._conn is not None:
                return True
            conn = self._engine.connect()
            try:
                got = bool(
                    conn.execute(text(f"SELECT pg_try_advisory_lock({LOCK_KEY_SQL})")).scalar()
                )
                conn.commit()
            except SQLAlchemyError:
                _discard(conn)
                raise
            if got:
                self._conn = conn
            else:
                _discard(conn)
            return got

    def verify(self) -> bool:
        """Check, on the dedicated connection, that the lock is still ours; step down if not.

        Returns whether this process may go on scheduling.
        """
        if not self.uses_lock:
            return True
        with self._lock:
            conn = self._conn
            if conn is None:
                return False
            try:
                held = bool(conn.execute(text(HOLDS_LOCK_SQL)).scalar())
                conn.commit()
            except SQLAlchemyError as exc:
                log.warning("leader lock check failed (%s): stepping down", type(exc).__name__)
                held = False
            else:
                if not held:
                    log.warning("the scheduler lock is no longer held: stepping down")
            if held:
                return True
            self._conn = None
            _discard(conn)
        self._step_down()
        return False

    def _step_down(self) -> None:
        if self._on_lost is not None:
            try:
                self._on_lost()
            except Exception:  # stepping down must go on: campaigning is what recovers
                log.exception("pausing the scheduler after losing the lock failed")
        if not self._stop.is_set():
            self.campaign()

    def campaign(self) -> None:
        """Keep trying in the background; call on_elected once the lock is ours."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return

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
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY_SQL})"))
                conn.commit()
            except SQLAlchemyError:
                log.warning("could not unlock the scheduler lock (the connection is gone)")
            finally:
                _discard(conn)


def _discard(conn: Connection) -> None:
    """Really close it: a pooled connection would keep a session lock alive."""
    try:
        conn.invalidate()
        conn.close()
    except SQLAlchemyError:
        log.debug("closing a broken leader connection failed", exc_info=True)
