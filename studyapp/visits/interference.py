"""Blood bank interference of a subject: until when daratumumab may disturb blood compatibility
testing (``clinical.blood_bank``), from the dated infusions and the protocol's months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from studyapp import codelists
from studyapp.clinical.blood_bank import interference_until
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects import queries as subject_queries
from studyapp.visits.assessments.models import BloodBank, Virology
from studyapp.visits.models import DoseAdministration


@dataclass(frozen=True)
class Interference:
    """What the notice and the card say: the drug, the last infusion and the end date."""

    drug: str
    last_infusion: date
    until: date
    months: int


def last_infusion(subject_id: int) -> date | None:
    """The date of the subject's last recorded infusion (None before the first)."""
    return db.session.scalar(
        select(func.max(DoseAdministration.ec_date)).where(
            DoseAdministration.subject_id == subject_id,
            DoseAdministration.deleted_at.is_(None),
        )
    )


@subject_queries.blood_bank_interference.answer
def of_subject(subject_id: int) -> Interference | None:
    """The subject's interference after the first infusion; None before it."""
    last = last_infusion(subject_id)
    protocol = get_protocol()
    months = protocol.blood_bank.interference_months
    until = interference_until([last], months)
    if last is None or until is None:
        return None
    return Interference(protocol.dosing.drug, last, until, months)


@dataclass(frozen=True)
class HbvMonitoring:
    """HBsAg or anti-HBc positive: HBV DNA is monitored during treatment and for ``months``
    after the last infusion (``until``; None before the first infusion)."""

    months: int
    until: date | None


def hbv_monitoring(subject_id: int) -> HbvMonitoring | None:
    """The subject's HBV monitoring when the latest virology shows past or present HBV."""
    latest = db.session.scalars(
        select(Virology)
        .where(Virology.subject_id == subject_id, Virology.deleted_at.is_(None))
        .order_by(Virology.vr_date.desc(), Virology.id.desc())
    ).first()
    if latest is None or codelists.POSITIVE not in (latest.hbsag, latest.anti_hbc):
        return None
    months = get_protocol().virology.hbv_monitoring_months
    return HbvMonitoring(months, interference_until([last_infusion(subject_id)], months))


def blood_group(subject_id: int) -> Any:
    """The subject's latest blood bank record (type and screen), or None."""
    return db.session.scalars(
        select(BloodBank)
        .where(BloodBank.subject_id == subject_id, BloodBank.deleted_at.is_(None))
        .order_by(BloodBank.bb_date.desc(), BloodBank.id.desc())
    ).first()
