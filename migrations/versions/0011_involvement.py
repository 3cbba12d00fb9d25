"""involvement and payment: pay settings, attendance registers, time logs, payment choices,
expenses, claims and claim queries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def _when(name: str, *, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pay_settings",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("default_rate", sa.Integer(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("rate_reason", sa.Text(), nullable=False),
        sa.Column("prep_minutes", sa.JSON(), nullable=False),
        sa.Column("benefits_contact", sa.Text(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        _when("updated_at"),
        _fk("pay_settings", "project_id", "projects"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_pay_settings")),
    )
    op.create_table(
        "attendance_registers",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(length=40), nullable=True),
        _when("saved_at", nullable=True),
        _fk("attendance_registers", "session_id", "project_sessions"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_attendance_registers")),
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("unexpected", sa.Boolean(), nullable=False),
        _fk("attendance", "session_id", "project_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("session_id", "user_id", name="uq_attendance_person"),
    )
    _index("attendance", "session_id", "user_id")
    op.create_table(
        "time_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("activity", sa.String(length=30), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _when("created_at"),
        _fk("time_logs", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_logs")),
    )
    _index("time_logs", "project_id", "user_id")
    op.create_table(
        "payment_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("choice", sa.Text(), nullable=False),
        _when("updated_at"),
        _fk("payment_choices", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_choices")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_payment_choices_person"),
    )
    _index("payment_choices", "project_id")
    op.create_table(
        "expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("what_for", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        _when("decided_at", nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _fk("expenses", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenses")),
    )
    _index("expenses", "project_id", "user_id")
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_choice", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("fees", sa.Integer(), nullable=False),
        sa.Column("expenses", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("confirmed_at", nullable=True),
        sa.Column("keep_until", sa.Date(), nullable=True),
        _fk("claims", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("project_id", "user_id", "period_start", name="uq_claims_period"),
    )
    _index("claims", "project_id", "user_id")
    op.create_table(
        "claim_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _when("created_at"),
        _fk("claim_queries", "claim_id", "claims"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_queries")),
    )
    _index("claim_queries", "claim_id")


def downgrade() -> None:
    for table in (
        "claim_queries",
        "claims",
        "expenses",
        "payment_choices",
        "time_logs",
        "attendance",
        "attendance_registers",
        "pay_settings",
    ):
        op.drop_table(table)
