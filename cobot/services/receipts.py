"""Forms that take effect once: a receipt per submitted modal, read inside the caller's
transaction (a double click or a client retry then answers with what the first made)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from cobot.storage.models import FormReceipt

MAX_FORM_ID = 80

Row = TypeVar("Row")


def key(kind: str, form_id: str, *, user_id: str) -> str:
    """The receipt key of `user_id`'s submission of form `form_id` (a Slack view id) for
    `kind`; one person's form never answers for another's."""
    return f"{kind}:{user_id[:20]}:{form_id[:MAX_FORM_ID]}"


def made_before(db: Session, receipt_key: str) -> int | None:
    """The id of the row the form already made, or None if it has not taken effect."""
    found = db.get(FormReceipt, receipt_key)
    return found.result_id if found is not None else None


def earlier(db: Session, receipt_key: str | None, model: type[Row]) -> Row | None:
    """The `model` row the form already made (by its receipt), or None: no receipt key, the
    form has not taken effect, or the row is gone."""
    made = made_before(db, receipt_key) if receipt_key else None
    return db.get(model, made) if made is not None else None


def record(db: Session, receipt_key: str, *, result_id: int, now: datetime) -> None:
    """Remember that the form made `result_id`; a concurrent twin fails its commit on the
    primary key (IntegrityError), so the caller retries and finds this receipt."""
    db.add(FormReceipt(key=receipt_key, result_id=result_id, received_at=now))
    db.flush()
