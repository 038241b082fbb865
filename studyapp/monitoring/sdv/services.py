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
from studyapp.monitoring.sdv.scope import Planned, covering, find_record, plan_of, visit_records
from studyapp.permissions import Action, require
from studyapp.visits.models import Visit


def active_marks(record: Any) -> list[SdvMark]:
    """The verifications of *record* that no later change has cleared."""
    return list(
        db.session.scalars(
            select(SdvMark).where(
                SdvMark.table_name == record.__tablename__,
                SdvMark.row_id == record.id,
                SdvMark.cleared_at.is_(None),
            )
        )
    )


def verify_field(actor: Any, code: str, row_id: int, field: str) -> int:
    """Verify one field of the record *row_id* of form *code*; the number of new marks."""
    require(actor, Action.VERIFY_DATA)
    item = plan_of(code)
    if field not in item.fields:
        raise NotFound(_("This field is not verified on this form."))
    return _verify(actor, item, find_record(item, row_id), (field,))


def verify_form(actor: Any, code: str, row_id: int) -> int:
    """Verify every planned field of the record in one action; the number of new marks."""
    require(actor, Action.VERIFY_DATA)
    item = plan_of(code)
    return _verify(actor, item, find_record(item, row_id), item.fields)


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
    return sum(_verify(actor, item, record, item.fields) for item, record in found)


def _verify(actor: Any, item: Planned, record: Any, fields: tuple[str, ...]) -> int:
    if record.status == IN_PROGRESS:
        raise Conflict(_("A draft cannot be verified: the form must be complete first."))
    marks = active_marks(record)
    done = {m.field for m in marks if m.form == item.code}
    new = [f for f in fields if f not in done]
    for name in new:
        mark = SdvMark(
            subject_id=record.subject_id,
            form=item.code,
            table_name=record.__tablename__,
            row_id=record.id,
            field=name,
            record_version=record.version,
            verified_by_id=actor.id,
            verified_at=utcnow(),
        )
        db.session.add(mark)
        marks.append(mark)
    _mark_verified(record, marks)
    db.session.flush()
    return len(new)


def _mark_verified(record: Any, marks: list[SdvMark]) -> None:
    """Status *verified* once every planned field of every form of the record is verified."""
    done = {(m.form, m.field) for m in marks}
    wanted = {(i.code, f) for i in covering(record) for f in i.fields}
    if record.status == COMPLETE and wanted <= done:
        record.status = VERIFIED


@save.record_changed.answer
def clear_changed(actor: Any, record: Any, changed: frozenset[str]) -> None:
    """A save changed *changed* on *record*: clear their verifications (audited), with who,
    when and the reason for change given with the save."""
    if not changed or not covering(record):
        return
    reason = current_reason(db.session)
    for mark in active_marks(record):
        if mark.field in changed:
            mark.cleared_at = utcnow()
            mark.cleared_by_id = getattr(actor, "id", None)
            mark.cleared_reason = reason
