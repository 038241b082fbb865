"""The study-wide visit tracker: every enrolled subject's calendar side by side, and the
home page's list of visits due or overdue today."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from studyapp.auth.models import User
from studyapp.clinical.schedule import STATUSES
from studyapp.clinical.visit_forms import PARTLY_ENTERED
from studyapp.localized import local
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits.schedule import walk
from studyapp.visits.schedule.service import NOT_EXPECTED, CalendarRow

TRACKER_FILTERS = (
    "all",
    "due",
    "overdue",
    "overdue_week",
    "out_of_window",
    "missed",
    PARTLY_ENTERED,
)


@dataclass(frozen=True)
class TrackerLine:
    subject: Subject
    cells: dict[str, CalendarRow]


@dataclass(frozen=True)
class Tracker:
    codes: list[tuple[str, str]]  # (code, name) of the planned visits, in order
    lines: list[TrackerLine]
    counts: dict[str, int]


def _matches(row: CalendarRow, wanted: str, today: date) -> bool:
    if wanted == "overdue_week":
        return (
            row.status == "overdue"
            and row.latest is not None
            and (row.latest >= today - timedelta(days=7))
        )
    if wanted == "out_of_window":
        return row.status == "done_out_of_window"
    if wanted == PARTLY_ENTERED:
        return row.shown_status == PARTLY_ENTERED
    return row.status == wanted


def enrolled_lines(today: date) -> Iterator[TrackerLine]:
    """Each enrolled subject with a Day 1 and its planned visits on *today*, in subject number
    order, a batch of subjects at a time (``schedule.walk``)."""
    for subject, rows in walk.calendars(today):
        yield TrackerLine(subject, {r.code: r for r in rows if r.planned})


def planned_codes() -> list[tuple[str, str]]:
    """(code, name) of the protocol's planned visits, in order: the tracker's columns."""
    return [(v.code, local(v)) for v in get_protocol().visits if v.day is not None]


def tracker(actor: User, today: date, wanted: str = "all") -> Tracker:
    """All enrolled subjects by planned visit, with counts of each status across the study.

    ``overdue_week`` keeps the visits whose window closed in the last 7 days and have no data.
    """
    require(actor, Action.VIEW_STUDY_DATA)
    counts = dict.fromkeys((*STATUSES, NOT_EXPECTED, PARTLY_ENTERED, "overdue_week"), 0)
    lines = []
    for line in enrolled_lines(today):
        rows = list(line.cells.values())
        for row in rows:
            counts[row.status] += 1
            counts[PARTLY_ENTERED] += row.shown_status == PARTLY_ENTERED
            counts["overdue_week"] += _matches(row, "overdue_week", today)
        if wanted == "all":
            lines.append(line)
        elif any(_matches(r, wanted, today) for r in rows):
            cells = {r.code: r for r in rows if _matches(r, wanted, today)}
            lines.append(TrackerLine(line.subject, cells))
    return Tracker(planned_codes(), lines, counts)


def work_list(actor: User, today: date) -> list[tuple[Subject, CalendarRow]]:
    """Every planned visit due or overdue today, oldest window first (the home page list)."""
    require(actor, Action.VIEW_STUDY_DATA)
    rows = [
        (line.subject, row)
        for line in enrolled_lines(today)  # a batch of subjects at a time, only these kept
        for row in line.cells.values()
        if row.status in ("due", "overdue")
    ]
    rows.sort(key=lambda pair: (pair[1].latest or today, pair[0].subject_number or ""))
    return rows
