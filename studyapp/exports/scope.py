"""What a data export covers: the subjects and records on file up to the data cut-off.

A cut-off date keeps the subjects screened on or before it and, of their records, those dated
on or before it: a visit's records by the visit date, an adverse event or a medication by its
start date (a partial date counts from its earliest day: "2024-05" is kept for a cut-off of
2024-05-14), a subject-level record by its subject. A record with no date yet is kept, since
it cannot be placed after the cut-off. Deleted rows are never exported. Values are exported as
they stand now: a correction made after the cut-off date is in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, true

from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits.models import Visit

#: Rows fetched from the database at a time when a table is streamed.
BATCH = 500


@dataclass(frozen=True)
class Scope:
    cutoff: date | None = None
    #: One subject only (the subject's end-of-study archive); None: every subject.
    subject_id: int | None = None

    def subjects(self) -> Select[tuple[Subject]]:
        """The subjects in the export, in order of registration."""
        query = select(Subject).where(Subject.deleted_at.is_(None)).order_by(Subject.id)
        if self.cutoff is not None:
            query = query.where(Subject.screening_date <= self.cutoff)
        if self.subject_id is not None:
            query = query.where(Subject.id == self.subject_id)
        return query

    def subject_ids(self) -> Select[tuple[int]]:
        return self.subjects().with_only_columns(Subject.id)

    def visit_dated(self, visit: Any = Visit) -> ColumnElement[bool]:
        """A visit (*visit*: the entity or an alias) on or before the cut-off, or not dated."""
        if self.cutoff is None:
            return true()
        return or_(visit.visit_date.is_(None), visit.visit_date <= self.cutoff)

    def started(self, column: Any) -> ColumnElement[bool]:
        """A partial ISO 8601 start date on or before the cut-off, or none."""
        if self.cutoff is None:
            return true()
        return or_(column.is_(None), column <= self.cutoff.isoformat())  # type: ignore[no-any-return]


def stream(query: Select[Any]) -> Iterator[Any]:
    """The rows of *query*, fetched in batches (memory stays flat as the study grows)."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


def visit_name(code: str | None, visitnum: str | None) -> str | None:
    """The protocol's name of a visit; unscheduled visits carry their number."""
    if code is None:
        return None
    visit = get_protocol().visit(code)
    return f"{visit.name} {visitnum}" if visit.unscheduled else visit.name


def visit_number(visitnum: str | None) -> Decimal | None:
    return Decimal(visitnum) if visitnum else None
