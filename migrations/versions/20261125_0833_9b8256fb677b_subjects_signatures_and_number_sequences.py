"""Subjects (screening, consent, eligibility, enrolment, disposition), signatures, counters.

Revision ID: 9b8256fb677b
Revises: 6c4eaf53c11a
Create Date: 2026-11-25 08:33:05.062011

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9b8256fb677b"
down_revision = "6c4eaf53c11a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )
    counter = sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.Integer))
    op.bulk_insert(counter, [{"name": "screening", "value": 0}, {"name": "subject", "value": 0}])
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("meaning", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table_name", sa.String(length=80), nullable=False),
        sa.Column("row_id", sa.String(length=80), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invalidated_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_signature_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_signature_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_signature_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
    )
    op.create_table(
        "dlt_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_size", sa.Integer(), nullable=False),
        sa.Column("dlt_count", sa.Integer(), nullable=False),
        sa.Column("rule_outcome", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_dlt_review_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"], ["signature.id"], name=op.f("fk_dlt_review_signature_id_signature")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_dlt_review_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dlt_review")),
    )
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_number", sa.String(length=20), nullable=False),
        sa.Column("subject_number", sa.String(length=20), nullable=True),
        sa.Column("initials", sa.String(length=4), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("age_years", sa.Integer(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("screening_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("consent_date", sa.Date(), nullable=True),
        sa.Column("consent_time", sa.Time(), nullable=True),
        sa.Column("consent_version", sa.String(length=20), nullable=True),
        sa.Column("consent_obtained_by_id", sa.Integer(), nullable=True),
        sa.Column("itp_diagnosis_date", sa.String(length=10), nullable=True),
        sa.Column("ecog", sa.Integer(), nullable=True),
        sa.Column("platelet_count", sa.Numeric(precision=7, scale=1), nullable=True),
        sa.Column("platelet_date", sa.Date(), nullable=True),
        sa.Column("alt", sa.Numeric(precision=8, scale=1), nullable=True),
        sa.Column("ast", sa.Numeric(precision=8, scale=1), nullable=True),
        sa.Column("bilirubin", sa.Numeric(precision=8, scale=1), nullable=True),
        sa.Column("creatinine", sa.Numeric(precision=8, scale=1), nullable=True),
        sa.Column("pregnancy_test", sa.String(length=20), nullable=True),
        sa.Column("last_emergency_tx_stop", sa.Date(), nullable=True),
        sa.Column("no_emergency_tx", sa.Boolean(), nullable=True),
        sa.Column("eligibility_signature_id", sa.Integer(), nullable=True),
        sa.Column("screen_fail_reason", sa.Text(), nullable=True),
        sa.Column("screen_failed_criteria", sa.String(length=200), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("day1_date", sa.Date(), nullable=True),
        sa.Column("run_in", sa.Boolean(), nullable=False),
        sa.Column("disposition", sa.String(length=40), nullable=True),
        sa.Column("disposition_date", sa.Date(), nullable=True),
        sa.Column("disposition_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_obtained_by_id"],
            ["user.id"],
            name=op.f("fk_subject_consent_obtained_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_subject_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["eligibility_signature_id"],
            ["signature.id"],
            name=op.f("fk_subject_eligibility_signature_id_signature"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_subject_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("screening_number", name=op.f("uq_subject_screening_number")),
        sa.UniqueConstraint("subject_number", name=op.f("uq_subject_subject_number")),
    )
    op.create_table(
        "dlt_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("dlt", sa.Boolean(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_dlt_assessment_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["dlt_review.id"], name=op.f("fk_dlt_assessment_review_id_dlt_review")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_dlt_assessment_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_dlt_assessment_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dlt_assessment")),
        sa.UniqueConstraint("review_id", "subject_id", name=op.f("uq_dlt_assessment_review_id")),
    )
    op.create_table(
        "eligibility_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_eligibility_answer_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_eligibility_answer_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_eligibility_answer_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_answer")),
        sa.UniqueConstraint("subject_id", "code", name=op.f("uq_eligibility_answer_subject_id")),
    )
    op.create_table(
        "medical_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_medical_history_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_medical_history_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_medical_history_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_history")),
    )
    op.create_table(
        "prior_therapy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("stop_date", sa.String(length=10), nullable=True),
        sa.Column("best_response", sa.String(length=20), nullable=True),
        sa.Column("reason_stopped", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_prior_therapy_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_prior_therapy_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_prior_therapy_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_therapy")),
    )


def downgrade():
    op.drop_table("prior_therapy")
    op.drop_table("medical_history")
    op.drop_table("eligibility_answer")
    op.drop_table("dlt_assessment")
    op.drop_table("subject")
    op.drop_table("dlt_review")
    op.drop_table("signature")
    op.drop_table("counter")
