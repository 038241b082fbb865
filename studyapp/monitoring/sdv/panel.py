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

    @property
    def complete(self) -> bool:
        return all(f in self.verified for f in self.item.fields)


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
    marks = db.session.scalars(
        select(SdvMark)
        .where(SdvMark.table_name == table, SdvMark.row_id == row_id)
        .order_by(SdvMark.id)
    )
    forms = {i.code: FormPanel(i, record) for i in items}
    seen: list[SdvMark] = []
    for mark in marks:
        panel = forms.get(mark.form)
        if panel is None:
            continue
        seen.append(mark)
        if mark.cleared_at is None:
            panel.verified[mark.field] = mark
    latest: dict[tuple[str, str], SdvMark] = {}
    for mark in seen:  # the newest clearing of each field not verified again
        if mark.cleared_at is not None and mark.field not in forms[mark.form].verified:
            latest[(mark.form, mark.field)] = mark
    for mark in latest.values():
        forms[mark.form].cleared.append(mark)
    ids = {m.verified_by_id for m in seen} | {m.cleared_by_id for m in seen if m.cleared_by_id}
    users = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())
    describe = naming.describe()
    labels = {f: describe.field(table, f) for i in items for f in i.fields}
    return RecordPanel(list(forms.values()), users, labels)
