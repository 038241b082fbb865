"""Exposure: EC (exposure as collected: each infusion's mg, volume, rates, interruptions) and
EX (exposure in the protocol's unit, mg/kg: one record per planned dose, a split first dose
being one dose given over two infusions).

ECVOL, ECVOLU, ECFLRTMX, ECFLRTU and ECINTMIN are not SDTM EC variables: a submission would
move them to SUPPEC; they are here because the protocol collects them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import func, select

from studyapp.exports.sdtm.common import SubjectRef, doses, dtc
from studyapp.exports.sdtm.spec import NUM, Domain, variables
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.visits.models import DoseAdministration, InfusionRateStep

PERFORMED, KG = "PERFORMED", "kg"


def _rate(dose_id: int) -> tuple[Decimal | None, str | None]:
    """The highest infusion rate of a dose and its unit."""
    row = db.session.execute(
        select(func.max(InfusionRateStep.rate), func.max(InfusionRateStep.rate_unit)).where(
            InfusionRateStep.dose_id == dose_id, InfusionRateStep.deleted_at.is_(None)
        )
    ).one()
    return row[0], row[1]


def _adjustment(dose: DoseAdministration) -> str | None:
    reasons = [r for r in (dose.deviation_reason, dose.interruption_reason) if r]
    return "; ".join(reasons) or None


def ec_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    dosing = get_protocol().dosing
    for dose in doses(ref.subject.id, ref.scope):
        rate, rate_unit = _rate(dose.id)
        yield {
            "ECLNKID": str(dose.dose_number),
            "ECTRT": dosing.drug.upper(),
            "ECMOOD": PERFORMED,
            "ECDOSE": dose.given_dose,
            "ECDOSU": dose.dose_unit,
            "ECROUTE": dosing.route,
            "ECVOL": dose.given_volume,
            "ECVOLU": dose.volume_unit,
            "ECFLRTMX": rate,
            "ECFLRTU": rate_unit,
            "ECINTMIN": dose.interruption_minutes,
            "ECADJ": _adjustment(dose),
            **ref.visit(dose.visit_id),
            "ECSTDTC": dtc(dose.ec_date, dose.start_time),
            "ECENDTC": dtc(dose.ec_date, dose.stop_time),
        }


EC = Domain(
    "EC",
    "Exposure as Collected",
    variables(
        "EC",
        ("ECLNKID", "Link ID"),
        ("ECTRT", "Name of Treatment"),
        ("ECMOOD", "Mood"),
        ("ECDOSE", "Dose", NUM),
        ("ECDOSU", "Dose Units"),
        ("ECROUTE", "Route of Administration"),
        ("ECVOL", "Volume Infused", NUM),
        ("ECVOLU", "Volume Infused Units"),
        ("ECFLRTMX", "Highest Infusion Rate", NUM),
        ("ECFLRTU", "Infusion Rate Units"),
        ("ECINTMIN", "Interruption Duration (min)", NUM),
        ("ECADJ", "Reason for Dose Adjustment"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("ECSTDTC", "Start Date/Time of Treatment"),
        ("ECENDTC", "End Date/Time of Treatment"),
        ("ECSTDY", "Study Day of Start of Treatment", NUM),
        ("ECENDY", "Study Day of End of Treatment", NUM),
    ),
    ec_rows,
    days={"ECSTDY": "ECSTDTC", "ECENDY": "ECENDTC"},
    epoch_from="ECSTDTC",
)


def mg_per_kg(parts: list[DoseAdministration]) -> Decimal | None:
    """The dose in mg/kg: the protocol's unless a part was flagged as a dose deviation, then
    the mg given over the dosing weight (0.01 mg/kg)."""
    if not any(p.deviation for p in parts):
        return get_protocol().dosing.mg_per_kg
    weight = parts[0].dosing_weight
    given = [p.given_dose for p in parts]
    if weight is None or parts[0].weight_unit != KG or None in given:
        return None
    total = sum(given, Decimal(0))  # type: ignore[arg-type]
    return (total / weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ex_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    dosing = get_protocol().dosing
    ordered = sorted(doses(ref.subject.id, ref.scope), key=lambda d: (d.dose_number, d.part))
    for number, group in groupby(ordered, key=lambda d: d.dose_number):
        parts = list(group)
        first, last = parts[0], parts[-1]
        yield {
            "EXLNKID": str(number),
            "EXTRT": dosing.drug.upper(),
            "EXDOSE": mg_per_kg(parts),
            "EXDOSU": "mg/kg",
            "EXROUTE": dosing.route,
            **ref.visit(first.visit_id),
            "EXSTDTC": dtc(first.ec_date, first.start_time),
            "EXENDTC": dtc(last.ec_date, last.stop_time),
        }


EX = Domain(
    "EX",
    "Exposure",
    variables(
        "EX",
        ("EXLNKID", "Link ID"),
        ("EXTRT", "Name of Treatment"),
        ("EXDOSE", "Dose", NUM),
        ("EXDOSU", "Dose Units"),
        ("EXROUTE", "Route of Administration"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("EXSTDTC", "Start Date/Time of Treatment"),
        ("EXENDTC", "End Date/Time of Treatment"),
        ("EXSTDY", "Study Day of Start of Treatment", NUM),
        ("EXENDY", "Study Day of End of Treatment", NUM),
    ),
    ex_rows,
    days={"EXSTDY": "EXSTDTC", "EXENDY": "EXENDTC"},
    epoch_from="EXSTDTC",
)

DOMAINS = (EC, EX)
