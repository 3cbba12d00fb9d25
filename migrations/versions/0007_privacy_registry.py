"""privacy registry: debrief action text encrypted at rest like the rest of the debrief

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:00:00.000000

The column stays TEXT (Fernet tokens are text); only its values change. Upgrading needs the
encryption keys (COBOT_ENCRYPTION_KEYS) when there are actions to convert; downgrading turns
them back into plain text with the same keys.
"""

import os
from collections.abc import Callable
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cobot.storage import crypto

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_actions = sa.table("debrief_actions", sa.column("id", sa.Integer), sa.column("text", sa.Text))


def _keys_ready() -> None:
    try:
        crypto.cipher()
    except RuntimeError:
        text = os.environ.get("COBOT_ENCRYPTION_KEYS", "")
        if not text.strip():
            raise RuntimeError(
                "debrief actions must be encrypted: set COBOT_ENCRYPTION_KEYS and upgrade again"
            ) from None
        crypto.configure(crypto.parse_keys(text))


def _convert(change: Callable[[str], str], *, already: Callable[[str], bool]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_actions.c.id, _actions.c.text)).all()
    if not rows:
        return
    _keys_ready()
    for row_id, value in rows:
        if value is None or already(value):
            continue
        conn.execute(sa.update(_actions).where(_actions.c.id == row_id).values(text=change(value)))


def _is_token(value: str) -> bool:
    try:
        crypto.decrypt(value)
    except (ValueError, UnicodeEncodeError):
        return False
    return True


def upgrade() -> None:
    _convert(crypto.encrypt, already=_is_token)


def downgrade() -> None:
    _convert(crypto.decrypt, already=lambda value: not _is_token(value))
