"""Edit checks: hard/plausible range, decimal places, BMI and the CDISC normal-range flag."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.checks import (
    NRIND_HIGH,
    NRIND_LOW,
    NRIND_NORMAL,
    RANGE_IMPLAUSIBLE,
    RANGE_IMPOSSIBLE,
    RANGE_OK,
    bmi,
    check_range,
    decimals_ok,
    normal_range_flag,
)
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import RangeLimits

D = Decimal
PROTOCOL = get_protocol()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("19.9"), RANGE_IMPOSSIBLE),
        (D(20), RANGE_IMPLAUSIBLE),  # exactly the hard low: possible, but to confirm
        (D("34.9"), RANGE_IMPLAUSIBLE),
        (D(35), RANGE_OK),  # exactly the plausible low
        (D("58.3"), RANGE_OK),
        (D(150), RANGE_OK),  # exactly the plausible high
        (D("150.1"), RANGE_IMPLAUSIBLE),
        (D(300), RANGE_IMPLAUSIBLE),  # exactly the hard high
        (D("300.1"), RANGE_IMPOSSIBLE),
        (D(-1), RANGE_IMPOSSIBLE),
    ],
)
def test_check_range_weight_boundaries(value: Decimal, expected: str) -> None:
    assert check_range(value, PROTOCOL.vital("WEIGHT").limits) == expected


@pytest.mark.parametrize(
    ("testcd", "value", "expected"),
    [
        ("PLAT", D(0), RANGE_IMPLAUSIBLE),  # 0 is possible (hard_low 0) but to confirm
        ("PLAT", D(1), RANGE_OK),
        ("PLAT", D(2000), RANGE_IMPLAUSIBLE),
        ("PLAT", D(2001), RANGE_IMPOSSIBLE),
        ("HGB", D(9), RANGE_IMPOSSIBLE),
        ("HGB", D(95), RANGE_OK),
        ("BILI", D("300.1"), RANGE_IMPLAUSIBLE),
    ],
)
def test_check_range_labs(testcd: str, value: Decimal, expected: str) -> None:
    assert check_range(value, PROTOCOL.lab(testcd).limits) == expected


def test_check_range_of_a_single_point() -> None:
    point = RangeLimits(D(5), D(5), D(5), D(5))
    assert [check_range(v, point) for v in (D(4), D(5), D(6))] == [
        RANGE_IMPOSSIBLE,
        RANGE_OK,
        RANGE_IMPOSSIBLE,
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (D("NaN"), "value must be a finite number"),
        (D("sNaN"), "value must be a finite number"),
        (D("Infinity"), "value must be a finite number"),
        (58.3, "value must be a Decimal, got 58.3"),
        ("58.3", "value must be a Decimal"),
        (True, "value must be a Decimal, got True"),
    ],
)
def test_check_range_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_range(value, PROTOCOL.vital("WEIGHT").limits)  # type: ignore[arg-type]


@given(st.decimals(min_value=-1000, max_value=1000, places=2))
def test_check_range_is_nested(value: Decimal) -> None:
    limits = PROTOCOL.vital("TEMP").limits
    result = check_range(value, limits)
    inside_hard = limits.hard_low <= value <= limits.hard_high
    inside_plausible = limits.plausible_low <= value <= limits.plausible_high
    assert (result == RANGE_IMPOSSIBLE) == (not inside_hard)
    assert (result == RANGE_OK) == inside_plausible


@pytest.mark.parametrize(
    ("value", "places", "ok"),
    [
        (D("58.3"), 1, True),
        (D("58.35"), 1, False),
        (D("58.30"), 1, True),  # trailing zeros do not count
        (D("58.300000"), 0, False),
        (D(58), 0, True),
        (D("58.0"), 0, True),
        (D("58.5"), 0, False),
        (D(1200), 0, True),
        (D("1.2E+3"), 0, True),
        (D(0), 0, True),
        (D("0.00"), 0, True),
        (D("-0.0"), 0, True),
        (D("0.05"), 2, True),
        (D("0.005"), 2, False),
        (D("-36.55"), 1, False),
        (D("1.00000000000000000000000000001"), 29, True),  # more digits than the context
        (D("1.00000000000000000000000000001"), 28, False),
    ],
)
def test_decimals_ok(value: Decimal, places: int, ok: bool) -> None:
    assert decimals_ok(value, places) is ok


@pytest.mark.parametrize(
    ("value", "places", "message"),
    [
        (D("NaN"), 1, "value must be a finite number"),
        (D("-Infinity"), 1, "value must be a finite number"),
        (1.5, 1, "value must be a Decimal"),
        (D(1), -1, "places must be an integer >= 0, got -1"),
        (D(1), True, "places must be an integer >= 0, got True"),
        (D(1), 1.0, "places must be an integer >= 0, got 1.0"),
    ],
)
def test_decimals_ok_rejects(value: object, places: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decimals_ok(value, places)  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=3), st.integers(0, 3))
def test_decimals_ok_matches_rounding(value: Decimal, places: int) -> None:
    step = D(1).scaleb(-places)
    assert decimals_ok(value, places) == (value.quantize(step) == value)


def test_vital_sign_decimals_come_from_the_protocol() -> None:
    weight, sysbp = PROTOCOL.vital("WEIGHT"), PROTOCOL.vital("SYSBP")
    assert decimals_ok(D("58.3"), weight.decimals)
    assert not decimals_ok(D("120.5"), sysbp.decimals)


@pytest.mark.parametrize(
    ("weight", "height", "expected"),
    [
        (D(70), D(175), D("22.9")),  # 22.857...
        (D("58.3"), D(160), D("22.8")),  # 22.773...
        (70, 175, D("22.9")),  # ints are accepted
        (58.3, 160.0, D("22.8")),  # floats are read by their decimal text
        (D(81), D(180), D("25.0")),  # exactly 25: one decimal place kept
        (D("40.5"), D(100), D("40.5")),  # 1 m: BMI = weight
        (D("64.96"), D(200), D("16.2")),  # 16.24 -> 16.2
        (D(65), D(200), D("16.3")),  # exactly 16.25 -> half-up 16.3
    ],
)
def test_bmi(weight: object, height: object, expected: Decimal) -> None:
    result = bmi(weight, height)  # type: ignore[arg-type]
    assert result == expected
    assert result.as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("weight", "height", "message"),
    [
        (0, 175, "weight and height must be > 0, got 0 kg, 175 cm"),
        (70, 0, "weight and height must be > 0"),
        (-70, 175, "weight_kg must be >= 0"),
        (70, -175, "height_cm must be >= 0"),
        (D("NaN"), 175, "weight_kg must be a finite number"),
        (70, float("inf"), "height_cm must be a finite number"),
        ("70", 175, "weight_kg must be a number"),
        (70, True, "height_cm must be a number"),
    ],
)
def test_bmi_rejects(weight: object, height: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bmi(weight, height)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (D("149.9"), D(150), D(400), NRIND_LOW),
        (D(150), D(150), D(400), NRIND_NORMAL),  # exactly the low limit is normal
        (D(400), D(150), D(400), NRIND_NORMAL),  # exactly the high limit is normal
        (D("400.1"), D(150), D(400), NRIND_HIGH),
        (D(12), D(150), D(400), NRIND_LOW),
        (D(5), None, D(40), NRIND_NORMAL),  # no low limit: only HIGH can flag
        (D(0), None, D(40), NRIND_NORMAL),
        (D(41), None, D(40), NRIND_HIGH),
        (D(1), D("0.7"), None, NRIND_NORMAL),  # no high limit: only LOW can flag
        (D(100), D("0.7"), None, NRIND_NORMAL),
        (D("0.69"), D("0.7"), None, NRIND_LOW),
        (D(7), None, None, NRIND_NORMAL),
        (D(5), D(5), D(5), NRIND_NORMAL),
    ],
)
def test_normal_range_flag(
    value: Decimal, low: Decimal | None, high: Decimal | None, expected: str
) -> None:
    assert normal_range_flag(value, low, high) == expected


@pytest.mark.parametrize(
    ("value", "low", "high", "message"),
    [
        (D(5), D(10), D(1), "normal range low 10 > high 1"),
        (D("NaN"), D(1), D(2), "value must be a finite number"),
        (D(1), D("NaN"), D(2), "low must be a finite number"),
        (D(1), D(0), D("Infinity"), "high must be a finite number"),
        (D(1), 0.5, None, "low must be a Decimal, got 0.5"),
    ],
)
def test_normal_range_flag_rejects(value: object, low: object, high: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normal_range_flag(value, low, high)  # type: ignore[arg-type]


def test_normal_range_flag_with_a_protocol_range() -> None:
    from datetime import date

    hgb = PROTOCOL.lab("HGB").range_for("F", date(2026, 1, 5))
    assert normal_range_flag(D(114), hgb.low, hgb.high) == NRIND_LOW
    assert normal_range_flag(D(115), hgb.low, hgb.high) == NRIND_NORMAL
