"""Queries raised by the edit checks (issue 14, item 1): an unusual value the site confirmed
at saving (a soft warning confirmed without a comment) gets a query on its field, for the
monitor to check against the source and close. The CRF core's save asks here
(``crf.save.warnings_confirmed``) after flushing the record.

One query per confirmed value: confirming the same warning again at a later save of the
record (the field unchanged) raises nothing new, even once the query is closed.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.crf import registry
from studyapp.crf import save as crf_save
from studyapp.db import utcnow
from studyapp.extensions import db
from studyapp.monitoring.queries import models as m
from studyapp.monitoring.queries.services import add_message
from studyapp.visits.models import Visit


def _where(record: Any) -> tuple[str | None, str | None]:
    """(visit number, page key) of a CRF record."""
    visit_id = getattr(record, "visit_id", None)
    visit = db.session.get(Visit, visit_id) if visit_id is not None else None
    keys = registry.page_keys_of(record)
    return (visit.visitnum if visit else None, keys[0] if keys else None)


def _queried_fields(subject_id: int, visitnum: str | None, form: str) -> set[str | None]:
    """The fields of that page an edit check has raised a query on before."""
    on_visit = (
        m.DataQuery.visitnum.is_(None) if visitnum is None else m.DataQuery.visitnum == visitnum
    )
    query = (
        select(m.DataQuery.field)
        .join(m.QueryMessage, m.QueryMessage.query_id == m.DataQuery.id)
        .where(m.DataQuery.subject_id == subject_id, m.DataQuery.form == form, on_visit)
        .where(m.QueryMessage.kind == m.EDIT_CHECK)
    )
    return set(db.session.scalars(query))


@crf_save.warnings_confirmed.answer
def raise_for_warnings(
    actor: Any, record: Any, warnings: dict[str, list[str]], changed: frozenset[str] | None
) -> None:
    """An open query on each field whose unusual value *actor* confirmed: on a new record,
    on a field this save changed, or on one no edit check has queried yet (confirming the
    same value again at a later save of the record raises nothing new)."""
    visitnum, form = _where(record)
    if form is None:
        return
    queried = _queried_fields(record.subject_id, visitnum, form)
    for field, messages in sorted(warnings.items()):
        if changed is not None and field not in changed and field in queried:
            continue
        query = m.DataQuery(
            subject_id=record.subject_id,
            visitnum=visitnum,
            form=form,
            field=field,
            state=m.OPEN,
            raised_by_id=actor.id,
            raised_at=utcnow(),
        )
        db.session.add(query)
        db.session.flush()
        text = _(
            "Edit check: %(warning)s The value was confirmed as correct at saving; "
            "check it against the source.",
            warning=" ".join(messages),
        )
        add_message(query, actor, m.EDIT_CHECK, text)
    db.session.flush()
