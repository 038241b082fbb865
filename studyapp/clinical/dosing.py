"""Weight-based dosing of daratumumab (DOMAIN.md section 3).

Dose = mg/kg x body weight [C, label: 16 mg/kg], rounded half-up to the protocol's step
(10 mg [P]); volume at the protocol's concentration (20 mg/mL). The reference weight is the
Day 1 pre-dose (or screening) weight and is replaced by the visit weight when that differs from
it by more than the protocol's threshold (10 % [P]). A given dose outside +/- tolerance (5 % [P])
of the calculated dose is a deviation. Worked example: 58.3 kg x 16 = 932.8 -> 930 mg, 46.5 mL.

All quantities are Decimal: weights in kg, doses in mg, volumes in mL, percentages in %.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from studyapp.clinical.units import Number, to_decimal
from studyapp.protocol.model import DoseRule

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


def plan_dose(reference_kg: Number, current_kg: Number, rule: DoseRule) -> DosePlan:
    """Dose for a visit under the protocol's *rule*: weight choice, rounded dose and volume."""
    weight = dose_weight(reference_kg, current_kg, rule.reweigh_threshold_pct)
    dose = dose_mg(weight.weight_kg, rule.mg_per_kg, rule.rounding_mg)
    return DosePlan(weight, dose, volume_ml(dose, rule.concentration_mg_per_ml))
