"""The form status matrix: every enrolled subject by visit, each cell the states of the visit's
required forms (missing, not started, in progress, complete, verified, frozen, locked).

Filters by visit, form and state. Built from the visit calendars read a batch of subjects at a
time (``schedule.walk``): a fixed number of queries per batch, never one per subject, and the
CSV streams line by line. Unscheduled visits stay on each subject's calendar; the matrix shows
the planned visits and early termination.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date

from studyapp.auth.models import User
from studyapp.clinical.visit_forms import MISSING, NOT_STARTED
from studyapp.crf import registry
from studyapp.crf.status import COMPLETE, FROZEN, IN_PROGRESS, LOCKED, VERIFIED
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits.schedule import walk
from studyapp.visits.schedule.service import CalendarRow

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

    def options(self) -> dict[str, str]:
        """The filters set, by name (what a CSV download carries and its audit row names)."""
        return {name: value for name, value in asdict(self).items() if value}


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


def parse_filters(values: Mapping[str, object]) -> Filters | None:
    """The filters named in *values* (blank or absent: all); None when one of them names a
    visit, form or state the matrix does not know."""
    known = {
        "visit": {code for code, _name in visit_choices()},
        "form": {page.key for page in form_choices()},
        "state": set(STATES),
    }
    asked = {f.name: values.get(f.name) or None for f in fields(Filters)}
    if any(value is not None and value not in known[name] for name, value in asked.items()):
        return None
    return Filters(**asked)  # type: ignore[arg-type]


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


def columns(filters: Filters) -> list[tuple[str, str]]:
    """(code, name) of the matrix's columns: every visit, or the one the filter names."""
    return [(c, n) for c, n in visit_choices() if filters.visit in (None, c)]


def lines(today: date, filters: Filters) -> Iterator[Line]:
    """Each enrolled subject's line on *today*, a batch of subjects at a time; with a form or
    state filter, only the subjects with a cell passing it."""
    wanted = {code for code, _name in columns(filters)}
    for subject, rows in walk.calendars(today):
        cells: dict[str, Cell] = {}
        for row in rows:
            cell = _cell(row, filters) if row.code in wanted else None
            if cell is not None:
                cells[row.code] = cell
        if cells or not filters.narrows:
            yield Line(subject, cells)


def matrix(actor: User, today: date, filters: Filters) -> Matrix:
    """Every enrolled subject by visit with the states of the required forms on *today*.

    With a form or state filter, only the cells with a form passing it are kept, and only the
    subjects with such a cell; a visit filter keeps that visit's column.
    """
    require(actor, Action.VIEW_STUDY_DATA)
    counts = dict.fromkeys(STATES, 0)
    kept = []
    for line in lines(today, filters):
        for cell in line.cells.values():
            for form in cell.forms:
                counts[form.state] = counts.get(form.state, 0) + 1
        kept.append(line)
    return Matrix(columns(filters), kept, counts)


def csv_rows(actor: User, today: date, filters: Filters) -> Iterator[tuple[str, ...]]:
    """One row per form the matrix shows with *filters*: subject, visit, its status, form and
    state (codes, not labels), streamed a batch of subjects at a time."""
    require(actor, Action.VIEW_STUDY_DATA)
    codes = [code for code, _name in columns(filters)]
    for line in lines(today, filters):
        number = line.subject.subject_number or ""
        for code in codes:
            cell = line.cells.get(code)
            if cell is None:
                continue
            for form in cell.forms:
                row = cell.row
                yield (number, code, row.visitnum, row.shown_status, form.page.key, form.state)
