"""Adverse events (AE), SAE reports, lab-to-AE decisions; one audited table each.

Column names follow CDASH/SDTM (AETERM -> ``aeterm``, AETOXGR -> ``grade``, AESER with its
criteria, AEREL, AEACN, AEOUT). Onset and end dates are ISO 8601 text as entered, partial
where the day or month is unknown, never filled in. A grade change of an ongoing event ends the
record and starts a new one (``previous_id``), all of one ``episode_id`` (protocol
``safety.grade_change``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studyapp import codelists
from studyapp.crf.models import CrfMixin
from studyapp.db import AuditedMixin, UTCDateTime
from studyapp.extensions import db

#: CDISC ACN (action taken with study treatment) and OUT (outcome) submission values, the ICH
#: E2A seriousness criteria (SDTM names), DLT decisions and lab-to-AE task answers: the codes
#: and their labels are written once in studyapp.codelists.
ACTIONS = codelists.ACN.codes
OUTCOMES = codelists.AE_OUTCOME.codes
CRITERIA = codelists.SERIOUSNESS.codes
CONFIRMED, REJECTED = codelists.CONFIRMED, codelists.REJECTED
#: SAE report kinds: the SAE clock's initial report, follow-ups, expedited SUSAR reports.
INITIAL, FOLLOW_UP = "SAE", "FOLLOWUP"
RECORDED_AE, NOT_AE = codelists.RECORDED_AE, codelists.NOT_AE


class AdverseEvent(CrfMixin, AuditedMixin, db.Model):
    """One adverse event record (AE) of a subject; one record per grade of an episode."""

    __tablename__ = "adverse_event"
    __table_args__ = (UniqueConstraint("subject_id", "aespid"),)
    __audit_no_reason__: ClassVar[frozenset[str]] = CrfMixin.__audit_no_reason__ | {
        "dlt_candidate",
        "dlt_reason",
        "episode_id",
    }

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    #: AE number within the subject (AESPID), shown as "AE 3".
    aespid: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The first record of the episode (itself for the first); grade changes share it.
    episode_id: Mapped[int | None] = mapped_column(Integer, index=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"))
    aeterm: Mapped[str] = mapped_column(Text, nullable=False)  # verbatim term
    ctcae_code: Mapped[str | None] = mapped_column(String(40))
    aedecod: Mapped[str | None] = mapped_column(String(200))  # CTCAE v5.0 term
    aesoc: Mapped[str | None] = mapped_column(String(200))  # its system organ class
    start_date: Mapped[str | None] = mapped_column(String(10))  # AESTDTC, partial allowed
    end_date: Mapped[str | None] = mapped_column(String(10))  # AEENDTC
    ongoing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    grade: Mapped[int | None] = mapped_column(Integer)  # AETOXGR, CTCAE v5.0
    aeser: Mapped[bool | None] = mapped_column(Boolean)
    aesdth: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    aeslife: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    aeshosp: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    aesdisab: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    aescong: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    aesmie: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: When the site learnt the event is serious: the SAE clock starts here (UTC).
    aware_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    relatedness: Mapped[str | None] = mapped_column(String(20))  # 5-point scale
    aerel: Mapped[str | None] = mapped_column(String(12))  # RELATED / NOT RELATED
    expected: Mapped[bool | None] = mapped_column(Boolean)  # per the reference safety info
    aeacn: Mapped[str | None] = mapped_column(String(30))
    aeout: Mapped[str | None] = mapped_column(String(40))
    treatment: Mapped[str | None] = mapped_column(Text)  # treatment given for the event
    #: An infusion-related reaction, linked to the infusion it followed.
    irr: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    dose_id: Mapped[int | None] = mapped_column(ForeignKey("dose_administration.id"))
    # Dose-limiting toxicity: computed candidacy and the investigator's decision.
    dlt_candidate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    dlt_reason: Mapped[str | None] = mapped_column(String(120))
    dlt_decision: Mapped[str | None] = mapped_column(String(10))
    dlt_decision_reason: Mapped[str | None] = mapped_column(Text)
    dlt_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    dlt_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def label(self) -> str:
        return f"AE {self.aespid}"

    @property
    def term(self) -> str:
        return self.aedecod or self.aeterm


class SaeReport(AuditedMixin, db.Model):
    """A report of a serious AE to the sponsor (initial, follow-up) or an expedited SUSAR
    report; the PDF submitted is kept with its SHA-256 (the hash is audited)."""

    __tablename__ = "sae_report"
    __audit_ignore__: ClassVar[frozenset[str]] = frozenset({"pdf"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    ae_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    #: 0 for the initial report, 1, 2 ... for follow-ups.
    number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    narrative: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class LabAeDecision(AuditedMixin, db.Model):
    """The investigator's answer to a lab result graded at or above the AE task grade:
    an adverse event was recorded (``ae_id``), or why it is not one."""

    __tablename__ = "lab_ae_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    lab_result_id: Mapped[int] = mapped_column(
        ForeignKey("lab_result.id"), nullable=False, unique=True
    )
    #: The grade the answer was given for: a higher grade later reopens the task.
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    decision: Mapped[str] = mapped_column(String(10), nullable=False)
    ae_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"))
    reason: Mapped[str | None] = mapped_column(Text)
