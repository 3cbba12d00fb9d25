"""Work a transaction queues for once it has committed: never for a rolled-back one.

The ledger arms alarms for the deliveries a transaction recorded or moved, and the Home
refreshes the people whose Homes it touched; both only once the transaction has committed
and let go of its connection (on SQLite, acting while the writer's connection is still held
deadlocks against whatever that action writes). One mechanism for both: queue() inside the
transaction, install() once per session factory with what to do with the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker


def queue(session: Session, key: str, items: Iterable[Any]) -> None:
    """Queue `items` under `key` for after the surrounding transaction commits."""
    session.info.setdefault(key, []).extend(items)


def install(factory: sessionmaker[Session], key: str, run: Callable[[list[Any]], None]) -> None:
    """Call `run` with what each committed transaction queued under `key` (in order; not
    called when it queued nothing), once it has ended and let go of its connection."""
    committed_key = f"{key}.committed"

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        session.info.setdefault(committed_key, []).extend(session.info.pop(key, []))

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(key, None)

    @event.listens_for(factory, "after_transaction_end")
    def _after_end(session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            return
        queued: list[Any] = session.info.pop(committed_key, [])
        if queued:
            run(queued)
