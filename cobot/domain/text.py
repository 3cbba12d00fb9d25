"""The one rule for what people type into a form field: not blank (where an answer is
needed) and not over the field's limit, counted after trimming the edges."""

from __future__ import annotations

from collections.abc import Mapping


def text_problem(text: str, limit: int, *, what: str = "this", blank: str = "") -> str | None:
    """Why `text` cannot be taken, or None: `blank` (when given) for an empty answer, else
    "Keep {what} under {limit} characters." when it is too long."""
    cleaned = text.strip()
    if blank and not cleaned:
        return blank
    if len(cleaned) > limit:
        return f"Keep {what} under {limit} characters."
    return None


def text_problems(
    texts: Mapping[str, str], limit: int, *, what: str = "this", blank: str = ""
) -> dict[str, str]:
    """`text_problem` for each text, keyed as `texts` is (a form's block ids)."""
    problems: dict[str, str] = {}
    for key, text in texts.items():
        problem = text_problem(text, limit, what=what, blank=blank)
        if problem is not None:
            problems[key] = problem
    return problems
