"""One subject's ClinicalData: SubjectData > StudyEventData > FormData > ItemGroupData >
ItemData, read from the CRF tables the registry names, up to the data cut-off.

- SubjectKey is the subject number (the screening number for a subject never enrolled).
- A visit is a StudyEventData of its protocol visit; the unscheduled visit, which may
  happen several times, has its visit number as StudyEventRepeatKey. Rows recorded outside
  visits (adverse events, some medications) are in the subject-level log event.
- Repeating rows (lab results, medications, AEs, infusion rate steps, bleeding items) carry
  an ItemGroupRepeatKey: the column numbering them (test code, AE number, ...) or the row id.
- Values as collected (``values.text``); a number's unit, when it is a unit of
  BasicDefinitions, is its MeasurementUnitRef.
- The cut-off: a visit dated after it is left out with its forms, and so is a record whose
  own date (a sample, an AE onset, a medication start; partial dates by their earliest day)
  is after it.
- With ``audit`` (the ``odm_audit`` file) each item is written once per audited value, in
  the order of the trail (Insert, Update, Remove), each with its AuditRecord, so the last
  ItemData of an item is its current value; the subject's first signature is inline; the
  query threads are Annotations of their FormData or of the SubjectData (``annotations``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import select

from studyapp.crf import registry
from studyapp.exports.odm import dictionary, layout, trail
from studyapp.exports.odm.annotations import Threads
from studyapp.exports.odm.metadata import event_oid
from studyapp.exports.odm.nodes import element, sub
from studyapp.exports.odm.values import after, audited_text, text
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits.models import Visit

#: A form's rows at one event: (group, row, {child group oid: rows}).
Record = tuple[layout.Group, Any, dict[str, list[Any]]]


def _alive(model: type) -> Any:
    return model.deleted_at.is_(None)  # type: ignore[attr-defined]


def _own_date(row: Any, group: layout.Group) -> Any:
    for item in group.items:
        if item.data_type in ("date", "partialDate"):
            return getattr(row, item.column)
    return None


def _day(row: Any, group: layout.Group, visit: Visit | None) -> date | None:
    own = next((i.column for i in group.items if i.data_type == "date"), None)
    found = getattr(row, own) if own else None
    return found or (visit.visit_date if visit is not None else None)


class SubjectWriter:
    """Makes each subject's SubjectData element; counts what it wrote."""

    def __init__(self, cutoff: date | None, audit: bool) -> None:
        self.cutoff, self.audit = cutoff, audit
        self.counts: Counter[str] = Counter()
        self.forms = layout.collected()
        self.tables = {g.table for f in self.forms for g in f.groups} | {Subject.__tablename__}
        self.visit_defs = {v.code: v for v in get_protocol().visits}
        self.units = set(dictionary.units())
        self.signed: set[int] = set()
        self.history: trail.History | None = None
        self.threads: Threads | None = None

    def _visits(self, subject_id: int) -> dict[int, Visit]:
        query = select(Visit).where(Visit.subject_id == subject_id, _alive(Visit))
        return {v.id: v for v in db.session.scalars(query) if not after(v.visit_date, self.cutoff)}

    def _records(self, form: layout.Form, group: layout.Group, subject_id: int,
                 visits: dict[int, Visit]) -> list[Any]:  # fmt: skip
        """The live rows of a top group of the form, within the cut-off."""
        model: Any = group.model
        owner = model.subject_id if "subject_id" in model.__table__.columns else model.id
        query = select(model).where(owner == subject_id, _alive(model))
        if layout.FORM_COLUMN in model.__table__.columns:
            query = query.where(getattr(model, layout.FORM_COLUMN) == form.code)
        kept = []
        for row in db.session.scalars(query.order_by(model.id)):
            visit_id = getattr(row, "visit_id", None)
            if visit_id is not None and visit_id not in visits:
                continue
            if not after(_own_date(row, group), self.cutoff):
                kept.append(row)
        return kept

    def _children(self, form: layout.Form, parents: list[Any]) -> dict[tuple[str, int], list[Any]]:
        out: dict[tuple[str, int], list[Any]] = defaultdict(list)
        ids = [p.id for p in parents]
        for group in form.groups:
            if group.parent_fk is None or not ids:
                continue
            model: Any = group.model
            fk = getattr(model, group.parent_fk)
            query = select(model).where(fk.in_(ids), _alive(model)).order_by(model.id)
            for row in db.session.scalars(query):
                out[(group.oid, getattr(row, group.parent_fk))].append(row)
        return out

    def _event_key(self, row: Any, form: layout.Form, by_code: dict[str, int]) -> Any:
        """The visit id of the row, or of its form's home visit; the home visit's code when
        the subject has no such visit; else the log event."""
        visit_id = getattr(row, "visit_id", None)
        if visit_id is not None:
            return visit_id
        home = layout.home(form)
        if home is None:
            return layout.LOG_EVENT
        return by_code.get(home, home)

    def _placed(
        self, subject_id: int, visits: dict[int, Visit]
    ) -> dict[Any, dict[str, list[Record]]]:
        """{event key: {form code: [(group, row, children)]}}."""
        placed: dict[Any, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
        by_code = {v.code: v.id for v in visits.values()}
        for form in self.forms:
            tops = [g for g in form.groups if g.parent_fk is None]
            rows = {g.oid: self._records(form, g, subject_id, visits) for g in tops}
            children = self._children(form, rows[tops[0].oid])
            for group in tops:
                for row in rows[group.oid]:
                    kids = {
                        g.oid: children.get((g.oid, row.id), [])
                        for g in form.groups
                        if g.parent_fk is not None and group is tops[0]
                    }
                    key = self._event_key(row, form, by_code)
                    placed[key][form.code].append((group, row, kids))
        return placed

    def _order(self, key: Any, visits: dict[int, Visit]) -> Decimal:
        if key == layout.LOG_EVENT:
            return Decimal("Infinity")
        if isinstance(key, str):
            return self.visit_defs[key].visitnum
        return Decimal(visits[key].visitnum)

    def element(self, subject: Subject) -> etree._Element:
        """The SubjectData of one subject."""
        visits = self._visits(subject.id)
        placed = self._placed(subject.id, visits)
        if self.audit:
            self.history = trail.History(subject.id, self.tables)
            self.threads = Threads(subject.id, self.cutoff)
        node = element("SubjectData", SubjectKey=subject.label, TransactionType=self._tt())
        self._subject_trail(node, subject)
        if self.threads is not None:
            self._count(self.threads.annotate(node, len(node), self.threads.of(None, None), {}))
        for key in sorted(placed, key=lambda k: self._order(k, visits)):
            visit = visits.get(key) if isinstance(key, int) else None
            code = visit.code if visit is not None else str(key)
            self._event(node, code, visit, placed[key])
        self.counts["SubjectData"] += 1
        return node

    def _tt(self) -> str | None:
        return "Upsert" if self.audit else None

    def _subject_trail(self, node: etree._Element, subject: Subject) -> None:
        if not self.audit or self.history is None:
            return
        created = self.history.created(Subject.__tablename__, subject.id)
        if created is not None:
            trail.audit_record(node, created, prefix="ARS")
            self.counts["AuditRecord"] += 1
        signatures = trail.subject_signatures(subject.id)
        if signatures:
            trail.signature(node, signatures[0])
            self.signed.add(signatures[0].id)
            self.counts["Signature"] += 1

    def _event(self, node: etree._Element, code: str, visit: Visit | None,
               forms: dict[str, list[Record]]) -> None:  # fmt: skip
        definition = self.visit_defs.get(code)
        repeat = (
            visit.visitnum if visit is not None and definition and definition.unscheduled else None
        )
        event = sub(node, "StudyEventData", StudyEventOID=event_oid(code),
                    StudyEventRepeatKey=repeat, TransactionType=self._tt())  # fmt: skip
        for form in self.forms:
            if form.code in forms:
                self._form(event, form, forms[form.code], visit)
        self._keep(node, event, "StudyEventData")

    def _keep(self, parent: etree._Element, node: etree._Element, name: str) -> None:
        """Count *node*, or drop it when nothing was written in it (a form left blank)."""
        if len(node):
            self.counts[name] += 1
        else:
            parent.remove(node)

    def _form(
        self, event: etree._Element, form: layout.Form, records: list[Record], visit: Any
    ) -> None:
        node = sub(event, "FormData", FormOID=form.oid, TransactionType=self._tt())
        for group, row, children in records:
            key = str(getattr(row, group.key)) if group.key else str(row.id)
            day = _day(row, group, visit)
            self._group(node, group, row, key if group.repeating else None, day)
            for child_group in form.groups:
                for child in children.get(child_group.oid, ()):
                    own = str(getattr(child, child_group.key)) if child_group.key else str(child.id)
                    repeat = f"{key}.{own}" if group.repeating else own
                    self._group(node, child_group, child, repeat, day)
        self._annotate(node, form, visit)
        self._keep(event, node, "FormData")

    def _annotate(self, node: etree._Element, form: layout.Form, visit: Any) -> None:
        """The query threads of the form's page at its visit, before its ItemGroupData."""
        entry = registry.FORMS.get(form.code)
        if self.threads is None or entry is None or not len(node):
            return
        visitnum = visit.visitnum if visit is not None and entry.per_visit else None
        queries = self.threads.of(visitnum, form.code)
        oids = {item.column: item.oid for group in form.groups for item in group.items}
        self._count(self.threads.annotate(node, 0, queries, oids))

    def _count(self, annotations: int) -> None:
        if annotations:
            self.counts["Annotation"] += annotations

    def _group(self, form: etree._Element, group: layout.Group, row: Any, key: str | None,
               day: date | None) -> None:  # fmt: skip
        node = sub(form, "ItemGroupData", ItemGroupOID=group.oid, ItemGroupRepeatKey=key,
                   TransactionType=self._tt())  # fmt: skip
        for item in group.items:
            history = self.history.of(item.table, row.id, item.column) if self.history else []
            if history:
                self._history(node, item, row, day, history)
            else:
                self._current(node, item, row, day)
        self._keep(form, node, "ItemGroupData")

    def _item_data(self, parent: etree._Element, item: layout.Item, value: str | None,
                   **attrs: Any) -> etree._Element:  # fmt: skip
        node = sub(parent, "ItemData", ItemOID=item.oid, **attrs, Value=value)
        self.counts["ItemData"] += 1
        return node

    def _current(self, parent: etree._Element, item: layout.Item, row: Any, day: Any) -> None:
        value = text(getattr(row, item.column), day)
        if value is not None:
            self._unit(self._item_data(parent, item, value), item, row)

    def _unit(self, node: etree._Element, item: layout.Item, row: Any) -> None:
        if item.data_type not in ("float", "integer"):
            return
        unit = getattr(row, dictionary.unit_column(item.column), None)
        if unit in self.units:
            sub(node, "MeasurementUnitRef", MeasurementUnitOID=dictionary.unit_oid(unit))

    def _history(self, parent: etree._Element, item: layout.Item, row: Any, day: Any,
                 rows: list[Any]) -> None:  # fmt: skip
        """Each audited value of the item, oldest first, with its AuditRecord."""
        for index, audit_row in enumerate(rows):
            value = audited_text(audit_row.new_value, item.data_type, day)
            kind = "Remove" if value is None else ("Update" if index else "Insert")
            node = self._item_data(parent, item, value, TransactionType=kind)
            trail.audit_record(node, audit_row)
            self.counts["AuditRecord"] += 1
            if value is not None:
                self._unit(node, item, row)
