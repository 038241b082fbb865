"""Dosing (EC) and premedication of a dosing visit (DOMAIN.md section 3).

A visit has a dose when its planned day is one of the protocol's dose days; the dose number is
its place among them. The planned dose (EX) is ``clinical.dosing`` applied to the vital signs
weights: the reference weight is the first dose visit's weight (else the last pre-treatment
weight, screening), carried from dose to dose by ``reference_weights`` so that a change beyond
the protocol's threshold re-baselines it. The plan is stored on the row as computed when saved.
The given dose is compared with it (deviation beyond the protocol's tolerance needs a reason);
infusion times, rate changes (``InfusionRateStep`` rows; the dose row carries the version),
interruptions and premedications are checked against the protocol's infusion and premedication
rules. A new dose is refused while the safety run-in gate forbids it (``runin.check_can_dose``).

Split first dose: when the protocol allows it, dose 1 may be given in two halves (part 1 on
Day 1, part 2 the day after, both recorded at the Day 1 visit): two rows, each planned at half
the dose. Choosing "split" on part 1 creates the part 2 row; un-splitting removes it while it
holds no administration data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical import dosing as rules
from studyapp.db import site_today
from studyapp.errors import NotFound, StaleVersion
from studyapp.extensions import db
from studyapp.privacy import identifier_error
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import PremedicationDef, VisitDef
from studyapp.subjects import runin
from studyapp.visits import crf, vitals
from studyapp.visits.calendar import CalendarRow, visitnum_text
from studyapp.visits.checks import EditChecks
from studyapp.visits.models import DoseAdministration, InfusionRateStep, Visit, VitalSigns

#: Protocol premedication code -> column of ``DoseAdministration`` (and form field).
PREMED_COLUMNS = {
    "METHYLPRED": "premed_methylpred",
    "PARACETAMOL": "premed_paracetamol",
    "ANTIHISTAMINE": "premed_antihistamine",
}
#: Rows of the rate-change table on the form.
RATE_STEP_ROWS = 8
DOSE_UNIT, VOLUME_UNIT, RATE_UNIT = "mg", "mL", "mL/h"
#: Why no planned dose can be computed.
NO_WEIGHT, NO_REFERENCE = "no_weight", "no_reference"
_TENTH = Decimal("0.1")


def step_fields(n: int) -> tuple[str, str]:
    """Form fields (and error keys) of rate-change row *n* (1-based): time and rate."""
    return f"step{n}_time", f"step{n}_rate"


@dataclass(frozen=True)
class RateStepEntry:
    at_time: time | None
    rate: Decimal | None


@dataclass(frozen=True)
class DoseEntry:
    ec_date: date | None
    start_time: time | None
    stop_time: time | None
    given_dose: Decimal | None
    given_volume: Decimal | None
    deviation_reason: str | None = None
    interrupted: bool | None = None
    interruption_minutes: int | None = None
    interruption_reason: str | None = None
    premed_time: time | None = None
    #: Premedication column (``PREMED_COLUMNS``) -> dose in the protocol's unit.
    premeds: Mapping[str, Decimal | None] = field(default_factory=dict)
    steps: Sequence[RateStepEntry] = ()
    #: Part 1 of dose 1 only: give the dose in two halves.
    split: bool = False


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


def steps_of(record: DoseAdministration | None) -> list[InfusionRateStep]:
    """The stored rate changes of a dose, in order."""
    if record is None or record.id is None:
        return []
    return list(
        db.session.scalars(
            select(InfusionRateStep)
            .where(InfusionRateStep.dose_id == record.id, InfusionRateStep.deleted_at.is_(None))
            .order_by(InfusionRateStep.seq)
        )
    )


def premedications() -> list[tuple[PremedicationDef, str]]:
    """The protocol's premedications with their column, in protocol order."""
    return [(m, PREMED_COLUMNS[m.code]) for m in get_protocol().premedications]


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
        weight_unit=get_protocol().vital(vitals.MEASURES["weight"]).unit,
        exact_mg=now.weight.weight_kg * rule.mg_per_kg,
        dose_mg=now.dose_mg,
        volume_ml=now.volume_ml,
        planned_mg=now.dose_mg / two,
        planned_ml=(now.volume_ml / two).quantize(_TENTH, rounding=ROUND_HALF_UP),
    ), None


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
    # IRRs are recorded with adverse events: until then the plan assumes none at earlier doses.
    infusion = rules.infusion_plan(number, False, False, get_protocol().infusion)
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


# -- edit checks ------------------------------------------------------------------------------


