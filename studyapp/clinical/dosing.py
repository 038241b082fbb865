"""Weight-based dosing of daratumumab (DOMAIN.md section 3).

Dose = mg/kg x body weight [C, label: 16 mg/kg], rounded half-up to the protocol's step
(10 mg [P]); volume at the protocol's concentration (20 mg/mL). The reference weight is the
Day 1 pre-dose (or screening) weight and is replaced by the visit weight when that differs from
it by more than the protocol's threshold (10 % [P]). A given dose outside +/- tolerance (5 % [P])
of the calculated dose is a deviation. Worked example: 58.3 kg x 16 = 932.8 -> 930 mg, 46.5 mL.
``reference_weights`` walks the doses in order, carrying the reference weight forward.
``weight_warning`` tells, before a visit weight is saved, that it changed from the reference by
the threshold or more (issue 15: exactly 10 % already warns) and whether the dose is re-based.

Infusion [C, label]: dose 1 is 1000 mL starting at 50 mL/h; dose 2 is 500 mL if dose 1 had no
infusion-related reaction (IRR), else 1000 mL, starting at 50 mL/h; later doses are 500 mL
starting at 100 mL/h if no previous dose had an IRR, else at 50 mL/h. Every infusion goes up by
50 mL/h each hour, if tolerated, to at most 200 mL/h. The figures are the protocol's
``InfusionRule`` (``infusion_plan``).

All quantities are Decimal: weights in kg, doses in mg, volumes in mL, rates in mL/h,
percentages in %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from studyapp.clinical.units import Number, to_decimal
from studyapp.protocol.model import DoseRule, InfusionRule

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DoseCheck:
    """Given vs planned dose: signed deviation in % of planned, and the deviation flag."""

    planned_mg: Decimal
    given_mg: Decimal
    deviation_pct: Decimal
    outside_tolerance: bool


@dataclass(frozen=True)
class WeightChoice:
    """The weight to dose on: the reference, or the current weight when it changed too much."""

    weight_kg: Decimal
    change_pct: Decimal
    rebaselined: bool


@dataclass(frozen=True)
class DosePlan:
    """The dose for one visit: weight used, dose in mg and infusion volume in mL."""

    weight: WeightChoice
    dose_mg: Decimal
    volume_ml: Decimal


@dataclass(frozen=True)
class InfusionPlan:
    """One infusion: total volume (mL), start rate, and the rate step (mL/h) taken every
    ``increment_minutes`` minutes, if tolerated, up to ``max_rate`` (mL/h).
    """

    volume_ml: Decimal
    start_rate: Decimal
    increment: Decimal
    increment_minutes: int
    max_rate: Decimal


def _positive(value: Number, name: str) -> Decimal:
    number = to_decimal(value, name)
    if number == 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return number


def dose_mg(weight_kg: Number, mg_per_kg: Number, rounding: Number) -> Decimal:
    """Dose in mg: *weight_kg* x *mg_per_kg*, rounded half-up to a multiple of *rounding* mg.

    ValueError for a weight, dose or rounding step that is not a positive finite number.
    """
    weight = _positive(weight_kg, "weight_kg")
    per_kg = _positive(mg_per_kg, "mg_per_kg")
    step = _positive(rounding, "rounding")
    steps = (weight * per_kg / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return steps * step


def volume_ml(dose: Number, concentration_mg_per_ml: Number) -> Decimal:
    """Infusion volume in mL of *dose* mg at *concentration_mg_per_ml* (930 mg at 20 -> 46.5)."""
    return to_decimal(dose, "dose_mg") / _positive(concentration_mg_per_ml, "concentration")


def check_given(planned_mg: Number, given_mg: Number, tolerance_pct: Number) -> DoseCheck:
    """Compare a given dose with the planned one.

    deviation_pct = (given - planned) / planned x 100, rounded half-up to 0.01 %; the dose is
    outside tolerance when |deviation| > *tolerance_pct* (exactly 5 % is within).
    """
    planned = _positive(planned_mg, "planned_mg")
    given = to_decimal(given_mg, "given_mg")
    tolerance = to_decimal(tolerance_pct, "tolerance_pct")
    exact = (given - planned) / planned * _HUNDRED
    return DoseCheck(
        planned_mg=planned,
        given_mg=given,
        deviation_pct=exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        outside_tolerance=abs(exact) > tolerance,
    )


def dose_weight(reference_kg: Number, current_kg: Number, threshold_pct: Number) -> WeightChoice:
    """Weight to dose on: *current_kg* when it differs from *reference_kg* by > *threshold_pct*.

    When re-baselined, the current weight becomes the new reference for later visits (the
    caller stores it). A change of exactly the threshold keeps the reference.
    """
    reference = _positive(reference_kg, "reference_kg")
    current = _positive(current_kg, "current_kg")
    threshold = to_decimal(threshold_pct, "threshold_pct")
    change = (current - reference) / reference * _HUNDRED
    if abs(change) > threshold:
        return WeightChoice(current, change, rebaselined=True)
    return WeightChoice(reference, change, rebaselined=False)


@dataclass(frozen=True)
class WeightWarning:
    """A visit weight that changed from the reference by the threshold or more.

    ``change_pct`` is signed and exact; ``rebased`` is ``dose_weight``'s verdict: True above
    the threshold (the dose is computed on the new weight), False at exactly the threshold.
    """

    reference_kg: Decimal
    current_kg: Decimal
    change_pct: Decimal
    rebased: bool


def weight_warning(
    reference_kg: Number, current_kg: Number, threshold_pct: Number
) -> WeightWarning | None:
    """A warning when *current_kg* differs from *reference_kg* by >= *threshold_pct* %, else None.

    Inclusive, so that the clinician hears of a change at the threshold itself (60 -> 66 kg,
    +10 %) although the dose is re-based only above it (``dose_weight``); 60 -> 65.994 kg
    (+9.99 %) gives None. Both directions count (60 -> 54 kg, -10 %, warns).
    """
    choice = dose_weight(reference_kg, current_kg, threshold_pct)
    if abs(choice.change_pct) < to_decimal(threshold_pct, "threshold_pct"):
        return None
    return WeightWarning(
        reference_kg=to_decimal(reference_kg, "reference_kg"),
        current_kg=to_decimal(current_kg, "current_kg"),
        change_pct=choice.change_pct,
        rebased=choice.rebaselined,
    )


def plan_dose(reference_kg: Number, current_kg: Number, rule: DoseRule) -> DosePlan:
    """Dose for a visit under the protocol's *rule*: weight choice, rounded dose and volume."""
    return _plan(dose_weight(reference_kg, current_kg, rule.reweigh_threshold_pct), rule)


