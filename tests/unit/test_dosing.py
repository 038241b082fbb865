"""Weight-based dose, rounding, weight re-baseline and dose check (DOMAIN.md section 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.dosing import check_given, dose_mg, dose_weight, plan_dose, volume_ml
from studyapp.protocol.loader import get_protocol

RULE = get_protocol().dosing
D = Decimal


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (D("58.3"), D(930)),  # DOMAIN worked example: 932.8 -> 930
        (58.3, D(930)),  # a float weight is read as its decimal text
        (D("58.4"), D(930)),  # 934.4 -> 930
        (D("58.4375"), D(940)),  # exactly 935.0: half-up -> 940
        (D("58.43"), D(930)),  # 934.88 -> 930
        (D("58.75"), D(940)),  # 940.0 stays
        (70, D(1120)),
        (D("0.1"), D(0)),  # 1.6 mg rounds to 0: the caller sees a zero dose, not an error
    ],
)
def test_dose_mg(weight: object, expected: Decimal) -> None:
    assert dose_mg(weight, RULE.mg_per_kg, RULE.rounding_mg) == expected  # type: ignore[arg-type]


def test_volume() -> None:
    assert volume_ml(D(930), RULE.concentration_mg_per_ml) == D("46.5")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 16, 10), "weight_kg must be > 0, got 0"),
        ((-58.3, 16, 10), "weight_kg must be >= 0, got -58.3"),
        ((float("nan"), 16, 10), "weight_kg must be a finite number, got nan"),
        ((float("inf"), 16, 10), "weight_kg must be a finite number"),
        ((D("NaN"), 16, 10), "weight_kg must be a finite number"),
        (("58", 16, 10), "weight_kg must be a number, got '58'"),
        ((True, 16, 10), "weight_kg must be a number, got True"),
        ((58, 0, 10), "mg_per_kg must be > 0"),
        ((58, 16, 0), "rounding must be > 0"),
    ],
)
def test_dose_mg_rejects_bad_input(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dose_mg(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given_mg", "pct", "outside"),
    [
        (D(930), D("0.00"), False),
        (D("976.5"), D("5.00"), False),  # exactly +5 %: within
        (D(977), D("5.05"), True),
        (D("883.5"), D("-5.00"), False),  # exactly -5 %: within
        (D(883), D("-5.05"), True),
        (D(0), D("-100.00"), True),
    ],
)
def test_check_given(given_mg: Decimal, pct: Decimal, outside: bool) -> None:
    check = check_given(D(930), given_mg, RULE.tolerance_pct)
    assert (check.deviation_pct, check.outside_tolerance) == (pct, outside)
    assert (check.planned_mg, check.given_mg) == (D(930), given_mg)


def test_check_given_rejects_zero_plan() -> None:
    with pytest.raises(ValueError, match="planned_mg must be > 0"):
        check_given(0, 10, 5)


@pytest.mark.parametrize(
    ("current", "weight", "rebaselined"),
    [
        (D(60), D(60), False),
        (D(66), D(60), False),  # exactly +10 %: keep the reference
        (D("66.1"), D("66.1"), True),  # > 10 %: the visit weight becomes the reference
        (D(54), D(60), False),  # exactly -10 %
        (D("53.9"), D("53.9"), True),
    ],
)
def test_dose_weight(current: Decimal, weight: Decimal, rebaselined: bool) -> None:
    choice = dose_weight(D(60), current, RULE.reweigh_threshold_pct)
    assert (choice.weight_kg, choice.rebaselined) == (weight, rebaselined)


def test_plan_dose_uses_protocol_rule() -> None:
    plan = plan_dose(D(60), D("66.1"), RULE)
    assert plan.weight.rebaselined
    assert plan.dose_mg == D(1060)  # 66.1 x 16 = 1057.6 -> 1060
    assert plan.volume_ml == D(53)
    assert plan_dose(D("58.3"), D(60), RULE).dose_mg == D(930)  # +2.9 %: reference kept


@given(st.decimals(min_value=D("20"), max_value=D("200"), places=1))
def test_dose_is_within_half_a_step(weight: Decimal) -> None:
    dose = dose_mg(weight, RULE.mg_per_kg, RULE.rounding_mg)
    assert dose % RULE.rounding_mg == 0
    assert abs(dose - weight * RULE.mg_per_kg) <= RULE.rounding_mg / 2