def _amount(checks: EditChecks, name: str, value: Decimal | None, column: Any) -> bool:
    """A positive amount that fits its Numeric *column* (precision, scale); False on error."""
    if value is None:
        return True
    precision, scale = column.type.precision, column.type.scale
    top = Decimal(10) ** (precision - scale)
    if value <= 0:
        checks.error(name, _("Enter a number above 0."))
    elif value >= top:
        checks.error(name, _("Too large: must be below %(n)s.", n=top))
    elif value != value.quantize(Decimal(1).scaleb(-scale)):
        checks.error(name, _("At most %(n)d decimal places.", n=scale))
    else:
        return True
    return False


def deviation(entry: DoseEntry, plan: PlannedDose | None) -> rules.DoseCheck | None:
    if plan is None or entry.given_dose is None or entry.given_dose <= 0:
        return None
    return rules.check_given(plan.planned_mg, entry.given_dose, get_protocol().dosing.tolerance_pct)


def _check_given(entry: DoseEntry, dose: DoseSetting, checks: EditChecks) -> None:
    if dose.plan is None and checks.completing:
        message = (
            _("Enter this visit's weight on the vital signs form first: the dose depends on it.")
            if dose.missing == NO_WEIGHT
            else _(
                "No reference weight: enter the weight at %(v)s (or at screening) first.",
                v=dose_visits()[0].name,
            )
        )
        checks.error("weight", message)
    checks.required("given_dose", entry.given_dose)
    checks.required("given_volume", entry.given_volume)
    fine = _amount(checks, "given_dose", entry.given_dose, DoseAdministration.given_dose)
    _amount(checks, "given_volume", entry.given_volume, DoseAdministration.given_volume)
    found = deviation(entry, dose.plan) if fine else None
    if found is None or not found.outside_tolerance or dose.plan is None:
        return
    if checks.completing and not _text(entry.deviation_reason):
        checks.error(
            "deviation_reason",
            _(
                "The given dose differs from the planned %(p)s mg by %(d)s %%, more than "
                "%(t)s %%: give the reason for the deviation.",
                p=_fmt(dose.plan.planned_mg),
                d=found.deviation_pct,
                t=get_protocol().dosing.tolerance_pct,
            ),
        )


def _check_times(entry: DoseEntry, dose: DoseSetting, checks: EditChecks) -> None:
    checks.required("ec_date", entry.ec_date)
    if entry.ec_date is not None and entry.ec_date > site_today():
        checks.error("ec_date", _("The date cannot be in the future."))
    elif entry.ec_date is not None and dose.expected_date and entry.ec_date != dose.expected_date:
        message = (
            _(
                "The date %(d)s is not %(e)s, the day after the visit, "
                "when the second half is due.",
                d=entry.ec_date.isoformat(),
                e=dose.expected_date.isoformat(),
            )
            if dose.part == 2
            else _(
                "The dose date %(d)s is not the visit date %(e)s.",
                d=entry.ec_date.isoformat(),
                e=dose.expected_date.isoformat(),
            )
        )
        checks.warn("ec_date", message)
    checks.required("start_time", entry.start_time)
    checks.required("stop_time", entry.stop_time)
    if entry.start_time and entry.stop_time and entry.stop_time <= entry.start_time:
        checks.error(
            "stop_time",
            _("The infusion must stop after it starts (%(t)s).", t=_hhmm(entry.start_time)),
        )


def _hhmm(at: time) -> str:
    return at.strftime("%H:%M")


def _minutes(start: time, end: time) -> int:
    today = date.min
    return int(
        (datetime.combine(today, end) - datetime.combine(today, start)).total_seconds() // 60
    )


def _check_interruption(entry: DoseEntry, checks: EditChecks) -> None:
    checks.required("interrupted", entry.interrupted)
    minutes = entry.interruption_minutes
    if entry.interrupted:
        checks.required("interruption_minutes", minutes)
        checks.required("interruption_reason", entry.interruption_reason)
    elif entry.interrupted is False:
        for name in ("interruption_minutes", "interruption_reason"):
            if getattr(entry, name) not in (None, ""):
                checks.error(name, _("Leave empty: the infusion was not interrupted."))
    if minutes is not None and minutes <= 0:
        checks.error("interruption_minutes", _("Enter a number above 0."))
    elif minutes is not None and entry.start_time and entry.stop_time:
        length = _minutes(entry.start_time, entry.stop_time)
        if 0 < length <= minutes:
            checks.error(
                "interruption_minutes",
                _("Longer than the infusion itself (%(n)d minutes).", n=length),
            )


