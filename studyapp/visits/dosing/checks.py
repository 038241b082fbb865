"""The dosing form (EC and PREMED) of a dosing visit: what it submits and its edit checks.

The given dose is compared with the planned one (``dosing.plan``; a deviation beyond the
protocol's tolerance needs a reason); infusion times, rate changes (up to ``RATE_STEP_ROWS``),
interruptions and premedications are checked against the protocol's infusion and premedication
rules (DOMAIN.md section 3). ``check`` runs every check; ``dosing.service`` stores the dose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.clinical import dosing as rules
from studyapp.crf.checks import EditChecks
from studyapp.db import site_today
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.localized import local, local_unit
from studyapp.privacy import identifier_error
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import PremedicationDef
from studyapp.visits.dosing.plan import NO_WEIGHT, DoseSetting, PlannedDose, dose_visits
from studyapp.visits.models import DoseAdministration, InfusionRateStep

#: Protocol premedication code -> column of ``DoseAdministration`` (and form field).
PREMED_COLUMNS = {
    "METHYLPRED": "premed_methylpred",
    "PARACETAMOL": "premed_paracetamol",
    "ANTIHISTAMINE": "premed_antihistamine",
}
#: Rows of the rate-change table on the form.
RATE_STEP_ROWS = 8
DOSE_UNIT, VOLUME_UNIT, RATE_UNIT = "mg", "mL", "mL/h"


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
                v=local(dose_visits()[0]),
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
    if checks.completing and not stripped(entry.deviation_reason):
        checks.error(
            "deviation_reason",
            _(
                "The given dose differs from the planned %(p)s mg by %(d)s %%, more than "
                "%(t)s %%: give the reason for the deviation.",
                p=plain_number(dose.plan.planned_mg),
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
                    u=local_unit(premed.unit),
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
                m=local(premed),
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


def check(
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


def stripped(value: str | None) -> str | None:
    """Free text without surrounding blanks; None when nothing is left."""
    return (value or "").strip() or None
