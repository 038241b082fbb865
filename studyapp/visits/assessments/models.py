"""The tables of the simple visit forms, one per CDISC domain or topic, one row per visit.

Each is a flat list of typed fields (``spec`` describes them for the form, the checks and the
page); a number keeps its unit beside it (``<field>_unit``, from the protocol file). Coded
values are the codes of ``studyapp.codelists``. Audited and versioned like every CRF row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.crf.models import CrfMixin
from studyapp.db import AuditedMixin
from studyapp.extensions import db


class _VisitRow(CrfMixin, AuditedMixin):
    """The columns every one of these forms has: its subject and visit (one row per visit)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False, unique=True)


class PhysicalExam(_VisitRow, db.Model):
    """Physical examination (PE): overall result, abnormal findings, and the ECOG performance
    status (QS) where the visit has no screening ECOG."""

    __tablename__ = "physical_exam"

    pe_date: Mapped[date | None] = mapped_column(Date)  # PEDAT
    #: ``codelists.EXAM_RESULT``: NORMAL, ABNORMAL NCS, ABNORMAL CS (clinically significant).
    pe_result: Mapped[str | None] = mapped_column(String(20))
    pe_findings: Mapped[str | None] = mapped_column(Text)
    spleen_palpable: Mapped[bool | None] = mapped_column(Boolean)
    #: ECOG performance status 0-5 (QS ECOG101) at this examination.
    ecog: Mapped[int | None] = mapped_column(Integer)


class Ecg(_VisitRow, db.Model):
    """12-lead ECG (EG): heart rate and intervals with their units, and the interpretation."""

    __tablename__ = "ecg"

    eg_date: Mapped[date | None] = mapped_column(Date)  # EGDAT
    hr: Mapped[int | None] = mapped_column(Integer)
    hr_unit: Mapped[str | None] = mapped_column(String(12))
    pr: Mapped[int | None] = mapped_column(Integer)
    pr_unit: Mapped[str | None] = mapped_column(String(12))
    qrs: Mapped[int | None] = mapped_column(Integer)
    qrs_unit: Mapped[str | None] = mapped_column(String(12))
    qt: Mapped[int | None] = mapped_column(Integer)
    qt_unit: Mapped[str | None] = mapped_column(String(12))
    qtcf: Mapped[int | None] = mapped_column(Integer)
    qtcf_unit: Mapped[str | None] = mapped_column(String(12))
    #: ``codelists.EXAM_RESULT``.
    eg_result: Mapped[str | None] = mapped_column(String(20))
    eg_findings: Mapped[str | None] = mapped_column(Text)


class Virology(_VisitRow, db.Model):
    """Virology (LB/MB): HBV serology and HBV DNA, HCV, HIV, syphilis, CMV and EBV."""

    __tablename__ = "virology"

    vr_date: Mapped[date | None] = mapped_column(Date)  # sample date
    #: ``codelists.SEROLOGY``: POSITIVE, NEGATIVE, NOT DONE.
    hbsag: Mapped[str | None] = mapped_column(String(12))
    anti_hbs: Mapped[str | None] = mapped_column(String(12))
    anti_hbc: Mapped[str | None] = mapped_column(String(12))
    hbv_dna: Mapped[Decimal | None] = mapped_column(Numeric(14, 0))
    hbv_dna_unit: Mapped[str | None] = mapped_column(String(12))
    hcv_ab: Mapped[str | None] = mapped_column(String(12))
    hiv_ab: Mapped[str | None] = mapped_column(String(12))
    syphilis: Mapped[str | None] = mapped_column(String(12))
    cmv_dna: Mapped[str | None] = mapped_column(String(12))
    ebv_dna: Mapped[str | None] = mapped_column(String(12))


class BloodBank(_VisitRow, db.Model):
    """Blood bank type and screen before the first dose (DOMAIN.md section 3)."""

    __tablename__ = "blood_bank"

    bb_date: Mapped[date | None] = mapped_column(Date)  # sample date
    abo: Mapped[str | None] = mapped_column(String(4))  # ``codelists.ABO``
    rhd: Mapped[str | None] = mapped_column(String(12))  # ``codelists.SEROLOGY``
    antibody_screen: Mapped[str | None] = mapped_column(String(12))  # indirect antiglobulin
    dat: Mapped[str | None] = mapped_column(String(12))  # direct antiglobulin test
    #: Extended red-cell phenotype (Rh, Kell, Kidd, Duffy, MNS) as the blood bank reports it.
    phenotype: Mapped[str | None] = mapped_column(Text)
    bank_informed: Mapped[bool | None] = mapped_column(Boolean)
    card_issued: Mapped[bool | None] = mapped_column(Boolean)


class PlateletAntibody(_VisitRow, db.Model):
    """Anti-platelet antibodies (LB): ELISA or MAIPA, anti-GPIIb/IIIa and anti-GPIb/IX."""

    __tablename__ = "platelet_antibody"

    ab_date: Mapped[date | None] = mapped_column(Date)  # sample date
    ab_method: Mapped[str | None] = mapped_column(String(10))  # ``codelists.AB_METHOD``
    gp2b3a: Mapped[str | None] = mapped_column(String(12))  # ``codelists.SEROLOGY``
    gp1b9: Mapped[str | None] = mapped_column(String(12))
