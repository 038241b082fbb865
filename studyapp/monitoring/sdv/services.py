"""Verify a field, a whole form or a whole visit (monitors only), and clear a verification when
a later save changes the field. Services flush, never commit; every mark is audited.

A record whose every planned field is verified gets the status *verified* (``crf.status``);
the next save of the record sets it back to complete, as every save sets its status.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.audit.context import current_reason
from studyapp.crf import save
from studyapp.crf.status import COMPLETE, IN_PROGRESS, VERIFIED
from studyapp.db import utcnow
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.monitoring.sdv.models import SdvMark
from studyapp.monitoring.sdv.scope import (
    Planned,
    Target,
    covering,
    find_record,
    plan_of,
    visit_records,
)
from studyapp.permissions import Action, require
from studyapp.visits.models import Visit


def active_marks(subject_id: int) -> list[SdvMark]:
    """The subject's verifications that no later change has cleared."""
    query = select(SdvMark).where(SdvMark.subject_id == subject_id, SdvMark.cleared_at.is_(None))
    return list(db.session.scalars(query))


def _done(subject_id: int) -> set[tuple[str, str, int, str]]:
    return {(m.form, m.table_name, m.row_id, m.field) for m in active_marks(subject_id)}


def verify_field(
    actor: Any, code: str, row_id: int, field: str, child_id: int | None = None
) -> int:
    """Verify one field of the record *row_id* of form *code* (of its child row *child_id*,
    such as a lab result); the number of new marks."""
    require(actor, Action.VERIFY_DATA)
    item = plan_of(code)
    record = find_record(item, row_id)
    if child_id is None and field in item.fields:
        return _verify(actor, item, record, [(record.__tablename__, record.id, field)])
    rows = {c.id: c for c in item.children(record)} if field in item.child_fields else {}
    if child_id not in rows:
        raise NotFound(_("This field is not verified on this form."))
    return _verify(actor, item, record, [(rows[child_id].__tablename__, child_id, field)])


def verify_form(actor: Any, code: str, row_id: int) -> int:
    """Verify every planned field of the record in one action; the number of new marks."""
    require(actor, Action.VERIFY_DATA)
    item = plan_of(code)
    record = find_record(item, row_id)
    return _verify(actor, item, record, item.targets(record))


def verify_visit(actor: Any, visit_id: int) -> int:
    """Verify every planned field of every stored, complete record of the visit; drafts are
    left for later. The number of new marks; Conflict when nothing of the visit can be."""
    require(actor, Action.VERIFY_DATA)
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise NotFound(_("No such visit."))
    found = [(i, r) for i, r in visit_records(visit.id) if r.status != IN_PROGRESS]
    if not found:
        raise Conflict(_("No complete form of this visit is there to verify."))
    return sum(_verify(actor, item, record, item.targets(record)) for item, record in found)


def _verify(actor: Any, item: Planned, record: Any, wanted: list[Target]) -> int:
    if record.status == IN_PROGRESS:
        raise Conflict(_("A draft cannot be verified: the form must be complete first."))
    done = _done(record.subject_id)
    new = [t for t in wanted if (item.code, *t) not in done]
    for table, row_id, name in new:
        db.session.add(
            SdvMark(
                subject_id=record.subject_id,
                form=item.code,
                table_name=table,
                row_id=row_id,
                field=name,
                record_version=record.version,
                verified_by_id=actor.id,
                verified_at=utcnow(),
            )
        )
        done.add((item.code, table, row_id, name))
    wanted_all = {(i.code, *t) for i in covering(record) for t in i.targets(record)}
    if record.status == COMPLETE and wanted_all <= done:
        record.status = VERIFIED  # every planned field of every form of the record
    db.session.flush()
    return len(new)


@save.record_changed.answer
def clear_changed(actor: Any, record: Any, changed: frozenset[str]) -> None:
    """A save changed *changed* on *record* (and perhaps its child rows): clear their
    verifications (audited), with who, when and the reason for change given with the save."""
    items = covering(record)
    if not items:
        return
    stale = {(record.__tablename__, record.id, f) for f in changed}
    for item in items:
        stale |= _changed_children(item, record)
    if not stale:
        return
    reason = current_reason(db.session)
    for mark in active_marks(record.subject_id):
        if (mark.table_name, mark.row_id, mark.field) in stale:
            mark.cleared_at = utcnow()
            mark.cleared_by_id = getattr(actor, "id", None)
            mark.cleared_reason = reason


def _changed_children(item: Planned, record: Any) -> set[Target]:
    """The changed, not yet flushed fields of the record's child rows in the session."""
    if item.child is None:
        return set()
    return {
        (obj.__tablename__, obj.id, name)
        for obj in db.session.dirty
        if isinstance(obj, item.child) and getattr(obj, item.child_key) == record.id
        for name in save.changed_columns(obj)
    }
