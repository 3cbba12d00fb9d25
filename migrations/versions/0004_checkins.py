"""wellbeing check-ins

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_setups",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("rhythm", sa.String(length=20), nullable=False),
        sa.Column("support_text", sa.Text(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("invited_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_checkin_setups_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_checkin_setups")),
    )
    op.create_table(
        "checkin_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_of_day", sa.String(length=5), nullable=False),
        sa.Column("working_days", sa.JSON(), nullable=False),
        sa.Column("after_sessions", sa.Boolean(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("last_checkin_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_checkin_people_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_people")),
        sa.UniqueConstraint("project_id", "user_id", name="uq_checkin_people_person"),
    )
    with op.batch_alter_table("checkin_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_people_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_checkin_people_user_id"), ["user_id"], unique=False)
    op.create_table(
        "checkin_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("mood", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["checkin_people.id"],
            name=op.f("fk_checkin_answers_person_id_checkin_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_checkin_answers_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_answers")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_checkin_answers_delivery_id")),
    )
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_answers_project", ["project_id", "answered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_checkin_answers_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "checkin_contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_mood", sa.Boolean(), nullable=False),
        sa.Column("share_note", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["checkin_answers.id"],
            name=op.f("fk_checkin_contact_requests_answer_id_checkin_answers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["checkin_people.id"],
            name=op.f("fk_checkin_contact_requests_person_id_checkin_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_checkin_contact_requests_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_contact_requests")),
    )
    with op.batch_alter_table("checkin_contact_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_contact_requests_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("checkin_contact_requests")
    op.drop_table("checkin_answers")
    op.drop_table("checkin_people")
    op.drop_table("checkin_setups")
