"""Visit compliance per planned visit: how many subjects did it in its window, out of it,
missed it, and how many visits are still upcoming, due or overdue, on the as-of date.

The statuses are the visit tracker's (``visits.schedule.tracker``), the same as on the tracker
page; this module only counts them. Subjects enrolled after the as-of date are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from studyapp.exports.operations.enrolment import enrolled_on
from studyapp.visits.schedule.service import NOT_EXPECTED
from studyapp.visits.schedule.tracker import Tracker, TrackerLine, tracker

#: The counted statuses, in the order of the table and the bars.
STATUSES = ("done", "done_out_of_window", "missed", "overdue", "due", "upcoming", NOT_EXPECTED)
#: Statuses whose window has closed or whose visit took place: the denominator of the rate.
EXPECTED = ("done", "done_out_of_window", "missed", "overdue")


@dataclass(frozen=True)
class VisitCompliance:
    code: str
    name: str
    counts: dict[str, int]

    @property
    def expected(self) -> int:
        return sum(self.counts[s] for s in EXPECTED)

    @property
    def in_window_percent(self) -> int | None:
        """Visits done in window out of those expected by now, rounded; None if none is."""
        return round(100 * self.counts["done"] / self.expected) if self.expected else None


@dataclass(frozen=True)
class Compliance:
    as_of: date
    subjects: int
    visits: list[VisitCompliance]
    board: Tracker


def lines_as_of(board: Tracker, as_of: date) -> list[TrackerLine]:
    """The tracker's subjects who were enrolled on *as_of*."""
    return [
        line
        for line in board.lines
        if (enrolled := enrolled_on(line.subject)) is not None and enrolled <= as_of
    ]


def compliance(actor: Any, as_of: date) -> Compliance:
    """Counts of each tracker status per planned visit, on *as_of*."""
    board = tracker(actor, as_of)
    lines = lines_as_of(board, as_of)
    visits = []
    for code, name in board.codes:
        counts = dict.fromkeys(STATUSES, 0)
        for line in lines:
            cell = line.cells.get(code)
            if cell is not None:
                counts[cell.status] += 1
        visits.append(VisitCompliance(code, name, counts))
    return Compliance(as_of, len(lines), visits, board)
