"""The one rule for what people type into a form field: not blank (where an answer is
needed) and not over the field's limit, counted after trimming the edges."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass


# the messages given here are shown to people: tests/unit/test_plain_english.py reads the
# string arguments of calls to names ending in "Text", so it checks them too
@dataclass(frozen=True)
class TypedText:
    """A typed text field's limits: at most `limit` characters (the message names the field as
    `what`) and, when `blank` is given, an answer needed (`blank` says so)."""

    limit: int
    what: str = "this"
    blank: str = ""

    def problem(self, text: str) -> str | None:
        """Why `text` cannot be taken, or None."""
        cleaned = text.strip()
        if self.blank and not cleaned:
            return self.blank
        if len(cleaned) > self.limit:
            return f"Keep {self.what} under {self.limit} characters."
        return None

    def problems(self, texts: Mapping[str, str]) -> dict[str, str]:
        """The problem of each text that has one, keyed as `texts` is (a form's block ids)."""
        found = {key: self.problem(text) for key, text in texts.items()}
        return {key: problem for key, problem in found.items() if problem is not None}

    def taken(self, key: str, text: str, refuse: Callable[[dict[str, str]], Exception]) -> str:
        """`text` trimmed, as it is kept; if it cannot be taken, `refuse({key: problem})` is
        raised (a form's error for block `key`)."""
        problem = self.problem(text)
        if problem is not None:
            raise refuse({key: problem})
        return text.strip()
