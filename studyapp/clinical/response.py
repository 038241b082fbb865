"""ITP response per IWG 2009 (Rodeghiero et al., Blood 2009;113:2386), operational rules [P].

Definitions [C] (platelets in 10^9/L, thresholds inclusive, values from ``ResponseRule``):
CR = count >= 100 and no bleeding; R = count >= 30 and >= 2 x baseline and no bleeding;
NR otherwise. CR/R need confirmation by counts >= 7 days apart; NR and loss by two counts on
different days (>= 1 day apart).

Operational algorithm (DOMAIN.md section 4):

1. *baseline_plt* is the last count on or before Day 1 pre-dose; *counts* are post-dose counts
   (study day >= 1), assessed in day order; counts on the same day are ordered worst level
   first (NE, NR, R, CR), so a worse count on a day ends a run before that day's better count.
2. A count on day d is not evaluable (``NE``) when 1 <= d - r <= rescue window (28 days) for
   a rescue day r; a count on the rescue day itself stays evaluable.
3. Level of an evaluable count: bleeding -> NR; else >= CR threshold -> CR; else >= R threshold
   and >= multiple x baseline -> R; else NR.
4. A run at level L is a maximal block of consecutive counts (NE included, so NE ends a run)
   all at level >= L. L is confirmed when a run spans >= confirmation days (last - first day).
5. Best response: CR if confirmed, else R (runs of R or CR counts), else NR. Time to response
   = first day of the earliest confirming run - 1 (days since the first dose on Day 1).
6. Loss of response: after the onset, two adjacent evaluable counts (NE skipped) at NR level on
   days >= loss confirmation days apart; the loss day is the first of them. Loss of CR is the
   same with "below CR level". Duration = loss day - onset day; without a loss it is censored at
   the last evaluable count at R level or better.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from studyapp.clinical.units import to_decimal
from studyapp.protocol.model import ResponseRule

#: Per-count levels, best first; NE = not evaluable (inside a rescue exclusion window).
LEVELS = ("CR", "R", "NR", "NE")
_RANK = {"CR": 2, "R": 1, "NR": 0, "NE": -1}


@dataclass(frozen=True)
class PlateletCount:
    """One post-dose platelet count: study day, count in 10^9/L, bleeding at that assessment."""

    day: int
    plt: float
    bleeding: bool


@dataclass(frozen=True)
class CountAssessment:
    """A count with its level: ``CR``, ``R``, ``NR`` or ``NE`` (not evaluable)."""

    day: int
    plt: float
    bleeding: bool
    level: str


@dataclass(frozen=True)
class ResponseAssessment:
    """Result of ``assess``; days are study days, durations in days."""

    best_response: str
    time_to_response_days: int | None
    time_to_cr_days: int | None
    response_onset_day: int | None
    loss_of_response: bool
    loss_of_response_day: int | None
    loss_of_cr: bool
    duration_of_response_days: int | None
    duration_censored: bool
    counts: tuple[CountAssessment, ...]


def _axis(day: int) -> int:
    """Continuous day axis (Day 1 -> 0, Day -1 -> -1) so differences are calendar days."""
    return day - 1 if day > 0 else day


def _check_inputs(
    baseline_plt: float, counts: Sequence[PlateletCount], rescue_days: Sequence[int]
) -> None:
    to_decimal(baseline_plt, "baseline_plt")
    for c in counts:
        if isinstance(c.day, bool) or not isinstance(c.day, int) or c.day < 1:
            raise ValueError(
                f"count day must be a study day >= 1 (post-dose), got {c.day!r}; "
                "pre-treatment counts give the baseline"
            )
        to_decimal(c.plt, f"platelet count on day {c.day}")
        if not isinstance(c.bleeding, bool):
            raise ValueError(f"bleeding on day {c.day} must be True or False, got {c.bleeding!r}")
    for r in rescue_days:
        if isinstance(r, bool) or not isinstance(r, int) or r == 0:
            raise ValueError(f"rescue day must be a study day (integer, no day 0), got {r!r}")


def is_bleeding(who_grade: int, rule: ResponseRule) -> bool:
    """Bleeding for response purposes: WHO grade (0-4) >= the protocol's minimum (1 [P])."""
    if isinstance(who_grade, bool) or not isinstance(who_grade, int) or not 0 <= who_grade <= 4:
        raise ValueError(f"WHO bleeding grade must be an integer 0-4, got {who_grade!r}")
    return who_grade >= rule.bleeding_min_who_grade


