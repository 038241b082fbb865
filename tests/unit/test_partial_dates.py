from datetime import date

import pytest

from studyapp.clinical import partial_dates as pd


@pytest.mark.parametrize(
    ("text", "parsed", "earliest"),
    [
        ("2024", (2024, None, None), date(2024, 1, 1)),
        ("2024-05", (2024, 5, None), date(2024, 5, 1)),
        (" 2024-05-14 ", (2024, 5, 14), date(2024, 5, 14)),
    ],
)
def test_partial_forms(text, parsed, earliest):
    assert pd.parse(text) == parsed
    assert pd.earliest(text) == earliest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("May 2024", "use YYYY, YYYY-MM"),
        ("2024-13", "month 13"),
        ("2024-02-30", "day"),
        ("24-05", "use YYYY"),
    ],
)
def test_bad_dates(text, message):
    with pytest.raises(ValueError, match=message):
        pd.parse(text)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 12, 1), date(2026, 3, 1), 3),
        (date(2025, 12, 2), date(2026, 3, 1), 2),
        (date(2026, 3, 1), date(2026, 3, 31), 0),
        (date(2026, 3, 1), date(2026, 1, 1), -2),
    ],
)
def test_months_between(start, end, months):
    assert pd.months_between(start, end) == months
