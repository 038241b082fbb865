"""Visit compliance per planned visit: how many subjects did it in its window, out of it,
missed it, and how many visits are still upcoming, due or overdue, on the as-of date.

The statuses are the visit tracker's (``visits.schedule.tracker``), the same as on the tracker
page; this module only counts them, walking the study a batch of subjects at a time so memory
stays flat as the study grows. Subjects enrolled after the as-of date are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from studyapp.exports.operations.enrolment import enrolled_on
from studyapp.permissions import Action, require
from studyapp.visits.schedule.service import NOT_EXPECTED
from studyapp.visits.schedule.tracker import TrackerLine, enrolled_lines, planned_codes

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


def enrolled_by(as_of: date) -> Iterator[TrackerLine]:
    """The tracker's lines on *as_of* of the subjects enrolled by then, a batch at a time."""
    for line in enrolled_lines(as_of):
        enrolled = enrolled_on(line.subject)
        if enrolled is not None and enrolled <= as_of:
            yield line


class ComplianceCount:
    """Counts of each tracker status per planned visit, added a subject at a time."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.codes = planned_codes()
        self.counts = {code: dict.fromkeys(STATUSES, 0) for code, _ in self.codes}
        self.subjects = 0

    def add(self, line: TrackerLine) -> None:
        self.subjects += 1
        for code, counts in self.counts.items():
            cell = line.cells.get(code)
            if cell is not None:
                counts[cell.status] += 1

    def result(self) -> Compliance:
        visits = [VisitCompliance(code, name, self.counts[code]) for code, name in self.codes]
        return Compliance(self.as_of, self.subjects, visits)


def compliance(actor: Any, as_of: date) -> Compliance:
    """Counts of each tracker status per planned visit, on *as_of*."""
    require(actor, Action.VIEW_STUDY_DATA)
    count = ComplianceCount(as_of)
    for line in enrolled_by(as_of):
        count.add(line)
    return count.result()