def in_rescue_exclusion(day: int, rescue_days: Sequence[int], rule: ResponseRule) -> bool:
    """Step 2: a count on study *day* is within 1..rescue_exclusion_days after a rescue day."""
    return any(1 <= _axis(day) - _axis(r) <= rule.rescue_exclusion_days for r in rescue_days)


def classify(
    count: PlateletCount, baseline: Decimal, rescue_days: Sequence[int], rule: ResponseRule
) -> str:
    """Level of one count (steps 2-3): ``NE``, ``NR``, ``CR`` or ``R``."""
    if in_rescue_exclusion(count.day, rescue_days, rule):
        return "NE"
    plt = to_decimal(count.plt, "plt")
    if count.bleeding:
        return "NR"
    if plt >= rule.cr_threshold:
        return "CR"
    if plt >= rule.r_threshold and plt >= rule.r_baseline_multiple * baseline:
        return "R"
    return "NR"


def _confirmed_onset(assessed: Sequence[CountAssessment], level: str, days: int) -> int | None:
    """First day of the earliest run at >= *level* spanning >= *days* (step 4), else None."""
    start: CountAssessment | None = None
    for i, c in enumerate(assessed):
        if _RANK[c.level] < _RANK[level]:
            start = None
            continue
        if start is None:
            start = c
        run_ends = i + 1 == len(assessed) or _RANK[assessed[i + 1].level] < _RANK[level]
        if run_ends and c.day - start.day >= days:
            return start.day
    return None


def _loss_day(assessed: Sequence[CountAssessment], onset: int, level: str, days: int) -> int | None:
    """First day of two adjacent evaluable counts after *onset* below *level* (step 6)."""
    evaluable = [c for c in assessed if c.level != "NE" and c.day > onset]
    for first, second in itertools.pairwise(evaluable):
        below = _RANK[first.level] < _RANK[level] and _RANK[second.level] < _RANK[level]
        if below and second.day - first.day >= days:
            return first.day
    return None


def assess(
    baseline_plt: float,
    counts: Sequence[PlateletCount],
    rescue_days: Sequence[int],
    *,
    rule: ResponseRule,
) -> ResponseAssessment:
    """Assess ITP response from a baseline and post-dose counts (see module docstring).

    ValueError for a negative, NaN or infinite count or baseline, a count day < 1, a rescue
    day 0, or a non-boolean bleeding flag. Input order of *counts* does not matter.
    """
    _check_inputs(baseline_plt, counts, rescue_days)
    assessed = _assessed_counts(baseline_plt, counts, rescue_days, rule)
    onset = _confirmed_onset(assessed, "R", rule.confirmation_days)
    cr_onset = _confirmed_onset(assessed, "CR", rule.confirmation_days)
    best = "CR" if cr_onset is not None else "R" if onset is not None else "NR"
    loss = _loss_after(assessed, onset, "R", rule.loss_confirmation_days)
    cr_loss = _loss_after(assessed, cr_onset, "CR", rule.loss_confirmation_days)
    return ResponseAssessment(
        best_response=best,
        time_to_response_days=None if onset is None else onset - 1,
        time_to_cr_days=None if cr_onset is None else cr_onset - 1,
        response_onset_day=onset,
        loss_of_response=loss is not None,
        loss_of_response_day=loss,
        loss_of_cr=cr_loss is not None,
        duration_of_response_days=_duration(assessed, onset, loss),
        duration_censored=onset is not None and loss is None,
        counts=assessed,
    )


def _assessed_counts(
    baseline_plt: float,
    counts: Sequence[PlateletCount],
    rescue_days: Sequence[int],
    rule: ResponseRule,
) -> tuple[CountAssessment, ...]:
    """Each count classified, in day order (ties in a fixed order, so input order is moot)."""
    baseline = to_decimal(baseline_plt, "baseline_plt")
    classified = [
        CountAssessment(c.day, c.plt, c.bleeding, classify(c, baseline, rescue_days, rule))
        for c in counts
    ]
    return tuple(sorted(classified, key=lambda c: (c.day, _RANK[c.level], c.plt, c.bleeding)))


def _loss_after(
    assessed: Sequence[CountAssessment], onset: int | None, level: str, days: int
) -> int | None:
    """The confirmed loss of *level* after its onset; None without onset or loss."""
    return None if onset is None else _loss_day(assessed, onset, level, days)


def _duration(
    assessed: Sequence[CountAssessment], onset: int | None, loss: int | None
) -> int | None:
    """Days from onset to the loss, or (censored) to the last count still responding."""
    if onset is None:
        return None
    end = loss if loss is not None else max(c.day for c in assessed if _RANK[c.level] >= 1)
    return end - onset
