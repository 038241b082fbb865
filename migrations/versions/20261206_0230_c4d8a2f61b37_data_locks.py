"""Data locks: a freeze or lock of a form, a visit, a subject or the study (issue 14, item 4).

Revision ID: c4d8a2f61b37
Revises: 7b2e4c1d9a60
Create Date: 2026-12-06 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8a2f61b37"
down_revision = "7b2e4c1d9a60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("visitnum", sa.String(length=10), nullable=True),
        sa.Column("form", sa.String(length=10), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "scope IN ('study', 'subject', 'visit', 'form')", name=op.f("ck_data_lock_scope")
        ),
        sa.CheckConstraint("state IN ('frozen', 'locked')", name=op.f("ck_data_lock_state")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_data_lock_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["user.id"], name=op.f("fk_data_lock_released_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["user.id"], name=op.f("fk_data_lock_set_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_data_lock_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_data_lock_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_lock")),
    )
    with op.batch_alter_table("data_lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_lock_subject_id"), ["subject_id"], unique=False)


def downgrade():
    with op.batch_alter_table("data_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_lock_subject_id"))
    op.drop_table("data_lock")
