"""The form status matrix: every enrolled subject by visit, each cell the states of the visit's
required forms (missing, not started, in progress, complete, verified, frozen, locked).

Filters by visit, form and state. Built from the visit calendars (``schedule.service``) and
the statuses entered per visit (``schedule.entered``), read for the whole study at once: a
fixed number of queries whatever the number of subjects. Unscheduled visits stay on each
subject's calendar; the matrix shows the planned visits and early termination.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.clinical.visit_forms import MISSING, NOT_STARTED
from studyapp.crf import registry
from studyapp.crf.status import COMPLETE, FROZEN, IN_PROGRESS, LOCKED, VERIFIED
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.visits.models import Visit
from studyapp.visits.schedule import entered
from studyapp.visits.schedule.service import CalendarRow, calendar

#: The states a form can show, in the order a form goes through them (the state filter).
STATES = (MISSING, NOT_STARTED, IN_PROGRESS, COMPLETE, VERIFIED, FROZEN, LOCKED)
#: Visit statuses whose forms are shown: the visit took place, is due or its window closed.
SHOWN = ("done", "done_out_of_window", "due", "overdue")


@dataclass(frozen=True)
class FormCell:
    """One required form of one subject's visit, with its state."""

    page: registry.Page
    state: str


@dataclass(frozen=True)
class Cell:
    """One subject's visit: its calendar row and the forms shown (after the filters)."""

    row: CalendarRow
    forms: tuple[FormCell, ...]


@dataclass(frozen=True)
class Line:
    subject: Subject
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Filters:
    """What the matrix shows: one visit code, one form page key, one state (None: all)."""

    visit: str | None = None
    form: str | None = None
    state: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.visit or self.form or self.state)

    @property
    def narrows(self) -> bool:
        """Whether only the cells with a form passing the filters are kept (form or state)."""
        return bool(self.form or self.state)


@dataclass(frozen=True)
class Matrix:
    visits: list[tuple[str, str]]  # (code, name) of the columns, in schedule order
    lines: list[Line]
    counts: dict[str, int]  # forms per state, over the cells shown


def visit_choices() -> list[tuple[str, str]]:
    """(code, name) of the visits of the matrix: planned ones and early termination."""
    protocol = get_protocol()
    return [(v.code, v.name) for v in protocol.visits if not v.unscheduled]


def form_choices() -> list[registry.Page]:
    """The pages some visit requires, in schedule order (the form filter)."""
    pages: list[registry.Page] = []
    for visit in get_protocol().visits:
        pages += [p for p in registry.required_pages(visit.forms) if p not in pages]
    return pages


def _cell(row: CalendarRow, filters: Filters) -> Cell | None:
    """The cell of a calendar row, None when the visit has none or nothing passes the filters."""
    if row.status not in SHOWN:  # upcoming, missed, not expected: the visit status alone
        return None if filters.narrows else Cell(row, ())
    forms = tuple(
        FormCell(registry.page_of(key), state)
        for key, state in row.entry.states
        if (filters.form in (None, key)) and (filters.state in (None, state))
    )
    if filters.narrows and not forms:
        return None
    return Cell(row, forms)


def _enrolled() -> list[Subject]:
    query = (
        select(Subject)
        .where(
            Subject.status == ENROLLED,
            Subject.deleted_at.is_(None),
            Subject.day1_date.is_not(None),
        )
        .order_by(Subject.subject_number)
    )
    return list(db.session.scalars(query))


def matrix(actor: User, today: date, filters: Filters) -> Matrix:
    """Every enrolled subject by visit with the states of the required forms on *today*.

    With a form or state filter, only the cells with a form passing it are kept, and only the
    subjects with such a cell; a visit filter keeps that visit's column.
    """
    require(actor, Action.VIEW_STUDY_DATA)
    subjects = _enrolled()
    recorded: dict[int, list[Visit]] = {s.id: [] for s in subjects}
    for visit in db.session.scalars(  # one query for the whole study, not one per subject
        select(Visit).where(Visit.subject_id.in_(recorded), Visit.deleted_at.is_(None))
    ):
        recorded[visit.subject_id].append(visit)
    statuses = entered.form_statuses()
    columns = [(c, n) for c, n in visit_choices() if filters.visit in (None, c)]
    wanted = {code for code, _name in columns}
    counts = dict.fromkeys(STATES, 0)
    lines = []
    for subject in subjects:
        cells: dict[str, Cell] = {}
        for row in calendar(subject, today, recorded[subject.id], statuses):
            cell = _cell(row, filters) if row.code in wanted else None
            if cell is not None:
                cells[row.code] = cell
                for form in cell.forms:
                    counts[form.state] = counts.get(form.state, 0) + 1
        if cells or not filters.narrows:
            lines.append(Line(subject, cells))
    return Matrix(columns, lines, counts)


def csv_rows(m: Matrix) -> Iterator[tuple[str, ...]]:
    """One row per form shown: subject, visit, its status, form and state (codes, not labels)."""
    for line in m.lines:
        for code, _name in m.visits:
            cell = line.cells.get(code)
            if cell is None:
                continue
            for form in cell.forms:
                row = cell.row
                number = line.subject.subject_number or ""
                yield (number, code, row.visitnum, row.shown_status, form.page.key, form.state)
