"""How a stored number is written for people: no exponent, no trailing zeros."""

from __future__ import annotations

from decimal import Decimal


def plain_number(value: Decimal | int | str) -> str:
    """Decimal("45.000") -> "45", Decimal("25.650") -> "25.65", Decimal("1.5E+3") -> "1500"."""
    return format((Decimal(value) + 0).normalize(), "f")  # + 0 turns -0 into 0
