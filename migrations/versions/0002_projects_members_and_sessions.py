"""projects, members and sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 03:55:57.671693
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=20), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("aims", sa.Text(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("lead_times", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_projects_channel"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("briefing_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("training_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_needs_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_members_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_members_person"),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "project_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agenda_text", sa.Text(), nullable=False),
        sa.Column("agenda_shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agenda_shared_by", sa.String(length=40), nullable=True),
        sa.Column("notes_text", sa.Text(), nullable=False),
        sa.Column("notes_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes_posted_by", sa.String(length=40), nullable=True),
        sa.Column("plan_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accessibility_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_sessions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_sessions")),
    )
    with op.batch_alter_table("project_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_sessions_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            "ix_project_sessions_starts_at", ["project_id", "starts_at"], unique=False
        )

    op.create_table(
        "session_people",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["project_sessions.id"],
            name=op.f("fk_session_people_session_id_project_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_session_people")),
    )


def downgrade() -> None:
    op.drop_table("session_people")
    with op.batch_alter_table("project_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_project_sessions_starts_at")
        batch_op.drop_index(batch_op.f("ix_project_sessions_project_id"))

    op.drop_table("project_sessions")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_user_id"))

    op.drop_table("members")
    op.drop_table("projects")
