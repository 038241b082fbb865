"""Visits and the visit case report forms, one table per CDISC domain.

Column names follow CDASH where one exists (VSDAT -> ``vs_date``, LBORRES -> ``orres``, ...).
Every number is stored with its unit beside it; lab results keep the value and unit as entered
and the value converted to the SI unit (LBSTRESN/LBSTRESU). Partial dates (CM) are ISO 8601
text, never filled in. Every row is audited and versioned (``AuditedMixin``); a form made of
several rows (a lab panel and its results, a bleeding assessment and its items, a dose and its
rate steps) carries the version on its parent row, which every child change touches.
"""

from __future__ import annotations

from datetime import date, time
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
from studyapp.crf.models import CrfMixin
from studyapp.db import AuditedMixin
from studyapp.extensions import db

#: CM categories (CMCAT; rescue therapy feeds the response rules) and the CDISC ROUTE values
#: offered on the medication form: codes and labels in studyapp.codelists.
CONCOMITANT, RESCUE = codelists.CONCOMITANT, codelists.RESCUE
ROUTES = codelists.ROUTE.codes


class Visit(AuditedMixin, db.Model):
    """A visit of a subject (SV): planned (protocol code) or unscheduled (``UNS``)."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("subject_id", "visitnum"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(10), nullable=False)  # protocol visit code
    visitnum: Mapped[str] = mapped_column(String(10), nullable=False)  # SV.VISITNUM, "2.01"
    visit_date: Mapped[date | None] = mapped_column(Date)  # SV.SVSTDTC
    #: Declared not done (missed) with a reason; never together with a visit date.
    not_done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    not_done_reason: Mapped[str | None] = mapped_column(Text)
    #: Why an unscheduled visit took place.
    unscheduled_reason: Mapped[str | None] = mapped_column(Text)


class VitalSigns(CrfMixin, AuditedMixin, db.Model):
    """Vital signs of a visit (VS), one row per visit; units from the protocol file."""

    __tablename__ = "vital_signs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False, unique=True)
    vs_date: Mapped[date | None] = mapped_column(Date)
    vs_time: Mapped[time | None] = mapped_column(Time)
    weight: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    weight_unit: Mapped[str | None] = mapped_column(String(10))
    height: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    height_unit: Mapped[str | None] = mapped_column(String(10))
    #: Computed from weight and the latest height; never typed.
    bmi: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    bmi_unit: Mapped[str | None] = mapped_column(String(10))
    sysbp: Mapped[int | None] = mapped_column(Integer)
    diabp: Mapped[int | None] = mapped_column(Integer)
    bp_unit: Mapped[str | None] = mapped_column(String(10))
    pulse: Mapped[int | None] = mapped_column(Integer)
    pulse_unit: Mapped[str | None] = mapped_column(String(12))
    temp: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    temp_unit: Mapped[str | None] = mapped_column(String(10))


class LabPanel(CrfMixin, AuditedMixin, db.Model):
    """One lab form of a visit (CBC, CHEM or IG): the sample and its status."""

    __tablename__ = "lab_panel"
    __table_args__ = (UniqueConstraint("visit_id", "form"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False)
    form: Mapped[str] = mapped_column(String(10), nullable=False)  # protocol form code
    lb_date: Mapped[date | None] = mapped_column(Date)  # LBDAT: sample date
    lb_time: Mapped[time | None] = mapped_column(Time)  # LBTIM


class LabResult(AuditedMixin, db.Model):
    """One lab test result (LB): as entered and converted to the SI unit."""

    __tablename__ = "lab_result"
    __table_args__ = (UniqueConstraint("panel_id", "testcd"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False)
    panel_id: Mapped[int] = mapped_column(ForeignKey("lab_panel.id"), nullable=False)
    testcd: Mapped[str] = mapped_column(String(8), nullable=False)  # LBTESTCD
    orres: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))  # LBORRES as entered
    orresu: Mapped[str | None] = mapped_column(String(12))  # LBORRESU
    stresn: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))  # LBSTRESN (SI)
    stresu: Mapped[str | None] = mapped_column(String(12))  # LBSTRESU
    nrlo: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))  # LBSTNRLO (SI)
    nrhi: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))  # LBSTNRHI (SI)
    nrind: Mapped[str | None] = mapped_column(String(10))  # LBNRIND: LOW, NORMAL, HIGH
    toxgr: Mapped[int | None] = mapped_column(Integer)  # LBTOXGR, CTCAE v5.0


class BleedingAssessment(CrfMixin, AuditedMixin, db.Model):
    """Bleeding at a visit: WHO grade and the ITP-BAT SMOG domains (custom domain XB)."""

    __tablename__ = "bleeding_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False, unique=True)
    assessed_date: Mapped[date | None] = mapped_column(Date)
    who_grade: Mapped[int | None] = mapped_column(Integer)
    #: Highest item grade per SMOG domain, computed from the items.
    skin_grade: Mapped[int | None] = mapped_column(Integer)
    mucosa_grade: Mapped[int | None] = mapped_column(Integer)
    organ_grade: Mapped[int | None] = mapped_column(Integer)
    smog: Mapped[str | None] = mapped_column(String(12))  # e.g. S2M1O0


class BleedingItem(AuditedMixin, db.Model):
    """The worst grade of one ITP-BAT item since the last visit."""

    __tablename__ = "bleeding_item"
    __table_args__ = (UniqueConstraint("assessment_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("bleeding_assessment.id"), nullable=False)
    item: Mapped[str] = mapped_column(String(20), nullable=False)
    grade: Mapped[int] = mapped_column(Integer, nullable=False)


class DoseAdministration(CrfMixin, AuditedMixin, db.Model):
    """One infusion of daratumumab (EC), with the planned dose it was computed against."""

    __tablename__ = "dose_administration"
    __table_args__ = (UniqueConstraint("visit_id", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False)
    dose_number: Mapped[int] = mapped_column(Integer, nullable=False)
    #: 1, or 2 for the second half of a split first dose.
    part: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    ec_date: Mapped[date | None] = mapped_column(Date)  # ECSTDAT
    start_time: Mapped[time | None] = mapped_column(Time)  # ECSTTIM
    stop_time: Mapped[time | None] = mapped_column(Time)  # ECENTIM
    # The planned dose (EX: mg/kg x weight), stored as computed when the dose was saved.
    reference_weight: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    dosing_weight: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    weight_unit: Mapped[str | None] = mapped_column(String(10))
    rebaselined: Mapped[bool | None] = mapped_column(Boolean)
    planned_dose: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    planned_volume: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    # What was given (EC).
    given_dose: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # ECDOSE
    dose_unit: Mapped[str | None] = mapped_column(String(10))  # ECDOSU
    given_volume: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    volume_unit: Mapped[str | None] = mapped_column(String(10))
    deviation_pct: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    deviation: Mapped[bool | None] = mapped_column(Boolean)
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    interrupted: Mapped[bool | None] = mapped_column(Boolean)
    interruption_minutes: Mapped[int | None] = mapped_column(Integer)
    interruption_reason: Mapped[str | None] = mapped_column(Text)
    # Premedication 1-3 h before the infusion (CM category PREMEDICATION), doses in mg.
    premed_time: Mapped[time | None] = mapped_column(Time)
    premed_methylpred: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    premed_paracetamol: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    premed_antihistamine: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    premed_unit: Mapped[str | None] = mapped_column(String(10))


class InfusionRateStep(AuditedMixin, db.Model):
    """A change of the infusion rate (EC: ECFLRT), in mL/h, at a local time."""

    __tablename__ = "infusion_rate_step"
    __table_args__ = (UniqueConstraint("dose_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    dose_id: Mapped[int] = mapped_column(ForeignKey("dose_administration.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    at_time: Mapped[time | None] = mapped_column(Time)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    rate_unit: Mapped[str | None] = mapped_column(String(10))


class Medication(CrfMixin, AuditedMixin, db.Model):
    """A concomitant medication or rescue therapy (CM); partial dates allowed."""

    __tablename__ = "medication"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    #: The visit at which it was recorded, if any.
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    category: Mapped[str] = mapped_column(String(20), nullable=False, default=CONCOMITANT)
    rescue_type: Mapped[str | None] = mapped_column(String(30))
    trt: Mapped[str] = mapped_column(String(200), nullable=False)  # CMTRT
    dose: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))  # CMDOSE
    dose_unit: Mapped[str | None] = mapped_column(String(20))  # CMDOSU
    route: Mapped[str | None] = mapped_column(String(20))  # CMROUTE
    frequency: Mapped[str | None] = mapped_column(String(40))  # CMDOSFRQ
    start_date: Mapped[str | None] = mapped_column(String(10))  # CMSTDTC (partial allowed)
    end_date: Mapped[str | None] = mapped_column(String(10))  # CMENDTC (partial allowed)
    ongoing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    indication: Mapped[str | None] = mapped_column(String(200))  # CMINDC
