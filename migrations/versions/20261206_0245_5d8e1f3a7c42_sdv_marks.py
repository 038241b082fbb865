"""SDV marks: the fields of CRF records a monitor verified against the source.

Revision ID: 5d8e1f3a7c42
Revises: 9c4d1e7a2b31
Create Date: 2026-12-06 02:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d8e1f3a7c42"
down_revision = "9c4d1e7a2b31"
branch_labels = None
depends_on = None


def _user_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["user.id"], name=op.f(f"fk_sdv_mark_{column}_user"))


def upgrade():
    op.create_table(
        "sdv_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by_id", sa.Integer(), nullable=True),
        sa.Column("cleared_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _user_fk("cleared_by_id"),
        _user_fk("created_by_id"),
        _user_fk("updated_by_id"),
        _user_fk("verified_by_id"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_sdv_mark_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sdv_mark")),
    )
    with op.batch_alter_table("sdv_mark", schema=None) as batch_op:
        batch_op.create_index("ix_sdv_mark_record", ["table_name", "row_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sdv_mark_subject_id"), ["subject_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sdv_mark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sdv_mark_subject_id"))
        batch_op.drop_index("ix_sdv_mark_record")
    op.drop_table("sdv_mark")
