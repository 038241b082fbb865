"""Saving the dose of a dosing visit: the dose row, its rate changes and the split first dose.

The plan is stored on the row as computed when saved (``dosing.plan``); rate changes are
``InfusionRateStep`` rows and the dose row carries the version. A new dose is refused while the
safety run-in gate forbids it (``runin.check_can_dose``).

Split first dose: when the protocol allows it, dose 1 may be given in two halves (part 1 on
Day 1, part 2 the day after, both recorded at the Day 1 visit): two rows, each planned at half
the dose. Choosing "split" on part 1 creates the part 2 row; un-splitting removes it while it
holds no administration data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.crf.checks import EditChecks
from studyapp.crf.save import FormWrite, Submission, save_record
from studyapp.crf.status import status_for
from studyapp.extensions import db
from studyapp.subjects import runin
from studyapp.visits import context
from studyapp.visits.dosing.checks import (
    DOSE_UNIT,
    RATE_UNIT,
    VOLUME_UNIT,
    DoseEntry,
    RateStepEntry,
    check,
    deviation,
    premedications,
    step_fields,
    steps_of,
    stripped,
)
from studyapp.visits.dosing.plan import DoseSetting, PlannedDose, for_visit, setting
from studyapp.visits.models import DoseAdministration, InfusionRateStep


def _stale_steps(record: DoseAdministration) -> dict[str, object]:
    """The dose row's version guards its rate changes; the 409 page shows them too."""
    current: dict[str, object] = {}
    for n, step in enumerate(steps_of(record), 1):
        time_field, rate_field = step_fields(n)
        current.update({time_field: step.at_time, rate_field: step.rate})
    return current


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
    ctx = context.open_for_entry(actor, subject_id, visitnum, visit_date)
    dose = setting(ctx, part, entry.split if part == 1 else None)
    record = for_visit(ctx.visit, part)
    two = for_visit(ctx.visit, 2) if part == 1 else None

    def checks_of(checks: EditChecks) -> None:
        if record is None or (part == 1 and dose.split and two is None):
            runin.check_can_dose(ctx.subject, ctx.visit.visit_date)
        check(entry, dose, two, checks)

    write = FormWrite(
        load=lambda: record,
        check=checks_of,
        create=lambda: context.new_record(
            DoseAdministration, ctx, dose_number=dose.dose_number, part=part
        ),
        apply=lambda target, _found: _write(ctx, target, entry, dose, reason),
        stale_values=_stale_steps,
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))


def _write(
    ctx: context.VisitContext,
    record: DoseAdministration,
    entry: DoseEntry,
    dose: DoseSetting,
    reason: str | None,
) -> None:
    """The dose row, its rate changes (touching the row when only they changed) and the
    part 2 row of a split first dose."""
    created = record.id is None
    _apply(record, entry, dose)
    if _apply_steps(record, entry.steps, reason) and not created:
        record.touch()
    if record.part == 1 and dose.split_allowed:
        _apply_split(ctx, dose, reason)


def _apply_plan(record: DoseAdministration, plan: PlannedDose | None) -> None:
    record.reference_weight = plan.reference_kg if plan else None
    record.dosing_weight = plan.weight_kg if plan else None
    record.weight_unit = plan.weight_unit if plan else None
    record.rebaselined = plan.rebaselined if plan else None
    record.planned_dose = plan.planned_mg if plan else None
    record.planned_volume = plan.planned_ml if plan else None


def _apply(record: DoseAdministration, entry: DoseEntry, dose: DoseSetting) -> None:
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
    record.deviation_reason = stripped(entry.deviation_reason)
    record.interrupted = entry.interrupted
    record.interruption_minutes = entry.interruption_minutes
    record.interruption_reason = stripped(entry.interruption_reason)
    record.premed_time = entry.premed_time
    units = set()
    for premed, column in premedications():
        value = entry.premeds.get(column)
        setattr(record, column, value)
        if value is not None:
            units.add(premed.unit)
    record.premed_unit = "/".join(sorted(units)) or None


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


def _apply_split(ctx: context.VisitContext, dose: DoseSetting, reason: str | None) -> None:
    """Create (or restore) the part 2 row of a split first dose, or remove it."""
    two = for_visit(ctx.visit, 2, deleted=True)
    if dose.split and (two is None or two.deleted_at is not None):
        if two is None:
            two = context.new_record(DoseAdministration, ctx, dose_number=dose.dose_number, part=2)
        two.deleted_at, two.delete_reason = None, None
        _apply_plan(two, dose.plan)
        two.status = status_for(False)
    elif not dose.split and two is not None and two.deleted_at is None:
        two.soft_delete(reason or "")
