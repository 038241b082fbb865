"""The safety report's cut-off rule (exports/safety_report/cutoff.py): which dates count."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from studyapp.exports.safety_report.cutoff import Cut, percent

CUT = Cut(date(2026, 3, 10))


@pytest.mark.parametrize(
    ("iso", "counts"),
    [
        ("2026-03-10", True),
        ("2026-03-11", False),
        ("2026-03", True),  # may be on or before the 10th
        ("2026-04", False),
        ("2026", True),
        ("2027", False),
        ("", False),
        (None, False),
    ],
)
def test_a_partial_date_counts_when_it_may_fall_on_or_before_the_cutoff(iso, counts):
    assert CUT.partial(iso) is counts


@pytest.mark.parametrize(
    ("iso", "after"),
    [
        ("2026-03-11", True),
        ("2026-03-10", False),
        ("2026-03", False),
        ("2026-04", True),
        (None, False),
    ],
)
def test_an_end_wholly_after_the_cutoff_leaves_the_event_ongoing(iso, after):
    assert CUT.after(iso) is after


def test_full_dates_and_moments():
    assert CUT.dated(date(2026, 3, 10))
    assert not CUT.dated(date(2026, 3, 11))
    assert not CUT.dated(None)
    end = CUT.end.astimezone(UTC)
    assert CUT.moment(end)
    assert not CUT.moment(datetime.fromtimestamp(end.timestamp() + 1, UTC))
    assert not CUT.moment(None)


def test_percentages_of_a_whole():
    assert percent(1, 3) == "1 (33.3%)"
    assert percent(0, 5) == "0 (0.0%)"
    assert percent(2, 0) == "2"
