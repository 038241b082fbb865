"""Visit plan, windows, status and study day, worked by hand from DOMAIN.md section 2."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate, pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from studyapp.clinical.schedule import (
    STATUSES,
    date_of_day,
    study_day,
    visit_for_date,
    visit_plan,
    visit_status,
)
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import VisitDef

DAY1 = date(2026, 1, 5)
PROTOCOL = get_protocol()
PLAN = {v.code: v for v in visit_plan(DAY1, PROTOCOL)}


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 1, 5), 1),
        (date(2026, 1, 6), 2),
        (date(2026, 1, 4), -1),
        (date(2025, 12, 8), -28),
        (date(2026, 2, 23), 50),
        (date(2026, 6, 22), 169),
    ],
)
def test_study_day_has_no_day_zero(d: date, expected: int) -> None:
    assert study_day(DAY1, d) == expected
    assert date_of_day(DAY1, expected) == d


def test_day_zero_is_rejected() -> None:
    with pytest.raises(ValueError, match="study day 0 does not exist"):
        date_of_day(DAY1, 0)


@pytest.mark.parametrize(
    ("code", "target", "earliest", "latest"),
    [
        ("SCR", date(2026, 1, 4), date(2025, 12, 8), date(2026, 1, 4)),
        ("D1", date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 5)),
        ("D8", date(2026, 1, 12), date(2026, 1, 11), date(2026, 1, 13)),
        ("D50", date(2026, 2, 23), date(2026, 2, 22), date(2026, 2, 24)),
        ("EOT", date(2026, 3, 2), date(2026, 2, 27), date(2026, 3, 5)),
        ("FU71", date(2026, 3, 16), date(2026, 3, 13), date(2026, 3, 19)),
        ("FU141", date(2026, 5, 25), date(2026, 5, 18), date(2026, 6, 1)),
        ("EOS", date(2026, 6, 22), date(2026, 6, 15), date(2026, 6, 29)),
    ],
)
def test_plan_dates(code: str, target: date, earliest: date, latest: date) -> None:
    visit = PLAN[code]
    assert (visit.target, visit.earliest, visit.latest) == (target, earliest, latest)


def test_plan_has_planned_visits_only_in_order() -> None:
    plan = visit_plan(DAY1, PROTOCOL)
    assert [v.code for v in plan][:3] == ["SCR", "D1", "D8"]
    assert "ET" not in PLAN
    assert "UNS" not in PLAN
    assert len(plan) == 16
    assert PLAN["D29"].forms == PROTOCOL.visit("D29").forms
    assert PLAN["D29"].visitnum == Decimal(5)


D8 = PLAN["D8"]  # window 2026-01-11 .. 2026-01-13


@pytest.mark.parametrize(
    ("actual", "today", "expected"),
    [
        (None, date(2026, 1, 10), "upcoming"),  # one day before the window
        (None, date(2026, 1, 11), "due"),  # first day of the window
        (None, date(2026, 1, 13), "due"),  # last day of the window
        (None, date(2026, 1, 14), "overdue"),  # one day after
        (date(2026, 1, 11), date(2026, 1, 11), "done"),  # first day
        (date(2026, 1, 13), date(2026, 2, 1), "done"),  # last day
        (date(2026, 1, 10), date(2026, 1, 10), "done_out_of_window"),  # one day early
        (date(2026, 1, 14), date(2026, 1, 20), "done_out_of_window"),  # one day late
    ],
)
def test_visit_status(actual: date | None, today: date, expected: str) -> None:
    assert visit_status(D8, actual, today) == expected
    assert expected in STATUSES


def test_missed_is_declared() -> None:
    assert visit_status(D8, None, date(2026, 1, 20), missed=True) == "missed"
    assert visit_status(D8, None, date(2026, 1, 1), missed=True) == "missed"


def test_status_rejects_contradictions() -> None:
    with pytest.raises(ValueError, match=r"has a visit date .* and is declared missed"):
        visit_status(D8, date(2026, 1, 12), date(2026, 1, 12), missed=True)
    with pytest.raises(ValueError, match="visit date 2026-01-12 is after today"):
        visit_status(D8, date(2026, 1, 12), date(2026, 1, 11))


def test_visit_for_date() -> None:
    plan = visit_plan(DAY1, PROTOCOL)
    assert visit_for_date(plan, date(2026, 1, 13)) == D8
    assert visit_for_date(plan, date(2026, 1, 14)) is None  # between D8 and D15 windows
    assert visit_for_date(plan, date(2025, 12, 7)) is None  # before screening


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(-40, 200))
def test_a_date_is_in_at_most_one_window(day1: date, offset: int) -> None:
    plan = visit_plan(day1, PROTOCOL)
    d = day1 + timedelta(days=offset)
    containing = [v for v in plan if v.in_window(d)]
    assert len(containing) <= 1
    assert visit_for_date(plan, d) == (containing[0] if containing else None)


visit_specs = st.lists(
    st.tuples(st.integers(-5, 30), st.integers(0, 10), st.integers(0, 10)),
    min_size=1,
    max_size=8,
)


@given(visit_specs, st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)))
def test_any_accepted_schedule_has_disjoint_windows(
    specs: list[tuple[int, int, int]], day1: date
) -> None:
    """Stated rule: the protocol rejects overlapping windows, so no date is ambiguous."""
    days = list(accumulate(gap for gap, _, _ in specs))  # mostly increasing: gaps may be <= 0
    visits = tuple(
        VisitDef(f"V{i}", Decimal(i), f"Visit {i}", day or 1, before, after, ())
        for i, (day, (_, before, after)) in enumerate(zip(days, specs, strict=True))
    )
    assume(any(v.day is not None and v.day > 0 for v in visits))
    first_positive = next(v.day for v in visits if v.day is not None and v.day > 0)
    dosing = replace(PROTOCOL.dosing, number_of_doses=1, first_dose_day=first_positive)
    try:
        response = replace(PROTOCOL.response, durable_after_visit=visits[0].code)
        protocol = replace(
            PROTOCOL, visits=visits, dosing=dosing, response=response, sdv_full=()
        )  # the SDV plan names the real forms, which these visits do not hold
    except ValueError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "out of order" in message or "overlap" in message
        return
    plan = visit_plan(day1, protocol)
    for earlier, later in pairwise(plan):
        assert earlier.latest < later.earliest
