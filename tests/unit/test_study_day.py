"""SDTM --DY by the no-day-0 rule, and EPOCH from the protocol's schedule
(studyapp.clinical.study_day; DOMAIN.md section 8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from studyapp.clinical import study_day as sd
from studyapp.protocol.loader import load_protocol

DOSING = load_protocol().dosing
RF = "2024-03-10T09:30"


@pytest.mark.parametrize(
    ("dtc", "expected"),
    [
        ("2024-03-10", 1),  # the first dose day is Day 1
        ("2024-03-10T23:59", 1),
        ("2024-03-11", 2),
        ("2024-03-09", -1),  # the day before is Day -1: there is no Day 0
        ("2024-02-10", -29),
        ("2024-04-09", 31),  # hand computed: 21 days of March left + 9 of April + 1
        ("2025-03-10", 366),  # 2024 is a leap year: 366 days later is Day 367 - 1
    ],
)
def test_study_day_has_no_day_zero(dtc, expected):
    assert sd.study_day(RF, dtc) == expected


def test_study_day_is_never_zero_around_the_first_dose():
    days = [sd.study_day("2024-03-10", f"2024-03-{d:02d}") for d in range(1, 20)]
    assert 0 not in days
    assert days[8:10] == [-1, 1]


@pytest.mark.parametrize("dtc", [None, "", "2024", "2024-03", "2024---14", "garbage"])
def test_a_partial_or_missing_date_has_no_study_day(dtc):
    assert sd.study_day(RF, dtc) is None


@pytest.mark.parametrize("rf", [None, "", "2024-03"])
def test_no_reference_start_means_no_study_day(rf):
    assert sd.study_day(rf, "2024-03-11") is None


def test_full_date_reads_the_date_part():
    assert sd.full_date("2024-03-10T09:30:00") == date(2024, 3, 10)
    assert sd.full_date("2024-03") is None


def test_epoch_follows_the_schedule():
    last = sd.last_treatment_day(DOSING)
    assert last == DOSING.dose_days[-1] + DOSING.interval_days - 1

    def dtc(day: int) -> str:
        return (date(2024, 3, 10) + timedelta(days=day - 1)).isoformat()

    assert sd.epoch(RF, "2024-03-09", DOSING) == sd.SCREENING
    assert sd.epoch(RF, dtc(1), DOSING) == sd.TREATMENT
    assert sd.epoch(RF, dtc(last), DOSING) == sd.TREATMENT
    assert sd.epoch(RF, dtc(last + 1), DOSING) == sd.FOLLOW_UP


def test_epoch_without_a_first_dose_is_screening_and_without_a_date_unknown():
    assert sd.epoch(None, "2024-03-09", DOSING) == sd.SCREENING
    assert sd.epoch(RF, "2024-03", DOSING) is None
    assert sd.epoch(RF, None, DOSING) is None
