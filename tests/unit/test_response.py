"""ITP response (IWG 2009) on hand-worked cases from DOMAIN.md section 4, with boundaries."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.response import (
    PlateletCount,
    ResponseAssessment,
    assess,
    is_bleeding,
)
from studyapp.protocol.loader import get_protocol

RULE = get_protocol().response


def run(
    baseline: float, counts: Sequence[tuple[int, float, bool]], rescue: list[int] | None = None
) -> ResponseAssessment:
    return assess(baseline, [PlateletCount(*c) for c in counts], rescue or [], rule=RULE)


def levels(result: ResponseAssessment) -> list[str]:
    return [c.level for c in result.counts]


# (case, baseline, counts (day, plt, bleeding), rescue days, best, time to response, levels)
CASES = [
    (
        "CR confirmed 7 days apart",
        10,
        [(8, 120, False), (15, 130, False)],
        [],
        "CR",
        7,
        ["CR", "CR"],
    ),
    (
        "CR counts 6 days apart: not confirmed",
        10,
        [(8, 120, False), (14, 130, False)],
        [],
        "NR",
        None,
        ["CR", "CR"],
    ),
    ("exactly 100 is CR", 10, [(8, 100, False), (15, 100, False)], [], "CR", 7, ["CR", "CR"]),
    ("99.9 is R", 10, [(8, 99.9, False), (15, 99.9, False)], [], "R", 7, ["R", "R"]),
    ("exactly 30 (>= 2 x 10) is R", 10, [(8, 30, False), (15, 30, False)], [], "R", 7, ["R", "R"]),
    ("29.9 is NR", 10, [(8, 29.9, False), (15, 29.9, False)], [], "NR", None, ["NR", "NR"]),
    ("exactly 2 x baseline is R", 25, [(8, 50, False), (15, 50, False)], [], "R", 7, ["R", "R"]),
    (
        "below 2 x baseline is NR",
        25,
        [(8, 49.9, False), (15, 49.9, False)],
        [],
        "NR",
        None,
        ["NR", "NR"],
    ),
    (
        "bleeding with a high count is NR",
        10,
        [(8, 150, True), (15, 150, False)],
        [],
        "NR",
        None,
        ["NR", "CR"],
    ),
    (
        "bleeding delays confirmation",
        10,
        [(8, 150, True), (15, 150, False), (22, 150, False)],
        [],
        "CR",
        14,
        ["NR", "CR", "CR"],
    ),
    (
        "R and CR counts confirm R only",
        10,
        [(8, 50, False), (12, 120, False), (15, 120, False)],
        [],
        "R",
        7,
        ["R", "CR", "CR"],
    ),
    (
        "an NR count breaks a run",
        10,
        [(8, 120, False), (11, 20, False), (15, 120, False)],
        [],
        "NR",
        None,
        ["CR", "NR", "CR"],
    ),
    (
        "input order does not matter",
        10,
        [(15, 130, False), (8, 120, False)],
        [],
        "CR",
        7,
        ["CR", "CR"],
    ),
    ("no counts", 10, [], [], "NR", None, []),
    (
        "count on the rescue day stays evaluable; next 28 days are not",
        10,
        [(8, 120, False), (10, 120, False), (15, 120, False)],
        [10],
        "NR",
        None,
        ["CR", "CR", "NE"],
    ),
    ("last day of the rescue window is NE", 10, [(38, 120, False)], [10], "NR", None, ["NE"]),
    (
        "the day after the rescue window is evaluable",
        10,
        [(38, 120, False), (39, 120, False), (46, 120, False)],
        [10],
        "CR",
        38,
        ["NE", "CR", "CR"],
    ),
    (
        "rescue on day -5: day 24 is 28 calendar days later (no day 0)",
        10,
        [(24, 120, False), (25, 120, False)],
        [-5],
        "NR",
        None,
        ["NE", "CR"],
    ),
]


@pytest.mark.parametrize(
    ("case", "baseline", "counts", "rescue", "best", "ttr", "expected_levels"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_response_cases(
    case: str,
    baseline: float,
    counts: list[tuple[int, float, bool]],
    rescue: list[int],
    best: str,
    ttr: int | None,
    expected_levels: list[str],
) -> None:
    result = run(baseline, counts, rescue)
    assert (result.best_response, result.time_to_response_days) == (best, ttr), case
    assert levels(result) == expected_levels


def test_loss_of_response() -> None:
    result = run(10, [(8, 60, False), (15, 60, False), (22, 25, False), (29, 20, False)])
    assert result.best_response == "R"
    assert (result.loss_of_response, result.loss_of_response_day) == (True, 22)
    assert (result.duration_of_response_days, result.duration_censored) == (14, False)


def test_single_nr_count_is_not_a_loss() -> None:
    result = run(10, [(8, 60, False), (15, 60, False), (22, 25, False), (29, 60, False)])
    assert not result.loss_of_response
    assert (result.duration_of_response_days, result.duration_censored) == (21, True)


def test_two_nr_counts_on_the_same_day_are_not_a_loss() -> None:
    result = run(10, [(8, 60, False), (15, 60, False), (22, 25, False), (22, 20, False)])
    assert not result.loss_of_response


def test_loss_skips_non_evaluable_counts() -> None:
    counts = [(8, 60, False), (15, 60, False), (22, 25, False), (30, 90, False), (60, 20, False)]
    result = run(10, counts, [23])
    assert levels(result) == ["R", "R", "NR", "NE", "NR"]
    assert result.loss_of_response_day == 22


def test_bleeding_after_response_counts_towards_loss() -> None:
    result = run(10, [(8, 150, False), (15, 150, False), (22, 150, True), (29, 150, True)])
    assert (result.best_response, result.loss_of_response, result.loss_of_cr) == ("CR", True, True)


def test_loss_of_cr_without_loss_of_response() -> None:
    result = run(10, [(8, 120, False), (15, 120, False), (22, 80, False), (29, 70, False)])
    assert (result.best_response, result.time_to_cr_days) == ("CR", 7)
    assert (result.loss_of_cr, result.loss_of_response) == (True, False)
    assert result.duration_of_response_days == 21  # censored at day 29, still in R
    assert result.duration_censored


def test_no_response_has_no_duration() -> None:
    result = run(10, [(8, 20, False)])
    assert result.duration_of_response_days is None
    assert not result.duration_censored
    assert result.time_to_cr_days is None


def test_rescue_window_comes_from_the_protocol() -> None:
    rule = replace(RULE, rescue_exclusion_days=56)  # romiplostim-trial alternative: 8 weeks
    result = assess(10, [PlateletCount(50, 120, False)], [10], rule=rule)
    assert levels(result) == ["NE"]


@pytest.mark.parametrize(
    ("baseline", "counts", "rescue", "message"),
    [
        (-1, [], [], "baseline_plt must be >= 0"),
        (float("nan"), [], [], "baseline_plt must be a finite number"),
        (10, [PlateletCount(0, 50, False)], [], "count day must be a study day >= 1"),
        (10, [PlateletCount(-3, 50, False)], [], "pre-treatment counts give the baseline"),
        (10, [PlateletCount(True, 50, False)], [], "count day must be"),
        (10, [PlateletCount(8, -5, False)], [], "platelet count on day 8 must be >= 0"),
        (
            10,
            [PlateletCount(8, float("inf"), False)],
            [],
            "platelet count on day 8 must be a finite",
        ),
        (10, [PlateletCount(8, 50, None)], [], "bleeding on day 8 must be True or False"),  # type: ignore[arg-type]
        (10, [], [0], "rescue day must be a study day"),
        (10, [], [True], "rescue day must be a study day"),
    ],
)
def test_bad_input(
    baseline: float, counts: list[PlateletCount], rescue: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        assess(baseline, counts, rescue, rule=RULE)


@pytest.mark.parametrize(("grade", "bleeding"), [(0, False), (1, True), (4, True)])
def test_is_bleeding(grade: int, bleeding: bool) -> None:
    assert is_bleeding(grade, RULE) is bleeding


def test_is_bleeding_who_2_variant() -> None:
    assert not is_bleeding(1, replace(RULE, bleeding_min_who_grade=2))


@pytest.mark.parametrize("grade", [-1, 5, True])
def test_is_bleeding_rejects(grade: int) -> None:
    with pytest.raises(ValueError, match="WHO bleeding grade must be an integer 0-4"):
        is_bleeding(grade, RULE)


count_st = st.builds(
    PlateletCount,
    day=st.integers(1, 200),
    plt=st.sampled_from([0.0, 10.0, 25.0, 29.9, 30.0, 45.0, 60.0, 99.9, 100.0, 250.0]),
    bleeding=st.booleans(),
)
rescue_st = st.lists(st.integers(-20, 200).filter(bool), max_size=2)


@given(st.lists(count_st, max_size=10), count_st, rescue_st, st.sampled_from([5.0, 15.0, 40.0]))
def test_adding_a_later_count_never_delays_time_to_response(
    counts: list[PlateletCount], extra: PlateletCount, rescue: list[int], baseline: float
) -> None:
    """Counts arrive in time order: a new count after the last one cannot undo a response."""
    before = assess(baseline, counts, rescue, rule=RULE)
    later = replace(extra, day=max((c.day for c in counts), default=0) + extra.day)
    after = assess(baseline, [*counts, later], rescue, rule=RULE)
    if before.time_to_response_days is not None:
        assert after.time_to_response_days is not None
        assert after.time_to_response_days <= before.time_to_response_days


def test_inserting_a_count_inside_a_run_can_undo_a_response() -> None:
    """Why the property above is about later counts: an NR count inside a run breaks it."""
    assert run(10, [(8, 60, False), (15, 60, False)]).time_to_response_days == 7
    assert run(10, [(8, 60, False), (10, 20, False), (15, 60, False)]).time_to_response_days is None


@given(st.lists(count_st, max_size=10), rescue_st, st.randoms())
def test_result_does_not_depend_on_input_order(
    counts: list[PlateletCount], rescue: list[int], rnd: random.Random
) -> None:
    shuffled = list(counts)
    rnd.shuffle(shuffled)
    a = assess(20.0, counts, rescue, rule=RULE)
    b = assess(20.0, shuffled, rescue, rule=RULE)
    assert a == b


def test_same_day_counts_worst_first() -> None:
    """A worse count on day 15 ends the day-8 run before day 15's better count starts one."""
    counts = [(8, 120, False), (15, 120, False), (15, 20, False), (22, 120, False)]
    result = run(10, counts)
    assert levels(result) == ["CR", "NR", "CR", "CR"]
    assert result.time_to_response_days == 14
