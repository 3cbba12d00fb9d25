"""debriefs and participant feedback

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "debrief_settings",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("debrief_settings", "project_id", "projects"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_debrief_settings")),
    )
    op.create_table(
        "debriefs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("voices", sa.Text(), nullable=False),
        sa.Column("feeling", sa.Text(), nullable=True),
        sa.Column("feeling_words", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("debriefs", "session_id", "project_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debriefs")),
        sa.UniqueConstraint("session_id", "user_id", name="uq_debriefs_person"),
    )
    with op.batch_alter_table("debriefs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debriefs_session_id"), ["session_id"], unique=False)
    op.create_table(
        "debrief_dev_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("to_user", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _fk("debrief_dev_notes", "debrief_id", "debriefs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrief_dev_notes")),
    )
    with op.batch_alter_table("debrief_dev_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_debrief_dev_notes_debrief_id"), ["debrief_id"], unique=False
        )
    op.create_table(
        "debrief_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=40), nullable=True),
        _fk("debrief_actions", "project_id", "projects"),
        _fk("debrief_actions", "session_id", "project_sessions"),
        _fk("debrief_actions", "debrief_id", "debriefs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrief_actions")),
    )
    with op.batch_alter_table("debrief_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_debrief_actions_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_debrief_actions_debrief_id"), ["debrief_id"], unique=False
        )
    op.create_table(
        "debrief_rounds",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_closed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("debrief_rounds", "session_id", "project_sessions"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_debrief_rounds")),
    )
    op.create_table(
        "participant_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("heard", sa.Text(), nullable=True),
        sa.Column("keep", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("participant_feedback", "session_id", "project_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_feedback")),
        sa.UniqueConstraint("session_id", "user_id", name="uq_participant_feedback_person"),
    )
    with op.batch_alter_table("participant_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participant_feedback_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("participant_feedback")
    op.drop_table("debrief_rounds")
    op.drop_table("debrief_actions")
    op.drop_table("debrief_dev_notes")
    op.drop_table("debriefs")
    op.drop_table("debrief_settings")
