"""Users: who issued the pending set-up/reset code and the one that set the password.

Revision ID: 3f1c2a7d9e51
Revises: edec9327b6b8
Create Date: 2026-12-04 18:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3f1c2a7d9e51"
down_revision = "edec9327b6b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reset_code_issued_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reset_code_issued_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("password_code_issued_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("password_code_issued_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "password_code_notice", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_reset_code_issued_by_id_user"),
            "user",
            ["reset_code_issued_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_password_code_issued_by_id_user"),
            "user",
            ["password_code_issued_by_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_password_code_issued_by_id_user"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_user_reset_code_issued_by_id_user"), type_="foreignkey"
        )
        batch_op.drop_column("password_code_notice")
        batch_op.drop_column("password_code_issued_at")
        batch_op.drop_column("password_code_issued_by_id")
        batch_op.drop_column("reset_code_issued_at")
        batch_op.drop_column("reset_code_issued_by_id")
