"""The visit schedule: each visit with its planned day and window, and the checks that make
any calendar date fall in at most one planned window.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from studyapp.protocol.invariants import require, unique


@dataclass(frozen=True)
class VisitDef:
    """One visit of the schedule.

    ``day`` is the planned study day (CDISC, no day 0) or None for visits that happen at any
    time (early termination, unscheduled). The window is in calendar days before/after the
    target date and is anchored to Day 1, never to the previous visit.
    """

    code: str
    visitnum: Decimal
    name: str
    day: int | None
    window_before: int
    window_after: int
    forms: tuple[str, ...]
    #: The visit added at any time with a reason (numbered after the previous visit).
    unscheduled: bool = False
    #: The name in Simplified Chinese ("" when the file gives none).
    name_zh: str = ""

    def __post_init__(self) -> None:
        require(
            not (self.unscheduled and self.day is not None),
            f"visit {self.code}: an unscheduled visit cannot have a planned day",
        )
        require(self.day != 0, f"visit {self.code}: day 0 does not exist in CDISC study days")
        require(
            self.window_before >= 0 and self.window_after >= 0,
            f"visit {self.code}: window_before/window_after must be >= 0, got "
            f"{self.window_before}/{self.window_after}",
        )
        require(
            self.day is not None or (self.window_before == 0 and self.window_after == 0),
            f"visit {self.code}: a visit without a planned day cannot have a window",
        )


def check_visits(visits: tuple[VisitDef, ...]) -> None:
    """Reject a visit list that is out of order or whose windows overlap.

    Rule that makes a date unambiguous: planned visits (those with a day) must be in strictly
    increasing day and VISITNUM order, and each window must end before the next one starts,
    so any calendar date falls in at most one planned window. Unplanned visits (no day) may
    appear anywhere but need unique codes and VISITNUMs.
    """
    unique([v.code for v in visits], "visit code")
    unique([str(v.visitnum) for v in visits], "visit visitnum")
    require(bool(visits), "visits: at least one visit is needed")
    planned = [(v, v.day) for v in visits if v.day is not None]
    for (prev, prev_day), (nxt, next_day) in itertools.pairwise(planned):
        require(
            prev_day < next_day and prev.visitnum < nxt.visitnum,
            f"visits out of order: {nxt.code} (day {next_day}, VISITNUM {nxt.visitnum}) comes "
            f"after {prev.code} (day {prev_day}, VISITNUM {prev.visitnum}); list planned visits "
            "by increasing day and VISITNUM",
        )
        prev_last = _offset(prev_day, prev.window_after)
        next_first = _offset(next_day, -nxt.window_before)
        require(
            prev_last < next_first,
            f"visit windows overlap: {prev.code} ends on day {prev_last} but {nxt.code} starts "
            f"on day {next_first}; narrow one of the windows",
        )


def _offset(day: int, days: int) -> int:
    """Study day *days* calendar days after study *day*, skipping the missing day 0.

    Works on a continuous axis (Day 1 -> 0, Day -1 -> -1) and maps back, so that comparing
    offsets is comparing calendar dates.
    """
    axis = (day - 1 if day > 0 else day) + days
    return axis + 1 if axis >= 0 else axis