def _plan(weight: WeightChoice, rule: DoseRule) -> DosePlan:
    dose = dose_mg(weight.weight_kg, rule.mg_per_kg, rule.rounding_mg)
    return DosePlan(weight, dose, volume_ml(dose, rule.concentration_mg_per_ml))


def reference_weights(
    initial_kg: Number, visit_weights: Sequence[Number | None], rule: DoseRule
) -> list[DosePlan]:
    """Dose plans for consecutive doses, carrying the reference weight from dose to dose.

    *initial_kg* is the first reference (screening weight); *visit_weights* are the pre-dose
    weights of doses 1, 2, ... in order. Each is compared with the current reference
    (``dose_weight``); when it is re-baselined it becomes the reference for the later doses.
    A None weight (not measured) gets a plan on the current reference: weight unchanged,
    change 0 %, not re-baselined. One plan per entry of *visit_weights*.

    ValueError for more weights than the protocol's doses, or a weight that is not a positive
    finite number (the message names its index).
    """
    if len(visit_weights) > rule.number_of_doses:
        raise ValueError(
            f"visit_weights: {len(visit_weights)} weights for {rule.number_of_doses} doses"
        )
    reference = _positive(initial_kg, "initial_kg")
    plans: list[DosePlan] = []
    for index, weight in enumerate(visit_weights):
        if weight is None:
            plan = _plan(WeightChoice(reference, Decimal(0), rebaselined=False), rule)
        else:
            try:
                plan = plan_dose(reference, weight, rule)
            except ValueError as exc:
                raise ValueError(f"visit_weights[{index}]: {exc}") from None
        reference = plan.weight.weight_kg
        plans.append(plan)
    return plans


def _check_irr_history(dose_number: int, irr_before: bool, irr_at_first: bool) -> None:
    if isinstance(dose_number, bool) or not isinstance(dose_number, int) or dose_number < 1:
        raise ValueError(f"dose_number must be an integer >= 1, got {dose_number!r}")
    if not isinstance(irr_before, bool) or not isinstance(irr_at_first, bool):
        raise ValueError(
            f"irr_before and irr_at_first must be True or False, got {irr_before!r}, "
            f"{irr_at_first!r}"
        )
    if irr_at_first and not irr_before:
        raise ValueError("an IRR at dose 1 is an IRR before this dose: irr_before must be True")
    if dose_number == 1 and irr_before:
        raise ValueError("dose 1 has no previous dose: irr_before must be False")
    if dose_number == 2 and irr_before != irr_at_first:
        raise ValueError("before dose 2 only dose 1 was given: irr_before must equal irr_at_first")


def infusion_plan(
    dose_number: int, irr_before: bool, irr_at_first: bool, rule: InfusionRule
) -> InfusionPlan:
    """Volume and rates of infusion *dose_number* (1, 2, ...) under the protocol's *rule*.

    *irr_before*: an IRR at any previous dose; *irr_at_first*: an IRR at dose 1.

    * dose 1: first volume (1000 mL), first start rate (50 mL/h);
    * dose 2: later volume (500 mL) if dose 1 had no IRR, else the first volume; first start rate;
    * dose 3 onwards: later volume; later start rate (100 mL/h) if no previous dose had an IRR,
      else the first start rate.

    Rate step, step interval and maximum are the rule's for every dose. ValueError for a
    dose number < 1 or an impossible history (an IRR at dose 1 without *irr_before*, any IRR
    before dose 1, or *irr_before* != *irr_at_first* at dose 2).
    """
    _check_irr_history(dose_number, irr_before, irr_at_first)
    if dose_number == 1:
        volume, start = rule.first_volume_ml, rule.first_start_rate_ml_h
    elif dose_number == 2:
        volume = rule.first_volume_ml if irr_at_first else rule.later_volume_ml
        start = rule.first_start_rate_ml_h
    else:
        volume = rule.later_volume_ml
        start = rule.first_start_rate_ml_h if irr_before else rule.later_start_rate_ml_h
    return InfusionPlan(
        volume_ml=volume,
        start_rate=start,
        increment=rule.rate_increment_ml_h,
        increment_minutes=rule.increment_minutes,
        max_rate=rule.max_rate_ml_h,
    )
