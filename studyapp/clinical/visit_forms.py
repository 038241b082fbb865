"""Form-level status of a visit: which of its required forms are outstanding, and whether the
visit's data entry is finished (a visit is "done" only when every required form is).

A visit's required forms are the pages of its protocol forms that keep one record per visit
(the caller lists them: ``crf.registry.required_pages``). Each has a state: the status of its
record (in progress, complete, verified, frozen, locked) or, with no record, *missing* once
the visit took place or its window closed, else *not started*. A form is *outstanding* until
its record reaches one of the finished statuses the caller names (complete and after).

The next visit of a subject is the earliest planned visit that is still open: neither dated
nor declared missed. An overdue visit therefore comes before the next due one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from studyapp.clinical.schedule import PlannedVisit

#: A required form with no record at a visit that took place or whose window closed.
MISSING = "missing"
#: A required form with no record at a visit still to come or inside its window.
NOT_STARTED = "not_started"
#: A visit that took place (a date was entered) while required forms are outstanding.
PARTLY_ENTERED = "partly_entered"
#: Visit statuses (``clinical.schedule.STATUSES``) at which a form without a record is missing.
LATE = ("done", "done_out_of_window", "overdue")
#: Visit statuses that mean the visit took place.
TOOK_PLACE = ("done", "done_out_of_window")


@dataclass(frozen=True)
class VisitForms:
    """The required forms of one visit, each with its state, in the protocol's order."""

    states: tuple[tuple[str, str], ...]
    #: The forms whose record has not reached a finished status (missing, draft ...).
    outstanding: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.outstanding


def visit_forms(
    required: Iterable[str],
    statuses: Mapping[str, str],
    visit_status: str,
    finished: frozenset[str],
) -> VisitForms:
    """The state of each *required* form (by page key) of a visit in *visit_status*.

    *statuses* holds the status of each form that has a record at this visit; *finished* the
    record statuses that count as entered (complete, verified, frozen, locked).
    """
    absent = MISSING if visit_status in LATE else NOT_STARTED
    states = tuple((key, statuses.get(key, absent)) for key in required)
    outstanding = tuple(key for key, state in states if state not in finished)
    return VisitForms(states, outstanding)


def entry_status(visit_status: str, forms: VisitForms) -> str:
    """The status a visit is shown with: *partly entered* instead of done (in or out of the
    window) while a required form is outstanding; otherwise its schedule status."""
    if visit_status in TOOK_PLACE and not forms.complete:
        return PARTLY_ENTERED
    return visit_status


def next_open_visit(
    plan: Iterable[PlannedVisit], closed: Mapping[str, bool]
) -> PlannedVisit | None:
    """The earliest planned visit on or after Day 1 that is still open (None: none is).

    *closed* tells, by visit code, whether a visit is dated or declared missed (absent: open).
    An open visit whose window has passed (overdue) comes before the next due or upcoming one,
    whatever today's date: it is still to be done or declared missed.
    """
    for visit in plan:
        if visit.day >= 1 and not closed.get(visit.code, False):
            return visit
    return None
