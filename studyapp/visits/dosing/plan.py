"""The planned dose of a dosing visit (EX): dose number, split, weights, planned mg and mL.

A visit has a dose when its planned day is one of the protocol's dose days; the dose number is
its place among them. The planned dose is ``clinical.dosing`` applied to the vital signs
weights: the reference weight is the first dose visit's weight (else the last pre-treatment
weight, screening), carried from dose to dose by ``reference_weights`` so that a change beyond
the protocol's threshold re-baselines it. ``setting`` gathers what the dosing page shows and the
save checks against: the plan (or why there is none), the split of the first dose (each half
planned at half the dose), the infusion plan and the expected date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.clinical import dosing as rules
from studyapp.errors import NotFound
from studyapp.extensions import db
from studyapp.hooks import Hook
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import VisitDef
from studyapp.visits import context as crf
from studyapp.visits.models import DoseAdministration, Visit, VitalSigns
from studyapp.visits.schedule.service import CalendarRow, visitnum_text
from studyapp.visits.vitals.measures import MEASURES

#: Why no planned dose can be computed.
NO_WEIGHT, NO_REFERENCE = "no_weight", "no_reference"
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class PlannedDose:
    """The planned dose of one row, with the figures of its arithmetic."""

    reference_kg: Decimal  # the reference this visit's weight was compared with
    reference_visit: VisitDef
    visit_kg: Decimal
    change_pct: Decimal  # this visit's weight vs the reference, rounded to 0.1 %
    rebaselined: bool
    weight_kg: Decimal  # the weight the dose is computed on
    weight_unit: str
    exact_mg: Decimal  # weight x mg/kg before rounding
    dose_mg: Decimal  # the whole dose, rounded
    volume_ml: Decimal
    planned_mg: Decimal  # this row: half the dose when split
    planned_ml: Decimal


@dataclass(frozen=True)
class DoseSetting:
    """What the page shows and the save checks against."""

    dose_number: int
    part: int
    split_allowed: bool  # the split option is offered (part 1 of dose 1)
    split: bool
    plan: PlannedDose | None
    missing: str | None  # NO_WEIGHT or NO_REFERENCE when there is no plan
    infusion: rules.InfusionPlan
    expected_date: date | None


def dose_visits() -> list[VisitDef]:
    """The protocol's dosing visits in dose order."""
    days = get_protocol().dosing.dose_days
    return sorted((v for v in get_protocol().visits if v.day in days), key=lambda v: v.day or 0)


def dose_number(row: CalendarRow) -> int:
    """Dose number (1, 2, ...) of a calendar line; NotFound when no dose is planned there."""
    days = get_protocol().dosing.dose_days
    if not row.planned or row.day not in days:
        raise NotFound(_("No dose is planned at this visit (%(v)s).", v=row.name))
    return days.index(row.day) + 1


def for_visit(visit: Visit, part: int = 1, *, deleted: bool = False) -> DoseAdministration | None:
    if visit.id is None:
        return None
    query = select(DoseAdministration).where(
        DoseAdministration.visit_id == visit.id, DoseAdministration.part == part
    )
    if not deleted:
        query = query.where(DoseAdministration.deleted_at.is_(None))
    return db.session.scalar(query)


def _weights(subject_id: int) -> dict[str, Decimal]:
    """Recorded weights of the subject by VISITNUM."""
    rows = db.session.execute(
        select(Visit.visitnum, VitalSigns.weight)
        .join(VitalSigns, VitalSigns.visit_id == Visit.id)
        .where(
            Visit.subject_id == subject_id,
            Visit.deleted_at.is_(None),
            VitalSigns.deleted_at.is_(None),
            VitalSigns.weight.is_not(None),
        )
    )
    return {num: Decimal(weight) for num, weight in rows}


def _key(visit: VisitDef) -> str:
    return visitnum_text(visit.visitnum)


def _initial(weights: Mapping[str, Decimal], first: VisitDef) -> tuple[Decimal, VisitDef] | None:
    """The first reference: the first dose visit's weight, else the last one before it."""
    if _key(first) in weights:
        return weights[_key(first)], first
    before = [v for v in get_protocol().visits if v.day is not None and v.day < (first.day or 0)]
    for visit in reversed(before):
        if _key(visit) in weights:
            return weights[_key(visit)], visit
    return None


