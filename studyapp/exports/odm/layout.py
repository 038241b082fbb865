"""The shape of the ODM file, read from the protocol and the CRF registry: which form codes
exist (every code of every visit), which models record them, and which columns are items.

Nothing here names a form, visit or test: the protocol lists the codes, the registry
(``studyapp.crf.registry``) gives each code's models, and the models' columns (SQLAlchemy
metadata) give the items, their data types and the repeat keys of repeating rows.

Rules:

- A form code whose page records another code's models (WEIGHT on the vital-signs page,
  PREMED on the dosing page, IRR on the adverse-event page) has its own FormDef listing
  the items its form asks for (its SDV fields); its values are exported once, in the
  FormData of the page's key code, so no value is written twice.
- The subject-level pages (consent, screening values, eligibility, history, disposition)
  have no models in the registry; ``subject_pages`` names them by page endpoint, and all
  of a page's values go into the FormData of its first code in the protocol.
- Rows without a visit go to the one visit whose forms list their code (screening), else
  to the subject-level log event (``LOG_EVENT``): adverse events, disposition, and a
  medication recorded outside a visit.
- Columns that are not collected values are not items: keys and links, record
  bookkeeping, the record's workflow status and the ``form`` column that names the code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Text, Time
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.sql.schema import Column, Table

from studyapp.crf import registry
from studyapp.crf.models import CrfMixin
from studyapp.db import AuditedMixin, UTCDateTime
from studyapp.exports.odm import subject_pages
from studyapp.protocol.loader import get_protocol

#: Code of the subject-level log event (StudyEventDef Type "Common").
LOG_EVENT = "LOG"
#: The column of a shared lab table that tells which form code a row belongs to.
FORM_COLUMN = "form"
_NOT_ITEMS = (
    AuditedMixin.BOOKKEEPING
    | {"deleted_at", "delete_reason", FORM_COLUMN, "episode_id"}
    | {c for c in dir(CrfMixin) if not c.startswith("_") and c != "touch"}
)


@dataclass(frozen=True)
class Item:
    """One column exported as an ItemDef."""

    table: str
    column: str
    data_type: str  # ODM DataType
    length: int | None = None

    @property
    def oid(self) -> str:
        return f"IT.{self.table.upper()}.{self.column.upper()}"


@dataclass(frozen=True)
class Group:
    """The rows of one model within a form: an ItemGroupDef."""

    code: str
    model: type
    items: tuple[Item, ...]
    repeating: bool
    #: The column whose value is the ItemGroupRepeatKey (None: the row id).
    key: str | None = None
    #: For a child model: its column pointing to the form's first model.
    parent_fk: str | None = None

    @property
    def table(self) -> str:
        return str(self.model.__table__.name)  # type: ignore[attr-defined]

    @property
    def oid(self) -> str:
        return f"IG.{self.code}.{self.table.upper()}"


@dataclass(frozen=True)
class Form:
    """One form code of the protocol: a FormDef."""

    code: str
    label: object
    groups: tuple[Group, ...]
    #: The code whose FormData carries the values (itself, or its page's key code).
    owner: str
    per_visit: bool

    @property
    def oid(self) -> str:
        return f"F.{self.code}"

    @property
    def collected(self) -> bool:
        return bool(self.groups) and self.owner == self.code


def data_type(column: Column[Any]) -> str:
    """The ODM DataType of a column (a partial ISO 8601 date is text of 10 in the model)."""
    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return "datetime"
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Time):
        return "time"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, Numeric):
        return "float"
    if isinstance(kind, String) and column.name.endswith("_date"):
        return "partialDate"
    return "text"


def _is_item(column: Column[Any]) -> bool:
    return not (column.primary_key or column.foreign_keys or column.name in _NOT_ITEMS)


def _items(table: Table, only: tuple[str, ...] = ()) -> tuple[Item, ...]:
    out = []
    for column in table.columns:
        if not _is_item(column) or (only and column.name not in only):
            continue
        length = getattr(column.type, "length", None) if isinstance(column.type, String) else None
        if isinstance(column.type, Text):
            length = None
        out.append(Item(table.name, column.name, data_type(column), length))
    return tuple(out)


def _key_column(table: Table, owner: str) -> str | None:
    """The column that numbers a row within its owner (a two-column unique constraint)."""
    for constraint in table.constraints:
        names = [c.name for c in getattr(constraint, "columns", ())]
        if isinstance(constraint, Unique) and len(names) == 2 and owner in names:
            other = names[1 - names.index(owner)]
            return None if other == FORM_COLUMN else other
    return None


def _parent_fk(child: Table, parent: Table) -> str:
    for column in child.columns:
        if any(fk.column.table is parent for fk in column.foreign_keys):
            return column.name
    raise ValueError(f"{child.name} has no link to {parent.name}")


def _owner_column(table: Table) -> str:
    return "visit_id" if "visit_id" in table.columns else "subject_id"


def _groups(entry: registry.FormCode, only: tuple[str, ...]) -> tuple[Group, ...]:
    models = entry.model_classes()
    if not models:
        return ()
    first = models[0].__table__  # type: ignore[attr-defined]
    key = _key_column(first, _owner_column(first))
    head = Group(
        entry.code, models[0], _items(first, only), not entry.page.single or key is not None, key
    )
    groups = [head]
    for model in models[1:]:
        table = model.__table__  # type: ignore[attr-defined]
        fk = _parent_fk(table, first)
        child_only = () if not only else tuple(c for c in only if c in table.columns)
        items = _items(table, child_only) if not only or child_only else ()
        if items:
            groups.append(Group(entry.code, model, items, True, _key_column(table, fk), fk))
    return tuple(groups)


def _model(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _page_groups(code: str, endpoint: str) -> tuple[Group, ...]:
    """The groups of a subject-level page: one per model, siblings (no parent)."""
    groups = []
    for path, columns in subject_pages.PAGES[endpoint]:
        model = _model(path)
        table = model.__table__  # type: ignore[attr-defined]
        many = "subject_id" in table.columns
        key = _key_column(table, "subject_id") if many else None
        groups.append(Group(code, model, _items(table, columns), many, key))
    return tuple(groups)


def _subject_page_form(entry: registry.FormCode) -> Form:
    on_page = [c for c in protocol_codes() if c in registry.FORMS]
    owner = next(c for c in on_page if registry.FORMS[c].page == entry.page)
    endpoint = entry.page.endpoint or ""
    groups = _page_groups(entry.code, endpoint) if owner == entry.code else ()
    return Form(entry.code, entry.label, groups, owner, False)


def _form(code: str) -> Form:
    entry = registry.FORMS.get(code)
    if entry is not None and not entry.models and entry.page.endpoint in subject_pages.PAGES:
        return _subject_page_form(entry)
    if entry is None or not entry.models:
        label = entry.label if entry is not None else code
        return Form(code, label, (), code, True)
    key = registry.FORMS.get(entry.page.key)
    shares = code != entry.page.key and key is not None and key.models[:1] == entry.models[:1]
    owner = entry.page.key if shares else code
    groups = _groups(entry, entry.sdv_fields if shares else ())
    return Form(code, entry.label, groups, owner, entry.per_visit)


def protocol_codes() -> list[str]:
    """Every form code of the protocol's visits, in the order they first appear."""
    seen: list[str] = []
    for visit in get_protocol().visits:
        seen += [code for code in visit.forms if code not in seen]
    return seen


@cache
def forms() -> tuple[Form, ...]:
    """Every form code of the protocol's visits, in the order they first appear."""
    return tuple(_form(code) for code in protocol_codes())


def form(code: str) -> Form:
    return next(f for f in forms() if f.code == code)


def collected() -> tuple[Form, ...]:
    """The forms whose FormData carry values (one per model set)."""
    return tuple(f for f in forms() if f.collected)


def home(entry: Form) -> str | None:
    """The visit of rows recorded outside visits: the only visit listing the form's code."""
    codes = [v.code for v in get_protocol().visits if entry.owner in v.forms]
    return codes[0] if len(codes) == 1 else None


def logged(entry: Form) -> bool:
    """Whether some rows of the form go to the subject-level log event."""
    first = entry.groups[0].model.__table__  # type: ignore[attr-defined]
    column = first.columns.get("visit_id")
    return (column is None or bool(column.nullable)) and home(entry) is None


def log_forms() -> tuple[Form, ...]:
    """The forms of the log event: the collected ones with rows there, and the codes
    recorded on their pages."""
    owners = {f.code for f in collected() if logged(f)}
    return tuple(f for f in forms() if f.owner in owners)
