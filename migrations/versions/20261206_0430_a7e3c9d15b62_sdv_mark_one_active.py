"""SDV marks: at most one active (not cleared) mark per field of a record.

Two monitors verifying the same field at the same moment could each find it unverified and
store a mark; this partial unique index lets the database refuse the second, which the request
answers as a write conflict (409). Cleared marks stay as history and are not constrained.

Revision ID: a7e3c9d15b62
Revises: 5d8e1f3a7c42
Create Date: 2026-12-06 04:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7e3c9d15b62"
down_revision = "5d8e1f3a7c42"
branch_labels = None
depends_on = None

ACTIVE = sa.text("cleared_at IS NULL")


def upgrade():
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT form, table_name, row_id, field FROM sdv_mark WHERE cleared_at IS NULL "
                "GROUP BY form, table_name, row_id, field HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if duplicates:  # pragma: no cover - a database that met the race before this revision
        raise RuntimeError(
            f"{len(duplicates)} fields carry more than one active SDV mark (first: "
            f"{tuple(duplicates[0])}); clear the later marks of each, with a reason, first"
        )
    op.create_index(
        "uq_sdv_mark_active",
        "sdv_mark",
        ["form", "table_name", "row_id", "field"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade():
    op.drop_index("uq_sdv_mark_active", table_name="sdv_mark")
