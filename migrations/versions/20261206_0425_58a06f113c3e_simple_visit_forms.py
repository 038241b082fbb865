"""Simple visit forms: physical examination, ECG, virology, blood bank, anti-platelet antibodies.

One table per form, one row per visit, audited and versioned like every CRF row (issue 15).

Revision ID: 58a06f113c3e
Revises: a7e3c9d15b62
Create Date: 2026-12-06 04:25:17.282154

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "58a06f113c3e"
down_revision = "a7e3c9d15b62"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "blood_bank",
        sa.Column("bb_date", sa.Date(), nullable=True),
        sa.Column("abo", sa.String(length=4), nullable=True),
        sa.Column("rhd", sa.String(length=12), nullable=True),
        sa.Column("antibody_screen", sa.String(length=12), nullable=True),
        sa.Column("dat", sa.String(length=12), nullable=True),
        sa.Column("phenotype", sa.Text(), nullable=True),
        sa.Column("bank_informed", sa.Boolean(), nullable=True),
        sa.Column("card_issued", sa.Boolean(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed_warnings", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_blood_bank_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_blood_bank_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_blood_bank_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_blood_bank_visit_id_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blood_bank")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_blood_bank_visit_id")),
    )
    with op.batch_alter_table("blood_bank", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blood_bank_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "ecg",
        sa.Column("eg_date", sa.Date(), nullable=True),
        sa.Column("hr", sa.Integer(), nullable=True),
        sa.Column("hr_unit", sa.String(length=12), nullable=True),
        sa.Column("pr", sa.Integer(), nullable=True),
        sa.Column("pr_unit", sa.String(length=12), nullable=True),
        sa.Column("qrs", sa.Integer(), nullable=True),
        sa.Column("qrs_unit", sa.String(length=12), nullable=True),
        sa.Column("qt", sa.Integer(), nullable=True),
        sa.Column("qt_unit", sa.String(length=12), nullable=True),
        sa.Column("qtcf", sa.Integer(), nullable=True),
        sa.Column("qtcf_unit", sa.String(length=12), nullable=True),
        sa.Column("eg_result", sa.String(length=20), nullable=True),
        sa.Column("eg_findings", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed_warnings", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_ecg_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_ecg_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_ecg_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_ecg_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecg")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_ecg_visit_id")),
    )
    with op.batch_alter_table("ecg", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ecg_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "physical_exam",
        sa.Column("pe_date", sa.Date(), nullable=True),
        sa.Column("pe_result", sa.String(length=20), nullable=True),
        sa.Column("pe_findings", sa.Text(), nullable=True),
        sa.Column("spleen_palpable", sa.Boolean(), nullable=True),
        sa.Column("ecog", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed_warnings", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_physical_exam_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_physical_exam_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_physical_exam_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_physical_exam_visit_id_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physical_exam")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_physical_exam_visit_id")),
    )
    with op.batch_alter_table("physical_exam", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_physical_exam_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "platelet_antibody",
        sa.Column("ab_date", sa.Date(), nullable=True),
        sa.Column("ab_method", sa.String(length=10), nullable=True),
        sa.Column("gp2b3a", sa.String(length=12), nullable=True),
        sa.Column("gp1b9", sa.String(length=12), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed_warnings", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_platelet_antibody_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_platelet_antibody_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_platelet_antibody_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_platelet_antibody_visit_id_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platelet_antibody")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_platelet_antibody_visit_id")),
    )
    with op.batch_alter_table("platelet_antibody", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platelet_antibody_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "virology",
        sa.Column("vr_date", sa.Date(), nullable=True),
        sa.Column("hbsag", sa.String(length=12), nullable=True),
        sa.Column("anti_hbs", sa.String(length=12), nullable=True),
        sa.Column("anti_hbc", sa.String(length=12), nullable=True),
        sa.Column("hbv_dna", sa.Numeric(precision=14, scale=0), nullable=True),
        sa.Column("hbv_dna_unit", sa.String(length=12), nullable=True),
        sa.Column("hcv_ab", sa.String(length=12), nullable=True),
        sa.Column("hiv_ab", sa.String(length=12), nullable=True),
        sa.Column("syphilis", sa.String(length=12), nullable=True),
        sa.Column("cmv_dna", sa.String(length=12), nullable=True),
        sa.Column("ebv_dna", sa.String(length=12), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed_warnings", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_virology_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_virology_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_virology_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_virology_visit_id_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_virology")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_virology_visit_id")),
    )
    with op.batch_alter_table("virology", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_virology_subject_id"), ["subject_id"], unique=False)


def downgrade():
    with op.batch_alter_table("virology", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_virology_subject_id"))

    op.drop_table("virology")
    with op.batch_alter_table("platelet_antibody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platelet_antibody_subject_id"))

    op.drop_table("platelet_antibody")
    with op.batch_alter_table("physical_exam", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_physical_exam_subject_id"))

    op.drop_table("physical_exam")
    with op.batch_alter_table("ecg", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ecg_subject_id"))

    op.drop_table("ecg")
    with op.batch_alter_table("blood_bank", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blood_bank_subject_id"))

    op.drop_table("blood_bank")