def planned_dose(
    subject_id: int, number: int, halve: bool
) -> tuple[PlannedDose | None, str | None]:
    """The plan of dose *number*, or why there is none (NO_WEIGHT, NO_REFERENCE)."""
    rule = get_protocol().dosing
    visits = dose_visits()[:number]
    weights = _weights(subject_id)
    current = weights.get(_key(visits[-1]))
    if current is None:
        return None, NO_WEIGHT
    start = _initial(weights, visits[0])
    if start is None:
        return None, NO_REFERENCE
    plans = rules.reference_weights(start[0], [weights.get(_key(v)) for v in visits], rule)
    reference, source = start
    for visit, earlier in zip(visits, plans[:-1], strict=False):
        reference = earlier.weight.weight_kg
        source = visit if earlier.weight.rebaselined else source
    now = plans[-1]
    two = Decimal(2) if halve else Decimal(1)
    return PlannedDose(
        reference_kg=reference,
        reference_visit=source,
        visit_kg=current,
        change_pct=now.weight.change_pct.quantize(_TENTH, rounding=ROUND_HALF_UP),
        rebaselined=now.weight.rebaselined,
        weight_kg=now.weight.weight_kg,
        weight_unit=get_protocol().vital(MEASURES["weight"]).unit,
        exact_mg=now.weight.weight_kg * rule.mg_per_kg,
        dose_mg=now.dose_mg,
        volume_ml=now.volume_ml,
        planned_mg=now.dose_mg / two,
        planned_ml=(now.volume_ml / two).quantize(_TENTH, rounding=ROUND_HALF_UP),
    ), None


def reference_before(subject_id: int, row: CalendarRow) -> tuple[Decimal, VisitDef] | None:
    """The reference weight in force when the weight of dose visit *row* is measured, and the
    visit it comes from: the earlier doses' weights carried by ``reference_weights``, this
    visit's own weight left out. None at dose 1 (its weight becomes the reference), at a visit
    without a dose, or with no earlier weight.
    """
    days = get_protocol().dosing.dose_days
    if not row.planned or row.day not in days or days.index(row.day) == 0:
        return None
    visits = dose_visits()[: days.index(row.day) + 1]
    weights = _weights(subject_id)
    weights.pop(_key(visits[-1]), None)
    start = _initial(weights, visits[0])
    if start is None:
        return None
    earlier = visits[:-1]
    plans = rules.reference_weights(
        start[0], [weights.get(_key(v)) for v in earlier], get_protocol().dosing
    )
    source = start[1]
    for visit, plan in zip(earlier, plans, strict=True):
        source = visit if plan.weight.rebaselined else source
    return plans[-1].weight.weight_kg, source


def setting(ctx: crf.VisitContext, part: int = 1, split: bool | None = None) -> DoseSetting:
    """The dose of a visit's form page: number, plan, infusion plan, expected date.

    *split* overrides the stored choice (the value submitted on part 1). NotFound for a visit
    without a dose and for part 2 of a dose that is not split.
    """
    number = dose_number(ctx.row)
    allowed = number == 1 and get_protocol().dosing.split_first_dose_allowed
    if part not in (1, 2) or (part == 2 and (not allowed or for_visit(ctx.visit, 2) is None)):
        raise NotFound(_("This dose was not split: there is no second half to record."))
    if split is None:
        split = part == 2 or (allowed and for_visit(ctx.visit, 2) is not None)
    plan, missing = planned_dose(ctx.subject.id, number, split)
    on = ctx.visit.visit_date
    before, at_first = irr_history(ctx.subject.id, number)
    infusion = rules.infusion_plan(number, before, at_first, get_protocol().infusion)
    return DoseSetting(
        dose_number=number,
        part=part,
        split_allowed=allowed and part == 1,
        split=split,
        plan=plan,
        missing=missing,
        infusion=infusion,
        expected_date=on + timedelta(days=part - 1) if on else None,
    )


#: Dose numbers below the given one that a recorded (not removed) infusion reaction followed.
#: Adverse events are safety's, which sits above visits: safety answers (``studyapp.hooks``).
irr_doses: Hook[[int, int], list[int]] = Hook(
    "visits.dosing.plan.irr_doses", "studyapp.safety.queries"
)


def irr_history(subject_id: int, number: int) -> tuple[bool, bool]:
    """(an IRR at any dose before *number*, an IRR at dose 1) from the recorded adverse
    events marked as infusion-related reactions (not removed) and the doses they followed."""
    doses = irr_doses(subject_id, number)
    return bool(doses), 1 in doses
