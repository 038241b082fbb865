"""Visit dates, windows and status, from Day 1 (DOMAIN.md section 2; CDISC SDTM --DY).

Day 1 is the date of the first infusion (RFSTDTC). The target date of a visit planned on study
day N is Day 1 + (N - 1) for N >= 1 and Day 1 + N for N <= -1 (CDISC has no day 0). Windows are
calendar days before/after the target, anchored to Day 1, never to the previous visit. The
protocol model rejects overlapping windows, so a date belongs to at most one planned visit
(``visit_for_date``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from studyapp.protocol.model import Protocol

#: Visit statuses returned by ``visit_status``.
STATUSES = ("upcoming", "due", "overdue", "missed", "done", "done_out_of_window")


@dataclass(frozen=True)
class PlannedVisit:
    """A planned visit of one subject: target date and the inclusive window [earliest, latest]."""

    code: str
    visitnum: Decimal
    name: str
    day: int
    target: date
    earliest: date
    latest: date
    forms: tuple[str, ...]
    #: The visit's name in Simplified Chinese (the protocol's ``name_zh``).
    name_zh: str = ""

    def in_window(self, d: date) -> bool:
        """True when *d* is within the window, both ends included."""
        return self.earliest <= d <= self.latest


def study_day(day1: date, d: date) -> int:
    """CDISC study day (--DY) of *d*: d - Day 1 + 1 on/after Day 1, d - Day 1 before; no day 0."""
    delta = (d - day1).days
    return delta + 1 if delta >= 0 else delta


def date_of_day(day1: date, day: int) -> date:
    """Calendar date of study *day* (inverse of ``study_day``); ValueError for day 0."""
    if day == 0:
        raise ValueError(
            "study day 0 does not exist (CDISC): use 1 for Day 1 or -1 for the day before"
        )
    return day1 + timedelta(days=day - 1 if day > 0 else day)


def visit_plan(day1: date, protocol: Protocol) -> list[PlannedVisit]:
    """The planned visits of a subject whose Day 1 is *day1*, in schedule order.

    Visits without a planned day (early termination, unscheduled) are not part of the plan.
    Visit order and non-overlap are guaranteed by ``Protocol`` (ValueError at construction).
    """
    plan = []
    for visit in protocol.visits:
        if visit.day is None:
            continue
        target = date_of_day(day1, visit.day)
        plan.append(
            PlannedVisit(
                code=visit.code,
                visitnum=visit.visitnum,
                name=visit.name,
                day=visit.day,
                target=target,
                earliest=target - timedelta(days=visit.window_before),
                latest=target + timedelta(days=visit.window_after),
                forms=visit.forms,
                name_zh=visit.name_zh,
            )
        )
    return plan


def visit_status(
    planned: PlannedVisit, actual_date: date | None, today: date, *, missed: bool = False
) -> str:
    """Status of a planned visit on *today*.

    * ``done`` / ``done_out_of_window``: a visit date was entered, inside / outside the window;
    * ``missed``: declared missed (with a reason, recorded by the caller);
    * ``upcoming``: before the window; ``due``: inside it; ``overdue``: window passed, no data.

    ValueError when a visit is both dated and declared missed, or dated after *today*.
    """
    if actual_date is not None:
        if missed:
            raise ValueError(
                f"visit {planned.code}: has a visit date ({actual_date}) and is declared missed; "
                "clear one of them"
            )
        if actual_date > today:
            raise ValueError(
                f"visit {planned.code}: visit date {actual_date} is after today ({today})"
            )
        return "done" if planned.in_window(actual_date) else "done_out_of_window"
    if missed:
        return "missed"
    if today < planned.earliest:
        return "upcoming"
    if today <= planned.latest:
        return "due"
    return "overdue"


def visit_for_date(plan: list[PlannedVisit], d: date) -> PlannedVisit | None:
    """The planned visit whose window contains *d*, or None when *d* is in no window.

    At most one window can contain a date (the protocol rejects overlaps); None is a valid
    answer here (an unscheduled visit), not a sign of bad input.
    """
    for planned in plan:
        if planned.in_window(d):
            return planned
    return None
