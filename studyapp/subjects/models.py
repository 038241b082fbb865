"""Subject-level records. No direct identifiers: initials at most, age or birth year (PRV-02/03).

CDISC names where one exists: DM (sex, age), IE (eligibility answers), MH (medical
history), CM with CMCAT "PRIOR ITP THERAPY" (prior therapies), DS (disposition).
Partial dates are ISO 8601 text (``2024``, ``2024-05``, ``2024-05-14``), never filled in.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from studyapp import codelists
from studyapp.db import AuditedMixin, UTCDateTime
from studyapp.extensions import db

#: Subject statuses; "in treatment" and "in follow-up" are derived from Day 1 and today.
SCREENING, SCREEN_FAILED, ENROLLED = "screening", "screen_failed", "enrolled"
#: The Subject columns holding the values the machine-checkable criteria read.
SCREENING_FIELDS = (
    "itp_diagnosis_date",
    "ecog",
    "platelet_count",
    "platelet_date",
    "alt",
    "ast",
    "bilirubin",
    "creatinine",
    "pregnancy_test",
    "last_emergency_tx_stop",
    "no_emergency_tx",
)
#: CDISC DSDECOD values a subject can leave the study with (codes and labels: codelists).
DISPOSITIONS = codelists.DISPOSITION.codes


class Subject(AuditedMixin, db.Model):
    __tablename__ = "subject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Site prefix + sequence, assigned by the system, never reused (PRV-01).
    screening_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    #: Assigned at enrolment, a separate never-reused sequence.
    subject_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    initials: Mapped[str | None] = mapped_column(String(4))
    sex: Mapped[str] = mapped_column(String(1), nullable=False)  # DM.SEX: M, F
    age_years: Mapped[int] = mapped_column(Integer, nullable=False)  # DM.AGE at screening
    birth_year: Mapped[int | None] = mapped_column(Integer)
    screening_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=SCREENING)

    # Informed consent (DS "INFORMED CONSENT OBTAINED"), as entered: local date and time.
    consent_date: Mapped[date | None] = mapped_column(Date)
    consent_time: Mapped[time | None] = mapped_column(Time)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    consent_obtained_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # Screening values read by the machine-checkable criteria (units are the SI ones).
    itp_diagnosis_date: Mapped[str | None] = mapped_column(String(10))  # partial ISO 8601
    ecog: Mapped[int | None] = mapped_column(Integer)
    platelet_count: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # 10^9/L
    platelet_date: Mapped[date | None] = mapped_column(Date)
    alt: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))  # U/L
    ast: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))  # U/L
    bilirubin: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))  # umol/L
    creatinine: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))  # umol/L
    #: POSITIVE, NEGATIVE or NOT_APPLICABLE (male, or not of childbearing potential).
    pregnancy_test: Mapped[str | None] = mapped_column(String(20))
    last_emergency_tx_stop: Mapped[date | None] = mapped_column(Date)
    #: True: no emergency ITP treatment was given (None until answered).
    no_emergency_tx: Mapped[bool | None] = mapped_column(Boolean)

    # Eligibility outcome.
    eligibility_signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))
    screen_fail_reason: Mapped[str | None] = mapped_column(Text)
    screen_failed_criteria: Mapped[str | None] = mapped_column(String(200))

    # Enrolment.
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    day1_date: Mapped[date | None] = mapped_column(Date)
    run_in: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    # Disposition (DS).
    disposition: Mapped[str | None] = mapped_column(String(40))
    disposition_date: Mapped[date | None] = mapped_column(Date)
    disposition_reason: Mapped[str | None] = mapped_column(Text)

    def audit_subject_id(self) -> int | None:
        return self.id

    @property
    def label(self) -> str:
        return self.subject_number or self.screening_number

    @property
    def consented(self) -> bool:
        return self.consent_date is not None


class EligibilityAnswer(AuditedMixin, db.Model):
    """The investigator's answer to a criterion judged by a person (IE)."""

    __tablename__ = "eligibility_answer"
    __table_args__ = (UniqueConstraint("subject_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(10), nullable=False)
    #: True when the criterion's condition holds for the subject.
    answer: Mapped[bool] = mapped_column(Boolean, nullable=False)


class PriorTherapy(AuditedMixin, db.Model):
    """A prior ITP therapy (CM with CMCAT = PRIOR ITP THERAPY)."""

    __tablename__ = "prior_therapy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False)
    category: Mapped[str] = mapped_column(String(30), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    start_date: Mapped[str | None] = mapped_column(String(10))
    stop_date: Mapped[str | None] = mapped_column(String(10))
    best_response: Mapped[str | None] = mapped_column(String(20))
    reason_stopped: Mapped[str | None] = mapped_column(String(40))


class MedicalHistory(AuditedMixin, db.Model):
    """A medical history condition (MH)."""

    __tablename__ = "medical_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False)
    term: Mapped[str] = mapped_column(String(200), nullable=False)
    start_date: Mapped[str | None] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))
    ongoing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class DltReview(AuditedMixin, db.Model):
    """The signed review of the run-in cohort's dose-limiting toxicities."""

    __tablename__ = "dlt_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_size: Mapped[int] = mapped_column(Integer, nullable=False)
    dlt_count: Mapped[int] = mapped_column(Integer, nullable=False)
    #: What the protocol's stop rule says: open, expand or halt.
    rule_outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    #: The investigator's decision: continue, modify (expand the run-in) or stop.
    decision: Mapped[str] = mapped_column(String(20), nullable=False)
    comments: Mapped[str | None] = mapped_column(Text)
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))


class DltAssessment(AuditedMixin, db.Model):
    """One run-in subject's DLT finding within a review."""

    __tablename__ = "dlt_assessment"
    __table_args__ = (UniqueConstraint("review_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("dlt_review.id"), nullable=False)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False)
    dlt: Mapped[bool] = mapped_column(Boolean, nullable=False)
    details: Mapped[str | None] = mapped_column(Text)
