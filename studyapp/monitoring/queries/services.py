"""The use-cases of data queries: raise, reply, close, re-open, and answer by a change.

Who may do what is the role matrix (``permissions``): RAISE_QUERY (monitor, data manager)
raises, closes and re-opens; ANSWER_QUERY (investigator, coordinator) replies. The state rules
are here: a closed query takes no reply and cannot be closed again, an open one cannot be
re-opened. Services flush; the request edge commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.db import utcnow
from studyapp.errors import Conflict, NotFound, ValidationFailed
from studyapp.extensions import db
from studyapp.monitoring.queries import models as m
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.subjects.guards import get_subject
from studyapp.visits.models import Visit


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Check the form."), field_errors={field: [message]})


def _text(value: str | None, field: str = "text") -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, _("Write the message."))
    check_free_text({field: text})
    return text


def _location(form: str | None, visitnum: str | None, field: str | None) -> str | None:
    """The page key of *form* (checked with its visit and field); None for a subject query."""
    if form is None:
        if visitnum is not None or field is not None:
            raise _invalid("field", _("A query on a visit or a field needs its form."))
        return None
    entry = registry.FORMS.get(form)
    if entry is None or entry.endpoint is None:
        raise NotFound(_("No such form."))
    if entry.per_visit != (visitnum is not None):
        raise _invalid("field", _("This form is not recorded at a visit."))
    if field is not None and field not in registry.fields_of(entry.page.key):
        raise _invalid("field", _("This form has no such field."))
    return entry.page.key


def _visit_exists(subject_id: int, visitnum: str) -> bool:
    found = select(Visit.id).where(Visit.subject_id == subject_id, Visit.visitnum == visitnum)
    return db.session.scalar(found) is not None


def add_message(query: m.DataQuery, actor: User, kind: str, text: str) -> m.QueryMessage:
    message = m.QueryMessage(query_id=query.id, author_id=actor.id, at=utcnow(), kind=kind)
    message.text = text
    db.session.add(message)
    return message


def raise_query(
    actor: User,
    subject_id: int,
    text: str | None,
    *,
    visitnum: str | None = None,
    form: str | None = None,
    field: str | None = None,
) -> m.DataQuery:
    """Raise a query on a subject, a form of a visit or one of its fields (monitor, DM)."""
    require(actor, Action.RAISE_QUERY)
    subject = get_subject(actor, subject_id)
    page = _location(form or None, visitnum or None, field or None)
    if visitnum and not _visit_exists(subject.id, visitnum):
        raise NotFound(_("No such visit."))
    body = _text(text)
    query = m.DataQuery(
        subject_id=subject.id,
        visitnum=visitnum or None,
        form=page,
        field=field or None,
        state=m.OPEN,
        raised_by_id=actor.id,
        raised_at=utcnow(),
    )
    db.session.add(query)
    db.session.flush()
    add_message(query, actor, m.RAISE, body)
    db.session.flush()
    return query


def get_query(actor: User, query_id: int) -> m.DataQuery:
    """A query for anyone who may read the study data; NotFound (404) for an unknown id."""
    require(actor, Action.VIEW_STUDY_DATA)
    query = db.session.get(m.DataQuery, query_id)
    if query is None or query.is_deleted:
        raise NotFound(_("No such query."))
    return query


def reply(actor: User, query_id: int, text: str | None) -> m.DataQuery:
    """The site's answer in words: an open query becomes answered (investigator, CRC)."""
    require(actor, Action.ANSWER_QUERY)
    query = get_query(actor, query_id)
    if query.state == m.CLOSED:
        raise Conflict(_("This query is closed: re-open it to continue the thread."))
    add_message(query, actor, m.REPLY, _text(text))
    query.state = m.ANSWERED
    db.session.flush()
    return query


def close(actor: User, query_id: int, text: str | None = None) -> m.DataQuery:
    """Close a query (monitor, DM); the message is optional."""
    require(actor, Action.RAISE_QUERY)
    query = get_query(actor, query_id)
    if query.state == m.CLOSED:
        raise Conflict(_("This query is already closed."))
    body = (text or "").strip()
    if body:
        check_free_text({"text": body})
    add_message(query, actor, m.CLOSE, body or _("Closed."))
    query.state, query.closed_by_id, query.closed_at = m.CLOSED, actor.id, utcnow()
    db.session.flush()
    return query


def reopen(actor: User, query_id: int, text: str | None) -> m.DataQuery:
    """Re-open an answered or closed query with a message saying why (monitor, DM)."""
    require(actor, Action.RAISE_QUERY)
    query = get_query(actor, query_id)
    if query.state == m.OPEN:
        raise Conflict(_("This query is open already."))
    add_message(query, actor, m.REOPEN, _text(text))
    query.state, query.closed_by_id, query.closed_at = m.OPEN, None, None
    db.session.flush()
    return query


def on_page(subject_id: int, visitnum: str | None, form: str) -> list[m.DataQuery]:
    """The queries of one form page, oldest first, with their messages (two statements)."""
    found = select(m.DataQuery).where(
        m.DataQuery.subject_id == subject_id,
        m.DataQuery.form == form,
        m.DataQuery.deleted_at.is_(None),
    )
    found = found.where(
        m.DataQuery.visitnum.is_(None) if visitnum is None else m.DataQuery.visitnum == visitnum
    )
    found = found.options(selectinload(m.DataQuery.messages)).order_by(m.DataQuery.id)
    return list(db.session.scalars(found))
