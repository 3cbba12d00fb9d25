"""reviews and perspectives: review rounds, review answers, member perspectives

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
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
        "review_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("draft_url", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("not_yet", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        _project_fk("review_rounds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rounds")),
        sa.UniqueConstraint("project_id", "number", name="uq_review_rounds_number"),
    )
    op.create_index(
        op.f("ix_review_rounds_project_id"), "review_rounds", ["project_id"], unique=False
    )
    op.create_table(
        "review_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("choice", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["review_rounds.id"],
            name=op.f("fk_review_answers_round_id_review_rounds"),
            ondelete="CASCADE",
        ),
        _project_fk("review_answers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answers")),
        sa.UniqueConstraint("round_id", "user_id", name="uq_review_answers_person"),
    )
    op.create_index(
        op.f("ix_review_answers_round_id"), "review_answers", ["round_id"], unique=False
    )
    op.create_table(
        "member_perspectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("chosen", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("member_perspectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_perspectives")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_member_perspectives_person"),
    )
    op.create_index(
        op.f("ix_member_perspectives_project_id"),
        "member_perspectives",
        ["project_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_member_perspectives_project_id"), table_name="member_perspectives")
    op.drop_table("member_perspectives")
    op.drop_index(op.f("ix_review_answers_round_id"), table_name="review_answers")
    op.drop_table("review_answers")
    op.drop_index(op.f("ix_review_rounds_project_id"), table_name="review_rounds")
    op.drop_table("review_rounds")
