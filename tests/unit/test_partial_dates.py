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


# --- YYYY---DD (month unknown): the day is dropped -------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026---14", True),
        ("2026---01", True),
        ("2026---31", True),
        ("2026---00", False),
        ("2026---32", False),
        ("2026--14", False),
        ("2026---4", False),
    ],
)
def test_month_unknown_form(text, ok):
    if ok:
        assert pd.parse(text) == (2026, None, None)
        assert (pd.earliest(text), pd.latest(text)) == (date(2026, 1, 1), date(2026, 12, 31))
    else:
        with pytest.raises(ValueError, match="2026"):
            pd.parse(text)


@pytest.mark.parametrize(
    ("text", "last"),
    [
        ("2024-02", date(2024, 2, 29)),
        ("2026-02", date(2026, 2, 28)),
        ("2026", date(2026, 12, 31)),
        ("2026-04-30", date(2026, 4, 30)),
    ],
)
def test_latest(text, last):
    assert pd.latest(text) == last


def test_is_complete():
    assert pd.is_complete("2026-03-10") is True
    assert [pd.is_complete(t) for t in ("2026-03", "2026", "2026---10")] == [False] * 3


# --- analysis imputation and treatment-emergent flag (first dose 2026-03-10) ------------------

DOSE = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("onset", "end", "imputed", "emergent"),
    [
        # full dates: as entered; Day 1 itself is treatment-emergent, the day before is not
        ("2026-03-10", None, date(2026, 3, 10), True),
        ("2026-03-09", None, date(2026, 3, 9), False),
        ("2026-03-09", "2026-03-01", date(2026, 3, 9), False),  # a full onset is never moved
        # missing day: first-dose month -> the first-dose date; other months -> the 1st
        ("2026-03", None, DOSE, True),
        ("2026-02", None, date(2026, 2, 1), False),
        ("2026-04", None, date(2026, 4, 1), True),
        ("2025-03", None, date(2025, 3, 1), False),
        # missing month: first-dose year -> the first-dose date; other years -> 1 January
        ("2026", None, DOSE, True),
        ("2025", None, date(2025, 1, 1), False),
        ("2027", None, date(2027, 1, 1), True),
        # YYYY---DD: the day is dropped, the year rule applies
        ("2026---05", None, DOSE, True),
        ("2025---14", None, date(2025, 1, 1), False),
        # never later than the event's end date (a partial end: the latest it can be)
        ("2026-03", "2026-03-10", DOSE, True),
        ("2026-03", "2026-03-09", date(2026, 3, 9), False),
        ("2026-03", "2026-03-11", DOSE, True),
        ("2026", "2026-02", date(2026, 2, 28), False),
        ("2026", "2026-03", DOSE, True),
        ("2026", "2026", DOSE, True),
        ("2026-03", "", DOSE, True),
        # nor outside the onset's own month (an end before it is inconsistent, not a rule)
        ("2026-03", "2026-02-20", date(2026, 3, 1), False),
    ],
)
def test_impute_start_and_treatment_emergent(onset, end, imputed, emergent):
    assert pd.impute_start(onset, DOSE, end) == imputed
    assert pd.treatment_emergent(onset, DOSE, end) is emergent


def test_without_a_first_dose():
    assert pd.impute_start("2026-03", None) == date(2026, 3, 1)
    assert pd.impute_start("2026", None, "2026-02-10") == date(2026, 1, 1)
    assert pd.treatment_emergent("2026-03", None) is None


def test_first_dose_in_another_month_of_the_year():
    assert pd.impute_start("2026", date(2026, 11, 30)) == date(2026, 11, 30)
    assert pd.impute_start("2026-12", date(2026, 11, 30)) == date(2026, 12, 1)
