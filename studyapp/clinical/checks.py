"""Edit checks of measured values: range, decimal places, BMI, normal-range flag.

* ``check_range``: a value outside the hard limits is impossible (the CRF rejects it); outside
  the plausible limits it is implausible (the CRF asks to confirm it). Both limits inclusive:
  a value exactly on a limit is inside. The limits are ``RangeLimits`` of the protocol's
  ``[[vital_signs]]`` and ``[[labs]]`` entries (DOMAIN.md sections 2 and 7, [P]).
* ``decimals_ok``: no more decimal places than the protocol allows; trailing zeros do not
  count (58.30 has one place).
* ``bmi``: weight (kg) / height (m)^2, rounded half-up to 0.1 kg/m^2 (screening height and
  weight, DOMAIN.md section 2).
* ``normal_range_flag``: CDISC --NRIND against the lab's normal range (DOMAIN.md section 8):
  ``LOW`` below the low limit, ``HIGH`` above the high limit, else ``NORMAL``; a value exactly
  on a limit is normal.

Values are Decimal, never float, so that "exactly on the limit" stays exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from studyapp.clinical.units import Number, to_decimal
from studyapp.protocol.model import RangeLimits

#: Outcomes of ``check_range``.
RANGE_OK, RANGE_IMPLAUSIBLE, RANGE_IMPOSSIBLE = "ok", "implausible", "impossible"

#: CDISC NRIND values returned by ``normal_range_flag``.
NRIND_LOW, NRIND_HIGH, NRIND_NORMAL = "LOW", "HIGH", "NORMAL"

_TENTH = Decimal("0.1")
_CM_PER_M = Decimal(100)


def _finite(value: Decimal, name: str) -> Decimal:
    """*value* itself if it is a finite Decimal; ValueError naming *name* otherwise."""
    if not isinstance(value, Decimal):
        raise ValueError(f"{name} must be a Decimal, got {value!r}")
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def check_range(value: Decimal, limits: RangeLimits) -> str:
    """``RANGE_IMPOSSIBLE`` outside the hard limits, ``RANGE_IMPLAUSIBLE`` outside the plausible
    ones, else ``RANGE_OK``. Limits are inclusive. ValueError for a NaN or infinite value.
    """
    number = _finite(value, "value")
    if not limits.hard_low <= number <= limits.hard_high:
        return RANGE_IMPOSSIBLE
    if not limits.plausible_low <= number <= limits.plausible_high:
        return RANGE_IMPLAUSIBLE
    return RANGE_OK


def decimals_ok(value: Decimal, places: int) -> bool:
    """True when *value* has at most *places* decimal places, trailing zeros not counted.

    ``decimals_ok(Decimal("58.30"), 1)`` is True, ``decimals_ok(Decimal("58.35"), 1)`` False.
    ValueError for a NaN or infinite value or a negative or non-integer *places*.
    """
    number = _finite(value, "value")
    if isinstance(places, bool) or not isinstance(places, int) or places < 0:
        raise ValueError(f"places must be an integer >= 0, got {places!r}")
    _, digits, exponent = number.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:  # zero
        return True
    trailing_zeros = len(digits) - len(significant)
    return -(int(exponent) + trailing_zeros) <= places


def bmi(weight_kg: Number, height_cm: Number) -> Decimal:
    """Body-mass index in kg/m^2, rounded half-up to 0.1: 70 kg, 175 cm -> 22.9.

    ValueError for a weight or height that is not a positive finite number.
    """
    weight = to_decimal(weight_kg, "weight_kg")
    height = to_decimal(height_cm, "height_cm")
    if weight == 0 or height == 0:
        raise ValueError(f"weight and height must be > 0, got {weight_kg!r} kg, {height_cm!r} cm")
    metres = height / _CM_PER_M
    return (weight / (metres * metres)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def normal_range_flag(value: Decimal, low: Decimal | None, high: Decimal | None) -> str:
    """CDISC NRIND of *value* against the normal range *low*..*high* (inclusive).

    ``LOW`` when below *low*, ``HIGH`` when above *high*, else ``NORMAL``. A missing limit
    (None) is not checked, so only the other side can flag. ValueError for a NaN or infinite
    number, or *low* > *high*.
    """
    number = _finite(value, "value")
    lower = None if low is None else _finite(low, "low")
    upper = None if high is None else _finite(high, "high")
    if lower is not None and upper is not None and lower > upper:
        raise ValueError(f"normal range low {lower} > high {upper}")
    if lower is not None and number < lower:
        return NRIND_LOW
    if upper is not None and number > upper:
        return NRIND_HIGH
    return NRIND_NORMAL
