"""What the SDV plan covers: the form codes of the protocol's plan, the fields of each that a
monitor verifies (the registry's ``sdv_fields`` stored on the form's record), and the records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.crf.registry import FORMS, FormCode
from studyapp.errors import NotFound
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol

#: One verified value: (table, row id, field).
Target = tuple[str, int, str]


@dataclass(frozen=True)
class Planned:
    """A form code of the plan with its record model and the fields verified on it."""

    entry: FormCode
    model: type
    fields: tuple[str, ...]
    #: The form's child rows (a panel's lab results) and their planned fields, if any.
    child: type | None = None
    child_fields: tuple[str, ...] = ()
    #: The child's column naming its record (``panel_id``).
    child_key: str = ""

    @property
    def code(self) -> str:
        return self.entry.code

    def children(self, record: Any) -> list[Any]:
        """The stored child rows of *record* whose fields are verified (none without)."""
        if self.child is None:
            return []
        child: Any = self.child
        query = select(child).where(
            getattr(child, self.child_key) == record.id, child.deleted_at.is_(None)
        )
        return list(db.session.scalars(query.order_by(child.id)))

    def targets(self, record: Any) -> list[Target]:
        """Every (table, row id, field) verified on *record*: its fields, its child rows'."""
        own = [(record.__tablename__, record.id, f) for f in self.fields]
        return own + [
            (c.__tablename__, c.id, f) for c in self.children(record) for f in self.child_fields
        ]

    def covers(self, record: Any) -> bool:
        """Whether *record* is one of this code's records (a shared table tells by ``form``)."""
        if not isinstance(record, self.model):
            return False
        return getattr(record, "form", self.code) == self.code


def planned() -> list[Planned]:
    """The plan's form codes that have a record model and fields on it, in the plan's order.

    A field of the registry that is not a column of the record is looked for on the form's
    second model, when that one belongs to the record (a lab panel's results: the values).
    """
    out = []
    for code in get_protocol().sdv_full:
        entry = FORMS.get(code)
        if entry is None or not entry.models or not entry.sdv_fields:
            continue
        models = entry.model_classes()
        columns = models[0].__table__.columns  # type: ignore[attr-defined]
        fields = tuple(f for f in entry.sdv_fields if f in columns)
        child, key, child_fields = _child(models, [f for f in entry.sdv_fields if f not in fields])
        if fields or child_fields:
            out.append(Planned(entry, models[0], fields, child, child_fields, key))
    return out


def _child(models: tuple[type, ...], rest: list[str]) -> tuple[type | None, str, tuple[str, ...]]:
    """The second model when it holds the *rest* of the fields and names the first's rows."""
    if len(models) < 2 or not rest:
        return None, "", ()
    parent: Any = models[0]
    table: Any = models[1].__table__  # type: ignore[attr-defined]
    keys = [fk.parent.name for fk in table.foreign_keys if fk.column.table is parent.__table__]
    fields = tuple(f for f in rest if f in table.columns)
    if not keys or not fields:
        return None, "", ()
    return models[1], keys[0], fields


def plan_of(code: str) -> Planned:
    """The plan entry of *code*; NotFound for a code the plan does not verify."""
    for item in planned():
        if item.code == code:
            return item
    raise NotFound(_("This form is not in the source data verification plan."))


def covering(record: Any) -> list[Planned]:
    """The plan entries *record* belongs to (a dose record: dosing and premedication)."""
    return [item for item in planned() if item.covers(record)]


def find_record(item: Planned, row_id: int) -> Any:
    """The stored, not removed record *row_id* of the plan entry; NotFound otherwise."""
    record = db.session.get(item.model, row_id)
    if record is None or record.deleted_at is not None or not item.covers(record):
        raise NotFound(_("No such record of this form."))
    return record


def visit_records(visit_id: int) -> list[tuple[Planned, Any]]:
    """Every stored record of the visit that the plan covers, with its plan entry."""
    out = []
    for item in planned():
        if not item.entry.per_visit or "visit_id" not in item.model.__table__.columns:  # type: ignore[attr-defined]
            continue
        query = select(item.model).where(
            item.model.visit_id == visit_id,  # type: ignore[attr-defined]
            item.model.deleted_at.is_(None),  # type: ignore[attr-defined]
        )
        out.extend((item, r) for r in db.session.scalars(query) if item.covers(r))
    return out
