"""Durable platelet response, this trial's optional secondary endpoint (DOMAIN.md section 4) [P].

Durable = a count >= ``durable_threshold`` (50 x10^9/L, inclusive) in >= ``durable_k`` (4) of
the last ``durable_n`` (6) follow-up counts. Follow-up counts are those dated after the
``durable_after_visit`` visit (end of treatment, Day 57; its own day excluded, as premedication
steroids may still act), unscheduled and early-termination counts included. A count within the
rescue exclusion (``response.in_rescue_exclusion``: 1-28 days after a rescue day) keeps its
place among the last n but never qualifies; with fewer than n counts the missing ones do not
qualify.

Status: ``yes`` when >= k of the last n qualify; else ``not_yet`` (not yet assessable) while
fewer than n follow-up counts exist and follow-up goes on; else ``no``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from studyapp.clinical.response import in_rescue_exclusion
from studyapp.clinical.units import Number, to_decimal
from studyapp.protocol.model import ResponseRule

#: Outcomes of ``durable_response``.
DURABLE_STATUSES = ("yes", "no", "not_yet")


@dataclass(frozen=True)
class DurableCount:
    """One of the last n follow-up counts: study day, 10^9/L, rescue-excluded, qualifies."""

    day: int
    plt: Decimal
    rescue_excluded: bool
    qualifies: bool


@dataclass(frozen=True)
class DurableResponse:
    """Result of ``durable_response``: the counts used (day order) and how many qualify."""

    status: str
    qualifying: int
    threshold: Decimal
    needed: int
    window: int
    used: tuple[DurableCount, ...]

    @property
    def missing(self) -> int:
        """How many of the last n follow-up counts do not exist (yet)."""
        return self.window - len(self.used)


def _check_day(day: object, name: str) -> int:
    if isinstance(day, bool) or not isinstance(day, int) or day == 0:
        raise ValueError(f"{name} must be a study day (integer, no day 0), got {day!r}")
    return day


def durable_response(
    counts: Sequence[tuple[int, Number]],
    rescue_days: Sequence[int],
    *,
    after_day: int,
    follow_up_over: bool,
    rule: ResponseRule,
) -> DurableResponse:
    """Durable response from (study day, count) pairs (module docstring).

    *after_day*: study day of the ``durable_after_visit`` visit; only counts on later days are
    follow-up counts. *follow_up_over*: the subject's follow-up has ended (end of study or early
    termination), so missing counts will never come. Same-day counts are ordered by value, so
    input order does not matter. ValueError for a day 0 or a negative or non-finite count.
    """
    _check_day(after_day, "after_day")
    for r in rescue_days:
        _check_day(r, "rescue day")
    checked = [(_check_day(d, "count day"), to_decimal(v, f"count on day {d}")) for d, v in counts]
    follow_up = sorted((d, v) for d, v in checked if d > after_day)
    used = tuple(_count(d, v, rescue_days, rule) for d, v in follow_up[-rule.durable_n :])
    qualifying = sum(c.qualifies for c in used)
    if qualifying >= rule.durable_k:
        status = "yes"
    elif len(used) < rule.durable_n and not follow_up_over:
        status = "not_yet"
    else:
        status = "no"
    return DurableResponse(
        status, qualifying, rule.durable_threshold, rule.durable_k, rule.durable_n, used
    )


def _count(day: int, plt: Decimal, rescue_days: Sequence[int], rule: ResponseRule) -> DurableCount:
    excluded = in_rescue_exclusion(day, rescue_days, rule)
    return DurableCount(day, plt, excluded, not excluded and plt >= rule.durable_threshold)
