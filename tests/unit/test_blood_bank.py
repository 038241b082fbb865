"""Blood bank interference: last infusion + the protocol's months, clamped to the month's end."""

from __future__ import annotations

from datetime import date

import pytest

from studyapp.clinical.blood_bank import add_months, interference_until
from studyapp.protocol.loader import get_protocol

MONTHS = get_protocol().blood_bank.interference_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 3, 2), 6, date(2026, 9, 2)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # no 31 February: its last day
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2026, 8, 30), 6, date(2027, 2, 28)),
        (date(2026, 7, 31), 6, date(2027, 1, 31)),  # across the year, the day exists
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 6, 30), 6, date(2026, 12, 30)),  # month 12 itself
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_no_infusion_means_no_interference_yet():
    assert interference_until([], MONTHS) is None
    assert interference_until([None], MONTHS) is None


def test_the_last_infusion_counts_not_the_first_nor_the_order():
    infusions = [date(2026, 4, 20), None, date(2026, 3, 2), date(2026, 3, 9)]
    assert interference_until(infusions, 6) == date(2026, 10, 20)
    assert interference_until([date(2026, 8, 31)], 6) == date(2027, 2, 28)
