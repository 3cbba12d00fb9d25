"""Count the SQL statements an engine runs: for tests that a request costs the same
number of statements however many sessions or people there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import event

# what the engine sends around the work itself; not the request's own statements
_BOOKKEEPING = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "PRAGMA")


@dataclass
class Statements:
    """The statements run while counting (transaction bookkeeping left out)."""

    seen: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.seen)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1:3}. {s[:160]}" for i, s in enumerate(self.seen))


@contextmanager
def counting(engine: Engine, *, bookkeeping: bool = False) -> Iterator[Statements]:
    """Count every statement `engine` runs (on any thread) inside the block; BEGIN, COMMIT,
    savepoints and pragmas too when `bookkeeping`."""
    found = Statements()

    def note(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        text = " ".join(statement.split())
        if bookkeeping or not text.upper().startswith(_BOOKKEEPING):
            found.seen.append(text)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", note)
