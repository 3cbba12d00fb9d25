"""endings: feelings, boats, evaluations, follow-ups

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"],
        ["projects.id"],
        name=op.f(f"fk_{table}_project_id_projects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "endings",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=40), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("celebration_session_id", sa.Integer(), nullable=True),
        sa.Column("reflective_session_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("endings"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_endings")),
    )
    op.create_table(
        "ending_feelings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("role_group", sa.String(length=20), nullable=False),
        sa.Column("typed", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("boat", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("ending_feelings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ending_feelings")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_ending_feelings_person"),
    )
    op.create_index(
        op.f("ix_ending_feelings_project_id"), "ending_feelings", ["project_id"], unique=False
    )
    op.create_table(
        "ending_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("role_group", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("ending_evaluations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ending_evaluations")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_ending_evaluations_person"),
    )
    op.create_index(
        op.f("ix_ending_evaluations_project_id"),
        "ending_evaluations",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "ending_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("how", sa.Text(), nullable=False),
        sa.Column("what_next", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("ending_follow_ups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ending_follow_ups")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_ending_follow_ups_person"),
    )
    op.create_index(
        op.f("ix_ending_follow_ups_project_id"), "ending_follow_ups", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ending_follow_ups_project_id"), table_name="ending_follow_ups")
    op.drop_table("ending_follow_ups")
    op.drop_index(op.f("ix_ending_evaluations_project_id"), table_name="ending_evaluations")
    op.drop_table("ending_evaluations")
    op.drop_index(op.f("ix_ending_feelings_project_id"), table_name="ending_feelings")
    op.drop_table("ending_feelings")
    op.drop_table("endings")