def _check_steps(entry: DoseEntry, dose: DoseSetting, checks: EditChecks) -> None:
    """Rate changes: time and rate each, inside the infusion, in order, at most the max."""
    if len(entry.steps) > RATE_STEP_ROWS:
        checks.error("steps", _("At most %(n)d rate changes.", n=RATE_STEP_ROWS))
    previous: time | None = None
    for n, step in enumerate(entry.steps, 1):
        if step.at_time is None and step.rate is None:
            continue
        time_field, rate_field = step_fields(n)
        _check_rate(step.rate, rate_field, dose.infusion.max_rate, checks)
        if step.at_time is None:
            checks.error(time_field, _("Give the time of this rate."))
            continue
        if (entry.start_time and step.at_time < entry.start_time) or (
            entry.stop_time and step.at_time > entry.stop_time
        ):
            checks.error(time_field, _("Outside the infusion's start and stop times."))
        elif previous is not None and step.at_time <= previous:
            checks.error(time_field, _("Rate changes must be listed in time order."))
        previous = step.at_time


def _check_rate(rate: Decimal | None, name: str, top: Decimal, checks: EditChecks) -> None:
    if rate is None:
        checks.error(name, _("Give the rate from this time."))
    elif _amount(checks, name, rate, InfusionRateStep.rate) and rate > top:
        checks.warn(
            name, _("Above the protocol's maximum rate of %(m)s %(u)s.", m=top, u=RATE_UNIT)
        )


def _check_premeds(entry: DoseEntry, checks: EditChecks) -> None:
    """Doses inside the protocol's range, given within its hours before the infusion."""
    given = []
    for premed, column in premedications():
        value = entry.premeds.get(column)
        if value is None or not _amount(checks, column, value, getattr(DoseAdministration, column)):
            continue
        given.append(premed)
        if not premed.dose_low <= value <= premed.dose_high:
            checks.warn(
                column,
                _(
                    "Outside the protocol's dose of %(lo)s to %(hi)s %(u)s.",
                    lo=premed.dose_low,
                    hi=premed.dose_high,
                    u=premed.unit,
                ),
            )
    if given:
        checks.required("premed_time", entry.premed_time)
    if entry.premed_time is None or entry.start_time is None:
        return
    before = _minutes(entry.premed_time, entry.start_time)
    for premed in given:
        if not premed.hours_before_low * 60 <= before <= premed.hours_before_high * 60:
            message = _(
                "%(m)s is given %(lo)d to %(hi)d h before the infusion start (%(s)s).",
                m=premed.name,
                lo=premed.hours_before_low,
                hi=premed.hours_before_high,
                s=_hhmm(entry.start_time),
            )
            checks.warn("premed_time", message)


def _check_split(entry: DoseEntry, dose: DoseSetting, two: DoseAdministration | None) -> str:
    """An error message when the split choice cannot be applied, else ''."""
    if entry.split and not dose.split_allowed:
        return str(_("Only the first dose may be split."))
    if not entry.split and two is not None and _administered(two):
        return str(_("The second half already has administration data: the dose stays split."))
    return ""


def _check(
    entry: DoseEntry, dose: DoseSetting, two: DoseAdministration | None, checks: EditChecks
) -> None:
    """Every edit check of the form, findings collected in *checks*."""
    _check_times(entry, dose, checks)
    _check_given(entry, dose, checks)
    _check_interruption(entry, checks)
    _check_steps(entry, dose, checks)
    _check_premeds(entry, checks)
    if dose.part == 1 and (message := _check_split(entry, dose, two)):
        checks.error("split", message)
    for name in ("deviation_reason", "interruption_reason"):
        if found := identifier_error(getattr(entry, name)):
            checks.error(name, found)


def _administered(record: DoseAdministration) -> bool:
    return any(
        getattr(record, name) is not None
        for name in ("ec_date", "start_time", "given_dose", "given_volume")
    )


# -- saving -----------------------------------------------------------------------------------


def _check_version(record: DoseAdministration | None, version: int | None) -> None:
    """The dose row's version guards its rate changes; the 409 page shows them too."""
    try:
        crf.check_version(record, version)
    except StaleVersion as exc:
        for n, step in enumerate(steps_of(record), 1):
            time_field, rate_field = step_fields(n)
            exc.current.update({time_field: step.at_time, rate_field: step.rate})
        raise


