"""A query on a field is answered by changing the field: the CRF core's save asks here
(``crf.save.changes_answer``) after writing the values and before flushing them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect, select

from studyapp.crf import registry
from studyapp.crf import save as crf_save
from studyapp.extensions import db
from studyapp.monitoring.queries import models as m
from studyapp.monitoring.queries.services import add_message
from studyapp.visits.models import Visit


def changed_fields(record: Any) -> dict[str, tuple[Any, Any]]:
    """The saved columns of *record* this save changed: name -> (old, new)."""
    changed: dict[str, tuple[Any, Any]] = {}
    for attr in inspect(record).attrs:
        history = attr.history
        if history.deleted and history.added:
            changed[attr.key] = (history.deleted[0], history.added[0])
    return changed


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


@crf_save.changes_answer.answer
def answer_by_change(actor: Any, record: Any, reason: str | None) -> list[int]:
    """Mark the open queries on the changed fields of *record* answered; their ids."""
    changed = changed_fields(record)
    if not changed:
        return []
    visit_id = getattr(record, "visit_id", None)
    visit = db.session.get(Visit, visit_id) if visit_id is not None else None
    found = select(m.DataQuery).where(
        m.DataQuery.subject_id == record.subject_id,
        m.DataQuery.form.in_(registry.page_keys_of(record)),
        m.DataQuery.field.in_(list(changed)),
        m.DataQuery.state == m.OPEN,
        m.DataQuery.deleted_at.is_(None),
        m.DataQuery.visitnum.is_(None) if visit is None else m.DataQuery.visitnum == visit.visitnum,
    )
    answered = []
    for query in db.session.scalars(found.order_by(m.DataQuery.id)):
        old, new = changed[query.field]  # type: ignore[index]
        text = _(
            "Changed %(field)s from %(old)s to %(new)s. Reason: %(reason)s",
            field=query.field,
            old=_shown(old),
            new=_shown(new),
            reason=reason or "—",
        )
        add_message(query, actor, m.ANSWER_BY_CHANGE, text)
        query.state = m.ANSWERED
        answered.append(query.id)
    return answered
