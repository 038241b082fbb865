"""Vital signs (VS): weight, height, computed BMI, blood pressure, heart rate, temperature."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.clinical import checks as rules
from studyapp.clinical import dosing
from studyapp.crf.checks import EditChecks
from studyapp.crf.save import FormWrite, Submission, save_record
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.protocol.loader import get_protocol
from studyapp.visits import context
from studyapp.visits.dosing.plan import reference_before
from studyapp.visits.models import Visit, VitalSigns
from studyapp.visits.vitals.measures import MEASURES, UNIT_COLUMNS

BMI_UNIT = "kg/m2"


@dataclass(frozen=True)
class VitalsEntry:
    vs_date: date | None
    vs_time: time | None
    values: Mapping[str, Decimal | int | None]


def for_visit(visit: Visit) -> VitalSigns | None:
    if visit.id is None:
        return None
    return db.session.scalar(
        select(VitalSigns).where(VitalSigns.visit_id == visit.id, VitalSigns.deleted_at.is_(None))
    )


def needed(forms: tuple[str, ...]) -> dict[str, bool]:
    """Which measures the visit's forms ask for (weight at dosing visits, height at screening)."""
    return {
        "weight": "WEIGHT" in forms,
        "height": "HEIGHT" in forms,
        "sysbp": "VS" in forms,
        "diabp": "VS" in forms,
        "pulse": "VS" in forms,
        "temp": "VS" in forms,
    }


def latest_height(subject_id: int, exclude_visit: int | None = None) -> Decimal | None:
    """The most recent height recorded for the subject (for the BMI)."""
    query = (
        select(VitalSigns.height)
        .join(Visit, Visit.id == VitalSigns.visit_id)
        .where(
            VitalSigns.subject_id == subject_id,
            VitalSigns.height.is_not(None),
            VitalSigns.deleted_at.is_(None),
        )
        .order_by(Visit.visit_date.desc(), VitalSigns.id.desc())
    )
    if exclude_visit is not None:
        query = query.where(VitalSigns.visit_id != exclude_visit)
    return db.session.scalars(query).first()


def _check(entry: VitalsEntry, ctx: context.VisitContext, checks: EditChecks) -> None:
    protocol = get_protocol()
    context.date_checks(checks, "vs_date", entry.vs_date, ctx, _("Measurement date"))
    wanted = needed(ctx.row.forms)
    for field, code in MEASURES.items():
        value = entry.values.get(field)
        if wanted[field]:
            checks.required(field, value)
        definition = protocol.vital(code)
        checks.number(field, value, definition.limits, definition.unit, definition.decimals)
    _weight_change(entry.values.get("weight"), ctx, checks)
    sysbp, diabp = entry.values.get("sysbp"), entry.values.get("diabp")
    if sysbp is not None and diabp is not None and diabp >= sysbp:
        checks.error("diabp", _("Diastolic pressure must be below systolic pressure."))


@dataclass(frozen=True)
class WeightReference:
    """The reference weight a dose visit's weight is compared with, and the rule's threshold."""

    kg: Decimal
    visit_name: str
    threshold_pct: Decimal
    unit: str


def weight_reference(ctx: context.VisitContext) -> WeightReference | None:
    """The reference of the visit's dose (``dosing.plan.reference_before``), or None."""
    found = reference_before(ctx.subject.id, ctx.row)
    if found is None:
        return None
    rule = get_protocol().dosing
    unit = get_protocol().vital(MEASURES["weight"]).unit
    return WeightReference(found[0], found[1].name, rule.reweigh_threshold_pct, unit)


def weight_message(reference: WeightReference, warning: dosing.WeightWarning) -> str:
    """What the vitals form says of a weight change at or beyond the re-basing threshold."""
    change = warning.change_pct.quantize(Decimal("0.1"))
    figures = {
        "c": ("+" if change > 0 else "") + plain_number(change),
        "r": plain_number(reference.kg),
        "u": reference.unit,
        "v": reference.visit_name,
        "t": plain_number(reference.threshold_pct),
    }
    if warning.rebased:
        return _(
            "Weight changed by %(c)s %% from the reference weight (%(r)s %(u)s, %(v)s): the "
            "dose will be re-based on the new weight, which becomes the reference.",
            **figures,
        )
    return _(
        "Weight changed by %(c)s %% from the reference weight (%(r)s %(u)s, %(v)s), the "
        "protocol's threshold: the dose stays on the reference weight; it is re-based only "
        "on a change of more than %(t)s %%.",
        **figures,
    )


def weight_warning_of(ctx: context.VisitContext, value: Decimal | int) -> str | None:
    """The re-basing warning of a weight typed at the visit, or None (no change of the
    threshold or more, no reference, not a dose visit, not a positive weight)."""
    if value <= 0:
        return None
    reference = weight_reference(ctx)
    if reference is None:
        return None
    warning = dosing.weight_warning(reference.kg, value, reference.threshold_pct)
    return None if warning is None else weight_message(reference, warning)


def _weight_change(
    value: Decimal | int | None, ctx: context.VisitContext, checks: EditChecks
) -> None:
    """Warn, before saving, of a weight that changed by the threshold or more (issue 15)."""
    if value is None or "weight" in checks.errors:
        return
    message = weight_warning_of(ctx, value)
    if message is not None:
        checks.warn("weight", message)


def save(
    actor: User,
    subject_id: int,
    visitnum: str,
    entry: VitalsEntry,
    *,
    visit_date: date | None = None,
    version: int | None = None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> VitalSigns:
    """Save the visit's vital signs; BMI is computed from the weight and the latest height."""
    ctx = context.open_for_entry(actor, subject_id, visitnum, visit_date)
    write = FormWrite(
        load=lambda: for_visit(ctx.visit),
        check=lambda checks: _check(entry, ctx, checks),
        create=lambda: context.new_record(VitalSigns, ctx),
        apply=lambda record, _found: _apply(record, entry, ctx),
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))


def _apply(record: VitalSigns, entry: VitalsEntry, ctx: context.VisitContext) -> None:
    protocol = get_protocol()
    earlier_height = latest_height(ctx.subject.id, exclude_visit=ctx.visit.id)
    record.vs_date, record.vs_time = entry.vs_date, entry.vs_time
    for field, code in MEASURES.items():
        value = entry.values.get(field)
        setattr(record, field, value)
        unit_column = UNIT_COLUMNS[field]
        if value is not None:
            setattr(record, unit_column, protocol.vital(code).unit)
        elif unit_column in ("weight_unit", "height_unit", "temp_unit", "pulse_unit"):
            setattr(record, unit_column, None)
    if record.sysbp is None and record.diabp is None:
        record.bp_unit = None
    height = record.height or earlier_height
    weight = record.weight
    record.bmi = rules.bmi(Decimal(weight), Decimal(height)) if weight and height else None
    record.bmi_unit = BMI_UNIT if record.bmi is not None else None
