"""What the SDV controls of a form page show: per form code of the plan the record belongs to,
each planned field with its verification (or none), and the verifications a later change
cleared that nobody verified again. Read once per record and request (``flask.g``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g
from sqlalchemy import select

from studyapp.audit import naming
from studyapp.auth.models import User
from studyapp.extensions import db
from studyapp.monitoring.sdv.models import SdvMark
from studyapp.monitoring.sdv.scope import Planned, planned


@dataclass
class FormPanel:
    """One form code of the record: its fields, verified or not, and what was cleared."""

    item: Planned
    record: Any
    verified: dict[str, SdvMark] = field(default_factory=dict)
    cleared: list[SdvMark] = field(default_factory=list)
    #: The child rows (lab results) with their verified fields.
    rows: list[tuple[Any, dict[str, SdvMark]]] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int]:
        """(verified, to verify) fields of the form, its rows' included."""
        done = len(self.verified) + sum(len(marks) for _row, marks in self.rows)
        return done, len(self.item.fields) + len(self.rows) * len(self.item.child_fields)

    def row_label(self, mark: SdvMark) -> str:
        """The child row a mark is on, in words (a lab result's test code); "" for the record."""
        for row, _marks in self.rows:
            if mark.row_id == row.id and mark.table_name == row.__tablename__:
                return row_name(row)
        return ""

    @property
    def complete(self) -> bool:
        done, total = self.counts
        return done == total


def row_name(row: Any) -> str:
    """A child row in words: its test code (lab results), else its id."""
    return str(getattr(row, "testcd", None) or row.id)


@dataclass
class RecordPanel:
    forms: list[FormPanel]
    users: dict[int, str]
    #: Field (column) -> its label on the form.
    labels: dict[str, str]

    def mark(self, name: str) -> SdvMark | None:
        """The active verification of field *name* on any form of the record."""
        for panel in self.forms:
            if name in panel.verified:
                return panel.verified[name]
        return None


def _record(table: str, row_id: int) -> tuple[list[Planned], Any]:
    items = [i for i in planned() if i.model.__tablename__ == table]  # type: ignore[attr-defined]
    if not items:
        return [], None
    record = db.session.get(items[0].model, row_id)
    if record is None or record.deleted_at is not None:
        return [], None
    return [i for i in items if i.covers(record)], record


def record_panel(table: str | None, row_id: int | None) -> RecordPanel | None:
    """The SDV state of a stored record of the plan; None for anything else."""
    if not table or not row_id:
        return None
    cache = g.setdefault("sdv_panels", {})
    if (table, row_id) not in cache:
        cache[(table, row_id)] = _build(table, row_id)
    return cache[(table, row_id)]  # type: ignore[no-any-return]


def _build(table: str, row_id: int) -> RecordPanel | None:
    items, record = _record(table, row_id)
    if not items:
        return None
    forms = {i.code: FormPanel(i, record) for i in items}
    children = {i.code: {c.id: c for c in i.children(record)} for i in items}
    mine = {(i.code, t) for i in items for t in i.targets(record)}
    marks = db.session.scalars(
        select(SdvMark).where(SdvMark.subject_id == record.subject_id).order_by(SdvMark.id)
    )
    seen = [m for m in marks if (m.form, (m.table_name, m.row_id, m.field)) in mine]
    row_marks: dict[tuple[str, int], dict[str, SdvMark]] = {}
    for mark in seen:
        if mark.cleared_at is not None:
            continue
        if mark.table_name == table:
            forms[mark.form].verified[mark.field] = mark
        else:
            row_marks.setdefault((mark.form, mark.row_id), {})[mark.field] = mark
    for code, rows in children.items():
        forms[code].rows = [(c, row_marks.get((code, c.id), {})) for c in rows.values()]
    _cleared(forms, seen, row_marks, table)
    return RecordPanel(list(forms.values()), _users(seen), _labels(table, items))


def _cleared(
    forms: dict[str, FormPanel], seen: list[SdvMark], rows: dict[Any, Any], table: str
) -> None:
    """The newest clearing of each field not verified again, on its form."""
    latest: dict[tuple[str, str, int, str], SdvMark] = {}
    for mark in seen:
        own = mark.table_name == table
        verified = forms[mark.form].verified if own else rows.get((mark.form, mark.row_id), {})
        if mark.cleared_at is not None and mark.field not in verified:
            latest[(mark.form, mark.table_name, mark.row_id, mark.field)] = mark
    for mark in latest.values():
        forms[mark.form].cleared.append(mark)


def _users(seen: list[SdvMark]) -> dict[int, str]:
    ids = {m.verified_by_id for m in seen} | {m.cleared_by_id for m in seen if m.cleared_by_id}
    query = select(User.id, User.username).where(User.id.in_(ids))
    return dict(db.session.execute(query).all())  # type: ignore[arg-type]


def _labels(table: str, items: list[Planned]) -> dict[str, str]:
    """Field -> its label on the form (a row's fields by the row's table)."""
    describe = naming.describe()
    labels = {f: describe.field(table, f) for i in items for f in i.fields}
    for i in items:
        if i.child is not None:
            child_table = i.child.__tablename__  # type: ignore[attr-defined]
            labels |= {f: describe.field(child_table, f) for f in i.child_fields}
    return labels
