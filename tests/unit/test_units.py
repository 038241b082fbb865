"""Lab unit conversion (DOMAIN.md section 7): factors, round trips and rejections."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.units import FACTORS, convert, known_units, si_unit
from studyapp.protocol.loader import get_protocol

D = Decimal


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "testcd", "expected"),
    [
        (30000, "/uL", "10^9/L", "PLAT", D(30)),  # 30,000/uL = 30 x10^9/L
        (D(30), "10^9/L", "/uL", "PLAT", D(30000)),
        (D("4.5"), "10^3/uL", "10^9/L", "WBC", D("4.5")),
        (1500, "/uL", "10^9/L", "NEUT", D("1.5")),
        (800, "/uL", "10^9/L", "LYM", D("0.8")),
        (D("9.5"), "g/dL", "g/L", "HGB", D(95)),  # g/dL x 10
        (D(95), "g/L", "g/dL", "HGB", D("9.5")),
        (D("1.5"), "mg/dL", "umol/L", "BILI", D("25.65")),  # x 17.1
        (D("25.65"), "umol/L", "mg/dL", "BILI", D("1.5")),
        (1, "mg/dL", "umol/L", "CREAT", D("88.4")),  # x 88.4
        (D(1200), "mg/dL", "g/L", "IGG", D(12)),  # / 100
        (D("3.5"), "g/dL", "g/L", "ALB", D(35)),
        (40, "U/L", "U/L", "ALT", D(40)),
        (0, "/uL", "10^9/L", "PLAT", D(0)),
    ],
)
def test_convert(
    value: object, from_unit: str, to_unit: str, testcd: str, expected: Decimal
) -> None:
    assert convert(value, from_unit, to_unit, testcd) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, "g/dL", "g/L", "XYZ"), "unknown test code 'XYZ'; known: PLAT"),
        ((1, "mmol/L", "umol/L", "BILI"), "unknown unit 'mmol/L' for BILI; allowed: umol/L, mg/dL"),
        ((1, "umol/L", "g/L", "BILI"), "unknown unit 'g/L' for BILI"),
        ((-1, "g/L", "g/dL", "HGB"), "HGB value must be >= 0, got -1"),
        ((float("nan"), "g/L", "g/dL", "HGB"), "HGB value must be a finite number, got nan"),
        ((None, "g/L", "g/dL", "HGB"), "HGB value must be a number, got None"),
    ],
)
def test_convert_rejects(args: tuple[object, str, str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        convert(*args)  # type: ignore[arg-type]


def test_si_units_match_protocol() -> None:
    for lab in get_protocol().labs:
        assert si_unit(lab.testcd) == lab.si_unit
        assert set(lab.accepted_units) <= set(known_units(lab.testcd))


@given(
    st.sampled_from(sorted(FACTORS)),
    st.decimals(min_value=0, max_value=10**6, places=3),
    st.data(),
)
def test_round_trip(testcd: str, value: Decimal, data: st.DataObject) -> None:
    unit = data.draw(st.sampled_from(known_units(testcd)))
    there = convert(value, unit, si_unit(testcd), testcd)
    back = convert(there, si_unit(testcd), unit, testcd)
    assert abs(back - value) <= D("1e-20") * max(value, D(1))
