"""Laboratory unit conversion (DOMAIN.md section 7).

The factors are data in ``studyapp.protocol.units`` (physical constants [C], not protocol choices;
the protocol chooses which of these units a site may enter: ``LabTestDef.accepted_units``).
Units are CDISC UNIT codelist submission values; test codes are CDISC LBTESTCD values.

Each factor converts *from* the unit *to* the test's SI (standard) unit:

* cell counts: ``/uL`` / 1000 = ``10^9/L`` (30,000/uL = 30 x10^9/L); ``10^3/uL`` = ``10^9/L``
* haemoglobin, albumin: ``g/dL`` x 10 = ``g/L``
* bilirubin: ``mg/dL`` x 17.1 = ``umol/L``; creatinine: ``mg/dL`` x 88.4 = ``umol/L``
* immunoglobulins: ``mg/dL`` / 100 = ``g/L``

Arithmetic is Decimal, so 1.5 mg/dL bilirubin is exactly 25.65 umol/L; rounding for display is
the caller's choice.
"""

from __future__ import annotations

from decimal import Decimal

from studyapp.protocol.units import FACTORS as FACTORS  # the factors are data; the rules here
from studyapp.protocol.units import known_units as known_units

Number = int | float | Decimal


def to_decimal(value: Number, name: str = "value") -> Decimal:
    """Return *value* as a finite, non-negative Decimal; ValueError naming *name* otherwise.

    Floats go through ``repr`` so that 0.1 becomes Decimal("0.1"), not its binary expansion.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return number


def si_unit(testcd: str) -> str:
    """The SI (standard) unit of *testcd*, e.g. ``umol/L`` for BILI."""
    return known_units(testcd)[0]


def _factor(testcd: str, unit: str) -> Decimal:
    allowed = known_units(testcd)
    if unit not in allowed:
        raise ValueError(f"unknown unit {unit!r} for {testcd}; allowed: {', '.join(allowed)}")
    return FACTORS[testcd][unit]


def convert(value: Number, from_unit: str, to_unit: str, testcd: str) -> Decimal:
    """Convert a non-negative lab *value* of *testcd* from *from_unit* to *to_unit*.

    Raises ValueError for an unknown test code or unit, or a negative, NaN or infinite value.
    """
    number = to_decimal(value, f"{testcd} value")
    factor_from = _factor(testcd, from_unit)
    factor_to = _factor(testcd, to_unit)
    if factor_from == factor_to:
        return number
    return number * factor_from / factor_to
