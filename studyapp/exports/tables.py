"""The collected data, one table per CRF model: its own columns, with the subject number and
the visit (number and name) in front, streamed from the database in batches.

The tables are the models of the CRF registry (form code -> models), in the registry's order,
then the subject-level forms (the subject's own record: demography, consent, screening values,
enrolment, disposition; eligibility answers, prior therapies, medical history) and the visits.
Bookkeeping columns (row version, deletion, the ids of the subject, visit and users) and the
initials are left out: the file is for analysis, not for identifying anyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, and_, select, true
from sqlalchemy.orm import aliased

from studyapp.crf.registry import FORMS
from studyapp.exports.scope import Scope, stream, visit_name
from studyapp.subjects.models import EligibilityAnswer, MedicalHistory, PriorTherapy, Subject
from studyapp.visits.models import Visit

#: Columns no export carries.
HIDDEN = frozenset(
    {"subject_id", "visit_id", "version", "deleted_at", "delete_reason", "initials", "pdf"}
)
#: The columns each table starts with.
LEAD = ("subject", "visitnum", "visit")
SUBJECT_LEVEL = (Subject, EligibilityAnswer, PriorTherapy, MedicalHistory, Visit)


def models() -> list[type]:
    """Every model a CRF stores its data in, each once, in the registry's order."""
    found: list[type] = []
    for entry in FORMS.values():
        for model in entry.model_classes():
            if model not in found:
                found.append(model)
    return found + [m for m in SUBJECT_LEVEL if m not in found]


def columns(model: type) -> list[Column[Any]]:
    """The columns of *model* a table carries, in the model's order."""
    table = model.__table__  # type: ignore[attr-defined]
    return [c for c in table.columns if _shown(c.name)]


def _shown(name: str) -> bool:
    """Not bookkeeping, not a user or signature id, and not a lead column already."""
    internal = name.endswith(("_by_id", "signature_id"))
    return name not in HIDDEN and name not in LEAD and not internal


def header(model: type) -> list[str]:
    return [*LEAD, *(c.name for c in columns(model))]


@dataclass(frozen=True)
class Links:
    """How a model's rows reach their subject and visit, and the cut-off that applies."""

    subject_on: ColumnElement[bool]
    visit: Any  # the Visit entity (or alias) joined, or None
    visit_on: ColumnElement[bool] | None
    dated: ColumnElement[bool]


def _parent_fk(model: type) -> Column[Any] | None:
    """A required link to a parent row that has a visit (a lab result's panel, ...)."""
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        for fk in column.foreign_keys:
            if not column.nullable and "visit_id" in fk.column.table.columns:
                return column  # type: ignore[no-any-return]
    return None


def links(model: type, scope: Scope) -> Links:
    table = model.__table__  # type: ignore[attr-defined]
    if model is Subject:
        return Links(true(), None, None, true())
    subject_on = Subject.id == table.c.subject_id
    if model is Visit:
        return Links(subject_on, None, None, scope.visit_dated(Visit))
    visit: Any = aliased(Visit)
    on: ColumnElement[bool] | None = None
    if "visit_id" in table.c:
        on = visit.id == table.c.visit_id
    elif (fk := _parent_fk(model)) is not None:
        parent = next(iter(fk.foreign_keys)).column.table
        on = visit.id == select(parent.c.visit_id).where(parent.c.id == fk).scalar_subquery()
    else:
        visit = None
    if "start_date" in table.c:
        dated = scope.started(table.c.start_date)
    else:
        dated = scope.visit_dated(visit) if visit is not None else true()
    return Links(subject_on, visit, on, dated)


def query(model: type, scope: Scope) -> Select[Any]:
    """Subject number, screening number, visit number and code, then the table's columns."""
    link = links(model, scope)
    table = model.__table__  # type: ignore[attr-defined]
    visit = Visit if model is Visit else link.visit
    lead = [Subject.subject_number, Subject.screening_number]
    lead += [visit.visitnum, visit.code] if visit is not None else [None, None]
    q = select(*lead, *columns(model)).select_from(table)
    if model is not Subject:
        q = q.join(Subject, link.subject_on)
    if link.visit is not None:
        q = q.outerjoin(link.visit, link.visit_on)
    where = [scope.subjects().whereclause, link.dated]
    if "deleted_at" in table.c and model is not Subject:
        where.append(table.c.deleted_at.is_(None))
    return q.where(and_(*where)).order_by(Subject.id, table.c.id)


def rows(model: type, scope: Scope) -> Iterator[list[Any]]:
    """The table's rows, subject by subject, as cell values."""
    for row in stream(query(model, scope)):
        subject_number, screening_number, visitnum, code, *values = row
        yield [subject_number or screening_number, visitnum, visit_name(code, visitnum), *values]