def save(
    actor: User,
    subject_id: int,
    visitnum: str,
    entry: DoseEntry,
    *,
    part: int = 1,
    visit_date: date | None = None,
    version: int | None = None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> DoseAdministration:
    """Save the dose (part 1, or part 2 of a split first dose) with its rate changes.

    Conflict (nothing saved) when the run-in gate forbids a new dose; ValidationFailed or
    NeedsConfirmation from the edit checks; StaleVersion for an older version.
    """
    ctx = crf.open_for_entry(actor, subject_id, visitnum, visit_date)
    dose = setting(ctx, part, entry.split if part == 1 else None)
    record = for_visit(ctx.visit, part)
    _check_version(record, version)
    two = for_visit(ctx.visit, 2) if part == 1 else None
    if record is None or (part == 1 and dose.split and two is None):
        runin.check_can_dose(ctx.subject, ctx.visit.visit_date)
    checks = EditChecks(completing=completing)
    _check(entry, dose, two, checks)
    warnings = checks.finish(confirmed)
    created = record is None
    if record is None:
        record = crf.new_record(DoseAdministration, ctx, dose_number=dose.dose_number, part=part)
    set_reason(reason)
    _apply(record, entry, dose, warnings, completing)
    if _apply_steps(record, entry.steps, reason) and not created:
        record.touch()
    if part == 1 and dose.split_allowed:
        _apply_split(ctx, dose, reason)
    db.session.commit()
    return record


def _apply_plan(record: DoseAdministration, plan: PlannedDose | None) -> None:
    record.reference_weight = plan.reference_kg if plan else None
    record.dosing_weight = plan.weight_kg if plan else None
    record.weight_unit = plan.weight_unit if plan else None
    record.rebaselined = plan.rebaselined if plan else None
    record.planned_dose = plan.planned_mg if plan else None
    record.planned_volume = plan.planned_ml if plan else None


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _apply(
    record: DoseAdministration,
    entry: DoseEntry,
    dose: DoseSetting,
    warnings: str | None,
    completing: bool,
) -> None:
    record.ec_date, record.start_time, record.stop_time = (
        entry.ec_date,
        entry.start_time,
        entry.stop_time,
    )
    _apply_plan(record, dose.plan)
    record.given_dose = entry.given_dose
    record.dose_unit = DOSE_UNIT if entry.given_dose is not None else None
    record.given_volume = entry.given_volume
    record.volume_unit = VOLUME_UNIT if entry.given_volume is not None else None
    found = deviation(entry, dose.plan)
    record.deviation_pct = found.deviation_pct if found else None
    record.deviation = found.outside_tolerance if found else None
    record.deviation_reason = _text(entry.deviation_reason)
    record.interrupted = entry.interrupted
    record.interruption_minutes = entry.interruption_minutes
    record.interruption_reason = _text(entry.interruption_reason)
    record.premed_time = entry.premed_time
    units = set()
    for premed, column in premedications():
        value = entry.premeds.get(column)
        setattr(record, column, value)
        if value is not None:
            units.add(premed.unit)
    record.premed_unit = "/".join(sorted(units)) or None
    record.confirmed_warnings = warnings
    record.status = crf.status_for(completing)


def _apply_steps(
    record: DoseAdministration, steps: Sequence[RateStepEntry], reason: str | None
) -> bool:
    """Write the rate-change rows (blank rows dropped, renumbered); True when any changed."""
    wanted = [s for s in steps if s.at_time is not None or s.rate is not None]
    if record.id is None:
        db.session.flush()
    stored = {
        row.seq: row
        for row in db.session.scalars(
            select(InfusionRateStep).where(InfusionRateStep.dose_id == record.id)
        )
    }
    changed = False
    for seq, step in enumerate(wanted, 1):
        row = stored.get(seq)
        if row is None:
            row = InfusionRateStep(subject_id=record.subject_id, dose_id=record.id, seq=seq)
            db.session.add(row)
        elif row.deleted_at is None and (row.at_time, row.rate) == (step.at_time, step.rate):
            continue
        row.deleted_at, row.delete_reason = None, None
        row.at_time, row.rate, row.rate_unit = step.at_time, step.rate, RATE_UNIT
        changed = True
    for seq, row in stored.items():
        if seq > len(wanted) and row.deleted_at is None:
            row.soft_delete(reason or "")
            changed = True
    return changed


def _apply_split(ctx: crf.VisitContext, dose: DoseSetting, reason: str | None) -> None:
    """Create (or restore) the part 2 row of a split first dose, or remove it."""
    two = for_visit(ctx.visit, 2, deleted=True)
    if dose.split and (two is None or two.deleted_at is not None):
        if two is None:
            two = crf.new_record(DoseAdministration, ctx, dose_number=dose.dose_number, part=2)
        two.deleted_at, two.delete_reason = None, None
        _apply_plan(two, dose.plan)
        two.status = crf.status_for(False)
    elif not dose.split and two is not None and two.deleted_at is None:
        two.soft_delete(reason or "")
