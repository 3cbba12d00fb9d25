"""request replay guard: digests of signed Slack requests already answered, and
receipts of forms that already took effect

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_signatures",
        sa.Column("signature_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature_hash", name=op.f("pk_slack_signatures")),
    )
    with op.batch_alter_table("slack_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_signatures_received_at"), ["received_at"], unique=False
        )
    op.create_table(
        "form_receipts",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_form_receipts")),
    )
    with op.batch_alter_table("form_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_receipts_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("form_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_receipts_received_at"))
    op.drop_table("form_receipts")
    with op.batch_alter_table("slack_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_signatures_received_at"))
    op.drop_table("slack_signatures")
