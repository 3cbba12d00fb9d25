"""A form submitted twice at once takes effect once: the second submission's insert fails
on the form receipt's key (receipts.record), and trying again finds what the first made."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

T = TypeVar("T")


def once_per_form(attempt: Callable[[], T], form_id: str | None) -> T:
    """Run `attempt` (one transaction that reads and records the receipt of `form_id`);
    when a twin submission of the same form committed first, run it again to answer with
    what the twin made. Without a form id nothing is retried."""
    try:
        return attempt()
    except IntegrityError:
        if form_id is None:
            raise
        return attempt()
