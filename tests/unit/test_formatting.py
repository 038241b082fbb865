"""Numbers as people read them: no exponent, no trailing zeros."""

from decimal import Decimal

import pytest

from studyapp.formatting import plain_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("45.000"), "45"),
        (Decimal("25.650"), "25.65"),
        (Decimal("1.5E+3"), "1500"),
        (Decimal("-0.0"), "0"),
        (Decimal("0.0001"), "0.0001"),
        (930, "930"),
        ("58.30", "58.3"),
    ],
)
def test_plain_number(value, text):
    assert plain_number(value) == text
