"""CTCAE v5.0 lab grades at every boundary, seriousness, clocks and the run-in rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.ctcae_tables import TABLES
from studyapp.clinical.grading import (
    in_dlt_window,
    is_serious,
    lab_grade,
    needs_review_task,
    report_deadline,
    runin_decision,
)
from studyapp.protocol.loader import get_protocol

PROTOCOL = get_protocol()
D = Decimal

# (testcd, value, lln, uln, expected grade) in SI units; "<A - B" means B <= x < A.
DECREASES = [
    ("PLAT", "150", "150", "400", None),
    ("PLAT", "149.9", "150", "400", 1),
    ("PLAT", "75", "150", "400", 1),
    ("PLAT", "74.9", "150", "400", 2),
    ("PLAT", "50", "150", "400", 2),  # DOMAIN: 50 -> G2
    ("PLAT", "49", "150", "400", 3),  # 49 -> G3
    ("PLAT", "25", "150", "400", 3),  # 25 -> G3
    ("PLAT", "24.9", "150", "400", 4),
    ("PLAT", "24", "150", "400", 4),  # 24 -> G4
    ("PLAT", "0", "150", "400", 4),
    ("NEUT", "1.8", "1.8", "6.3", None),
    ("NEUT", "1.5", "1.8", "6.3", 1),
    ("NEUT", "1.49", "1.8", "6.3", 2),
    ("NEUT", "1.0", "1.8", "6.3", 2),
    ("NEUT", "0.99", "1.8", "6.3", 3),
    ("NEUT", "0.5", "1.8", "6.3", 3),
    ("NEUT", "0.49", "1.8", "6.3", 4),
    ("WBC", "3.5", "3.5", "9.5", None),
    ("WBC", "3.0", "3.5", "9.5", 1),
    ("WBC", "2.99", "3.5", "9.5", 2),
    ("WBC", "2.0", "3.5", "9.5", 2),
    ("WBC", "1.99", "3.5", "9.5", 3),
    ("WBC", "1.0", "3.5", "9.5", 3),
    ("WBC", "0.99", "3.5", "9.5", 4),
    ("LYM", "1.1", "1.1", "3.2", None),
    ("LYM", "0.8", "1.1", "3.2", 1),
    ("LYM", "0.79", "1.1", "3.2", 2),
    ("LYM", "0.5", "1.1", "3.2", 2),
    ("LYM", "0.49", "1.1", "3.2", 3),
    ("LYM", "0.2", "1.1", "3.2", 3),
    ("LYM", "0.19", "1.1", "3.2", 4),
    ("HGB", "130", "130", "175", None),
    ("HGB", "100", "130", "175", 1),
    ("HGB", "99", "130", "175", 2),
    ("HGB", "80", "130", "175", 2),
    ("HGB", "79", "130", "175", 3),
    ("HGB", "10", "130", "175", 3),  # grade 4 anaemia is clinical, never from the value alone
]

INCREASES = [
    ("ALT", "40", "9", "40", None),
    ("ALT", "41", "9", "40", 1),
    ("ALT", "120", "9", "40", 1),  # DOMAIN: exactly 3 x ULN -> G1
    ("ALT", "121", "9", "40", 2),
    ("ALT", "200", "9", "40", 2),  # exactly 5 x ULN
    ("ALT", "201", "9", "40", 3),
    ("ALT", "800", "9", "40", 3),  # exactly 20 x ULN
    ("ALT", "801", "9", "40", 4),
    ("AST", "40", "15", "40", None),
    ("AST", "120", "15", "40", 1),
    ("AST", "121", "15", "40", 2),
    ("AST", "801", "15", "40", 4),
    ("BILI", "20", "3.4", "20", None),
    ("BILI", "20.1", "3.4", "20", 1),
    ("BILI", "30", "3.4", "20", 1),  # exactly 1.5 x ULN
    ("BILI", "30.1", "3.4", "20", 2),
    ("BILI", "60", "3.4", "20", 2),  # exactly 3 x ULN
    ("BILI", "60.1", "3.4", "20", 3),
    ("BILI", "200", "3.4", "20", 3),  # exactly 10 x ULN
    ("BILI", "200.1", "3.4", "20", 4),
    ("CREAT", "100", "57", "100", None),
    ("CREAT", "101", "57", "100", 1),
    ("CREAT", "150", "57", "100", 1),  # exactly 1.5 x ULN
    ("CREAT", "151", "57", "100", 2),
    ("CREAT", "300", "57", "100", 2),  # exactly 3 x ULN
    ("CREAT", "301", "57", "100", 3),
    ("CREAT", "600", "57", "100", 3),  # exactly 6 x ULN
    ("CREAT", "601", "57", "100", 4),
]


@pytest.mark.parametrize(("testcd", "value", "lln", "uln", "grade"), DECREASES + INCREASES)
def test_lab_grade_boundaries(
    testcd: str, value: str, lln: str, uln: str, grade: int | None
) -> None:
    unit = PROTOCOL.lab(testcd).si_unit
    assert lab_grade(testcd, D(value), unit, D(lln), D(uln)) == grade


# (testcd, value, uln, baseline, grade): baseline above ULN uses multiples of baseline.
BASELINE_CASES = [
    ("ALT", "89", "40", "60", None),  # 1.48 x BL
    ("ALT", "90", "40", "60", 1),  # exactly 1.5 x BL is grade 1 ("1.5 - 3.0 x BL")
    ("ALT", "180", "40", "60", 1),  # exactly 3 x BL
    ("ALT", "181", "40", "60", 2),
    ("ALT", "300", "40", "60", 2),  # exactly 5 x BL
    ("ALT", "301", "40", "60", 3),
    ("ALT", "1200", "40", "60", 3),  # exactly 20 x BL
    ("ALT", "1201", "40", "60", 4),
    ("ALT", "121", "40", "40", 2),  # baseline == ULN is normal: ULN criteria
    ("ALT", "121", "40", "30", 2),
    ("AST", "90", "40", "60", 1),
    ("BILI", "30", "20", "30", None),  # exactly 1.0 x BL
    ("BILI", "30.1", "20", "30", 1),
    ("BILI", "45", "20", "30", 1),  # exactly 1.5 x BL
    ("BILI", "45.1", "20", "30", 2),
    ("BILI", "90", "20", "30", 2),  # exactly 3 x BL
    ("BILI", "90.1", "20", "30", 3),
    ("BILI", "300", "20", "30", 3),  # exactly 10 x BL
    ("BILI", "300.1", "20", "30", 4),
    ("CREAT", "90", "100", "60", None),  # exactly 1.5 x BL and <= ULN
    ("CREAT", "91", "100", "60", 2),  # > 1.5 x BL: grade 2 even within the normal range
    ("CREAT", "180", "100", "60", 2),  # exactly 3 x BL (1.8 x ULN -> 2 too)
    ("CREAT", "181", "100", "60", 3),  # > 3 x BL
    ("CREAT", "601", "100", "60", 4),
    ("CREAT", "101", "100", "90", 1),  # 1.12 x BL: only the ULN criterion applies
]


@pytest.mark.parametrize(("testcd", "value", "uln", "baseline", "grade"), BASELINE_CASES)
def test_lab_grade_with_baseline(
    testcd: str, value: str, uln: str, baseline: str, grade: int | None
) -> None:
    unit = PROTOCOL.lab(testcd).si_unit
    assert lab_grade(testcd, D(value), unit, D(0), D(uln), D(baseline)) == grade


def test_lab_grade_converts_units() -> None:
    assert lab_grade("PLAT", 50000, "/uL", 150000, 400000) == 2
    assert lab_grade("HGB", 7.9, "g/dL", 13, 17.5) == 3
    assert lab_grade("BILI", 1.5, "mg/dL", 0.2, 1.2) == 1  # 25.65 vs ULN 20.52 umol/L
    assert lab_grade("CREAT", D("3.5"), "mg/dL", D("0.6"), D("1.1")) == 3  # 3.18 x ULN


def test_lab_grade_needs_lln_only_for_grade_1() -> None:
    assert lab_grade("PLAT", 60, "10^9/L", None, None) == 2
    with pytest.raises(
        ValueError, match="grade 1 is defined relative to LLN; give the laboratory's lln"
    ):
        lab_grade("PLAT", 100, "10^9/L", None, None)
    with pytest.raises(ValueError, match="grade 4 is defined relative to ULN"):
        lab_grade("ALT", 100, "U/L", None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("IGG", 5, "g/L", 7, 16), "no CTCAE v5.0 lab grading for 'IGG'; graded: PLAT"),
        (("PLAT", 50, "g/L", 150, 400), "value: unknown unit 'g/L' for PLAT"),
        (("PLAT", -1, "10^9/L", 150, 400), "value: PLAT value must be >= 0"),
        (("PLAT", float("nan"), "10^9/L", 150, 400), "value: PLAT value must be a finite number"),
        (("PLAT", 50, "10^9/L", -1, 400), "lln: PLAT value must be >= 0"),
        (("PLAT", 50, "10^9/L", 400, 150), "PLAT: lln 400 is above uln 150"),
        (
            ("ALT", 50, "U/L", 0, None, 60),
            "ALT: uln is needed to tell whether baseline 60 is normal",
        ),
        (("ALT", 50, "U/L", 0, 40, -1), "baseline: ALT value must be >= 0"),
    ],
)
def test_lab_grade_rejects(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lab_grade(*args)  # type: ignore[arg-type]


def test_every_table_has_a_source() -> None:
    assert {"PLAT", "NEUT", "WBC", "LYM", "HGB", "ALT", "AST", "BILI", "CREAT"} == set(TABLES)
    assert all(t.source.startswith("CTCAE v5.0") for t in TABLES.values())


def _g(grade: int | None) -> int:
    return grade or 0


@given(
    st.sampled_from(["PLAT", "NEUT", "WBC", "LYM", "HGB"]),
    st.decimals(min_value=0, max_value=500, places=2),
    st.decimals(min_value=0, max_value=500, places=2),
)
def test_grade_never_decreases_as_a_count_falls(testcd: str, a: Decimal, b: Decimal) -> None:
    lab = PROTOCOL.lab(testcd)
    low, high = sorted((a, b))
    lln, uln = lab.ranges[0].low, lab.ranges[0].high
    assert _g(lab_grade(testcd, low, lab.si_unit, lln, uln)) >= _g(
        lab_grade(testcd, high, lab.si_unit, lln, uln)
    )


@given(
    st.sampled_from(["ALT", "AST", "BILI", "CREAT"]),
    st.decimals(min_value=0, max_value=5000, places=1),
    st.decimals(min_value=0, max_value=5000, places=1),
    st.one_of(st.none(), st.decimals(min_value=1, max_value=200, places=1)),
)
def test_grade_never_decreases_as_a_value_rises(
    testcd: str, a: Decimal, b: Decimal, baseline: Decimal | None
) -> None:
    low, high = sorted((a, b))
    unit = PROTOCOL.lab(testcd).si_unit
    g_low = lab_grade(testcd, low, unit, D(1), D(40), baseline)
    g_high = lab_grade(testcd, high, unit, D(1), D(40), baseline)
    assert _g(g_high) >= _g(g_low)


CRITERIA = ("aesdth", "aeslife", "aeshosp", "aesdisab", "aescong", "aesmie")


def test_not_serious_when_no_criterion() -> None:
    assert not is_serious(**dict.fromkeys(CRITERIA, False))


@pytest.mark.parametrize("criterion", CRITERIA)
def test_each_ich_e2a_criterion_makes_serious(criterion: str) -> None:
    answers = dict.fromkeys(CRITERIA, False)
    answers[criterion] = True
    assert is_serious(**answers)


def test_seriousness_needs_every_answer() -> None:
    answers: dict[str, object] = dict.fromkeys(CRITERIA, False)
    answers["aeshosp"] = None
    with pytest.raises(ValueError, match="aeshosp must be True or False, got None"):
        is_serious(**answers)  # type: ignore[arg-type]


CST = timezone(timedelta(hours=8))
AWARE = datetime(2026, 1, 5, 22, 30, tzinfo=CST)


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        ("SAE", datetime(2026, 1, 6, 22, 30, tzinfo=CST)),
        ("SUSAR_FATAL", datetime(2026, 1, 12, 23, 59, 59, 999999, tzinfo=CST)),  # day 0 = Jan 5
        ("SUSAR_FATAL_FOLLOWUP", datetime(2026, 1, 20, 23, 59, 59, 999999, tzinfo=CST)),
        ("SUSAR", datetime(2026, 1, 20, 23, 59, 59, 999999, tzinfo=CST)),
    ],
)
def test_report_deadline(kind: str, due: datetime) -> None:
    assert report_deadline(kind, AWARE, PROTOCOL.safety) == due


def test_report_deadline_rejects() -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        report_deadline("SAE", datetime(2026, 1, 5, 10, 0), PROTOCOL.safety)  # noqa: DTZ001
    with pytest.raises(ValueError, match="unknown report kind 'SUSARS'; allowed: SAE"):
        report_deadline("SUSARS", AWARE, PROTOCOL.safety)


@pytest.mark.parametrize(("grade", "task"), [(1, False), (2, False), (3, True), (5, True)])
def test_needs_review_task(grade: int, task: bool) -> None:
    assert needs_review_task(grade, PROTOCOL.safety) is task


@pytest.mark.parametrize("grade", [0, 6, True, "3"])
def test_needs_review_task_rejects(grade: object) -> None:
    with pytest.raises(ValueError, match="CTCAE grade must be an integer 1-5"):
        needs_review_task(grade, PROTOCOL.safety)  # type: ignore[arg-type]


@pytest.mark.parametrize(("day", "inside"), [(-1, False), (1, True), (28, True), (29, False)])
def test_dlt_window(day: int, inside: bool) -> None:
    assert in_dlt_window(day, PROTOCOL.run_in) is inside


def test_dlt_window_rejects_day_zero() -> None:
    with pytest.raises(ValueError, match="day 0"):
        in_dlt_window(0, PROTOCOL.run_in)


@pytest.mark.parametrize(
    ("finished", "dlts", "decision"),
    [
        (0, 0, "pending"),
        (2, 0, "pending"),
        (2, 1, "pending"),
        (3, 0, "open"),  # 0/3
        (3, 1, "expand"),  # 1/3 adds 3
        (5, 1, "expand"),
        (6, 1, "open"),  # 1/6
        (1, 2, "halt"),  # >= 2 halts at once
        (6, 2, "halt"),
    ],
)
def test_runin_decision(finished: int, dlts: int, decision: str) -> None:
    assert runin_decision(finished, dlts, PROTOCOL.run_in) == decision


def test_runin_decision_stricter_rule_halts_after_expansion() -> None:
    rule = replace(PROTOCOL.run_in, open_after_expansion_if_dlt_at_most=0)
    assert runin_decision(6, 1, rule) == "halt"


@pytest.mark.parametrize(("finished", "dlts"), [(-1, 0), (7, 0), (0, 7), (True, 0)])
def test_runin_decision_rejects(finished: int, dlts: int) -> None:
    with pytest.raises(ValueError, match="must be an integer 0-6"):
        runin_decision(finished, dlts, PROTOCOL.run_in)
