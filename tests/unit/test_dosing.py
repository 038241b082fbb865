"""Weight-based dose, rounding, weight re-baseline, dose check and infusion rates (DOMAIN.md 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.dosing import (
    InfusionPlan,
    WeightChoice,
    check_given,
    dose_mg,
    dose_weight,
    infusion_plan,
    plan_dose,
    reference_weights,
    volume_ml,
    weight_warning,
)
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import InfusionRule

RULE = get_protocol().dosing
INFUSION = get_protocol().infusion
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


@pytest.mark.parametrize(
    ("current", "change", "rebased"),
    [
        (D(66), D(10), False),  # exactly +10 %: warns, the dose stays on the reference
        (D(54), D(-10), False),  # exactly -10 %: warns too
        (D("66.1"), D("10.16666666666666666666666667"), True),  # above: re-based
        (D("53.9"), D("-10.16666666666666666666666667"), True),
    ],
)
def test_weight_warning_at_and_beyond_the_threshold(
    current: Decimal, change: Decimal, rebased: bool
) -> None:
    warning = weight_warning(D(60), current, RULE.reweigh_threshold_pct)
    assert warning is not None
    assert (warning.reference_kg, warning.current_kg) == (D(60), current)
    assert (warning.change_pct, warning.rebased) == (change, rebased)


@pytest.mark.parametrize(
    "current",
    [
        D("65.994"),  # +9.99 %
        D("54.006"),  # -9.99 %
        D(60),
    ],
)
def test_weight_warning_below_the_threshold(current: Decimal) -> None:
    assert weight_warning(D(60), current, RULE.reweigh_threshold_pct) is None


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


def test_reference_weights_carry_the_reference_forward() -> None:
    weights = [D("60.5"), None, D("66.1"), D(66), D(58), None, D("63.8"), D("63.9")]
    plans = reference_weights(D(60), weights, RULE)
    assert [p.weight.weight_kg for p in plans] == [
        D(60),  # +0.83 % of the screening weight: reference kept
        D(60),  # not weighed: the reference
        D("66.1"),  # +10.17 %: re-baselined
        D("66.1"),  # -0.15 % of the new reference (+10 % of the first one)
        D(58),  # -12.25 %: re-baselined
        D(58),
        D(58),  # exactly +10 %: reference kept
        D("63.9"),  # +10.17 %: re-baselined
    ]
    assert [p.weight.rebaselined for p in plans] == [
        False,
        False,
        True,
        False,
        True,
        False,
        False,
        True,
    ]
    assert [p.dose_mg for p in plans] == [
        D(960),
        D(960),
        D(1060),
        D(1060),
        D(930),  # 928 -> 930
        D(930),
        D(930),
        D(1020),  # 1022.4 -> 1020
    ]
    assert plans[4].volume_ml == D("46.5")
    assert plans[1].weight == WeightChoice(D(60), D(0), rebaselined=False)
    assert plans[6].weight.change_pct == D(10)


def test_reference_weights_edge_cases() -> None:
    assert reference_weights(D(60), [], RULE) == []
    assert reference_weights(60, [None] * 8, RULE)[7].dose_mg == D(960)
    assert reference_weights(D("58.3"), [D("58.3")], RULE)[0].dose_mg == D(930)


@pytest.mark.parametrize(
    ("initial", "weights", "message"),
    [
        (D(60), [D(60)] * 9, r"visit_weights: 9 weights for 8 doses"),
        (D(0), [D(60)], r"initial_kg must be > 0"),
        (D(-60), [], r"initial_kg must be >= 0"),
        (D(60), [D(60), D(61), D(0)], r"visit_weights\[2\]: current_kg must be > 0, got"),
        (D(60), [D("NaN")], r"visit_weights\[0\]: current_kg must be a finite number"),
        (D(60), [None, "61"], r"visit_weights\[1\]: current_kg must be a number"),
    ],
)
def test_reference_weights_rejects(initial: object, weights: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reference_weights(initial, weights, RULE)  # type: ignore[arg-type]


weight_lists = st.lists(
    st.none() | st.decimals(min_value=D(35), max_value=D(150), places=1), max_size=8
)


@given(st.decimals(min_value=D(35), max_value=D(150), places=1), weight_lists)
def test_reference_weights_properties(initial: Decimal, weights: list[Decimal | None]) -> None:
    plans = reference_weights(initial, weights, RULE)
    assert len(plans) == len(weights)
    reference = initial
    for plan, weight in zip(plans, weights, strict=True):
        used = plan.weight.weight_kg
        assert plan.dose_mg == dose_mg(used, RULE.mg_per_kg, RULE.rounding_mg)
        if weight is None:  # not weighed: the reference in force, unchanged
            assert (used, plan.weight.rebaselined) == (reference, False)
        elif plan.weight.rebaselined:  # the measured weight, now the reference
            assert used == weight
        else:  # within the threshold of the reference in force
            assert used == reference
            assert abs(weight - reference) * 100 <= RULE.reweigh_threshold_pct * reference
        reference = used
    # a missing weight never moves the reference: the weighed doses get the same plans
    weighed = [w for w in weights if w is not None]
    same = [p for p, w in zip(plans, weights, strict=True) if w is not None]
    assert reference_weights(initial, weighed, RULE) == same


@pytest.mark.parametrize(
    ("dose", "irr_before", "irr_at_first", "volume", "start"),
    [
        (1, False, False, D(1000), D(50)),  # first infusion: 1000 mL from 50 mL/h
        (2, False, False, D(500), D(50)),  # no IRR at dose 1: 500 mL, still from 50 mL/h
        (2, True, True, D(1000), D(50)),  # IRR at dose 1: as dose 1
        (3, False, False, D(500), D(100)),  # no IRR so far: from 100 mL/h
        (3, True, False, D(500), D(50)),  # IRR at dose 2: back to 50 mL/h
        (3, True, True, D(500), D(50)),  # IRR at dose 1
        (8, False, False, D(500), D(100)),
        (8, True, False, D(500), D(50)),  # any previous IRR
    ],
)
def test_infusion_plan(
    dose: int, irr_before: bool, irr_at_first: bool, volume: Decimal, start: Decimal
) -> None:
    plan = infusion_plan(dose, irr_before, irr_at_first, INFUSION)
    assert plan == InfusionPlan(
        volume_ml=volume, start_rate=start, increment=D(50), increment_minutes=60, max_rate=D(200)
    )


def test_infusion_plan_reads_the_rule() -> None:
    rule = InfusionRule(D(800), D(400), D(25), D(75), D(25), 30, D(150))
    assert infusion_plan(1, False, False, rule) == InfusionPlan(D(800), D(25), D(25), 30, D(150))
    assert infusion_plan(2, False, False, rule).volume_ml == D(400)
    assert infusion_plan(4, False, False, rule).start_rate == D(75)


@pytest.mark.parametrize(
    ("dose", "irr_before", "irr_at_first", "message"),
    [
        (0, False, False, r"dose_number must be an integer >= 1, got 0"),
        (-1, False, False, r"dose_number must be an integer >= 1, got -1"),
        (True, False, False, r"dose_number must be an integer >= 1, got True"),
        (1.0, False, False, r"dose_number must be an integer >= 1, got 1.0"),
        (2, "no", False, r"irr_before and irr_at_first must be True or False, got 'no', False"),
        (2, False, 0, r"irr_before and irr_at_first must be True or False"),
        (3, False, True, r"an IRR at dose 1 is an IRR before this dose"),
        (1, True, False, r"dose 1 has no previous dose"),
        (1, True, True, r"dose 1 has no previous dose"),
        (2, True, False, r"before dose 2 only dose 1 was given"),
    ],
)
def test_infusion_plan_rejects(
    dose: object, irr_before: object, irr_at_first: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        infusion_plan(dose, irr_before, irr_at_first, INFUSION)  # type: ignore[arg-type]


@given(st.integers(1, 20), st.booleans(), st.booleans())
def test_infusion_never_starts_above_the_maximum(dose: int, before: bool, first: bool) -> None:
    if dose == 1:
        before = first = False
    elif dose == 2:
        before = first
    else:
        before = before or first
    plan = infusion_plan(dose, before, first, INFUSION)
    assert plan.start_rate <= plan.max_rate
    assert plan.volume_ml in (INFUSION.first_volume_ml, INFUSION.later_volume_ml)
    assert (plan.start_rate == INFUSION.later_start_rate_ml_h) == (dose >= 3 and not before)
