"""One scheduling leader per PostgreSQL database (advisory lock); SQLite runs on one host."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

LOCK_KEY = 0x0C0B07  # arbitrary, constant: "cobot scheduler"


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
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
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
                except Exception:  # a database blip: try again next round
                    log.warning("leader election attempt failed; will retry")

        self._thread = threading.Thread(target=loop, name="cobot-leader", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop campaigning and give the lock up (closing the connection releases it)."""
        self._stop.set()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
