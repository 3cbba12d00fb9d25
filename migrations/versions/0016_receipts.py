"""receipts on expenses: the Slack files a person attached (ids, names, links; encrypted)

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-01 14:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipts", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_column("receipts")
