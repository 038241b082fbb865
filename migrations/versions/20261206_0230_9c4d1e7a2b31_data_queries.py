"""Data queries and the messages of their threads (issue 14, item 1).

Revision ID: 9c4d1e7a2b31
Revises: c4d8a2f61b37
Create Date: 2026-12-06 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c4d1e7a2b31"
down_revision = "c4d8a2f61b37"
branch_labels = None
depends_on = None


def _audited(table: str) -> list:
    """The columns every audited table has (``AuditedMixin``)."""
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f(f"fk_{table}_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f(f"fk_{table}_updated_by_id_user")
        ),
    ]


def upgrade():
    op.create_table(
        "data_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visitnum", sa.String(length=10), nullable=True),
        sa.Column("form", sa.String(length=20), nullable=True),
        sa.Column("field", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        *_audited("data_query"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_data_query_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["user.id"], name=op.f("fk_data_query_raised_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["user.id"], name=op.f("fk_data_query_closed_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query")),
    )
    op.create_index(
        "ix_data_query_subject_state", "data_query", ["subject_id", "state"], unique=False
    )
    op.create_table(
        "query_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_audited("query_message"),
        sa.ForeignKeyConstraint(
            ["query_id"], ["data_query.id"], name=op.f("fk_query_message_query_id_data_query")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_query_message_author_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_message")),
    )
    op.create_index(op.f("ix_query_message_query_id"), "query_message", ["query_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_query_message_query_id"), table_name="query_message")
    op.drop_table("query_message")
    op.drop_index("ix_data_query_subject_state", table_name="data_query")
    op.drop_table("data_query")
