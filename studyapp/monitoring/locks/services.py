"""Freeze, lock and release; what covers a place; the CRF core's question answered.

A place is covered by every active freeze or lock of the study, of its subject, of its visit
and of its form; the strongest counts: a lock beats a freeze, and among equals the widest
scope is named. Services flush; the request edge commits (``studyapp.transaction``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.crf.status import (
    FORM,
    LOCKED,
    STUDY,
    SUBJECT,
    VISIT,
    Closure,
    Where,
    closure_at,
)
from studyapp.db import site_today, utcnow
from studyapp.errors import Conflict, NotFound, ValidationFailed
from studyapp.extensions import db
from studyapp.monitoring.locks.models import SCOPES, STATES, DataLock
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.subjects.guards import get_subject
from studyapp.visits.models import Visit
from studyapp.visits.schedule import service as schedule

#: Widest first: a study lock is named before a subject's when both hold.
_RANK = {STUDY: 0, SUBJECT: 1, VISIT: 2, FORM: 3}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Check the form."), field_errors={field: [message]})


def active_locks(subject_id: int | None = None) -> list[DataLock]:
    """The active freezes and locks (of one subject, with the study's, when given)."""
    query = select(DataLock).where(DataLock.released_at.is_(None))
    if subject_id is not None:
        query = query.where(or_(DataLock.subject_id == subject_id, DataLock.scope == STUDY))
    return list(db.session.scalars(query.order_by(DataLock.set_at, DataLock.id)))


def covering(where: Where) -> list[DataLock]:
    """Every active freeze or lock covering *where*, strongest first."""
    visitnum = where.visitnum
    if visitnum is None and where.visit_id is not None:
        visitnum = db.session.get(Visit, where.visit_id).visitnum  # type: ignore[union-attr]
    same_subject = DataLock.subject_id == where.subject_id
    at_visit = DataLock.visitnum == visitnum if visitnum else DataLock.visitnum.is_(None)
    places = [DataLock.scope == STUDY, and_(DataLock.scope == SUBJECT, same_subject)]
    if visitnum:
        places.append(and_(DataLock.scope == VISIT, same_subject, at_visit))
    if where.form:
        places.append(
            and_(DataLock.scope == FORM, same_subject, at_visit, DataLock.form == where.form)
        )
    query = select(DataLock).where(DataLock.released_at.is_(None), or_(*places))
    found = list(db.session.scalars(query))
    return sorted(found, key=lambda lock: (lock.state != LOCKED, _RANK[lock.scope], lock.id))


@closure_at.answer
def state_of_place(where: Where) -> Closure | None:
    """The strongest active freeze or lock covering *where*, or None (open).

    Asked by ``save_record`` about a new record before its values are written: no autoflush.
    """
    with db.session.no_autoflush:
        found = covering(where)
        if not found:
            return None
        lock = found[0]
        setter = db.session.get(User, lock.set_by_id)
    by = setter.full_name if setter is not None else "?"
    return Closure(lock.state, lock.scope, lock.reason, by, lock.set_at)


def state_of(subject_id: int | None, visit: str | None, form_code: str | None) -> Closure | None:
    """The strongest active state covering a record of *form_code* at *visit* of a subject."""
    form = registry.page_key(form_code) if form_code else None
    return state_of_place(Where(subject_id, visit, form))


def _target(actor: User, scope: str, subject_id: Any, visitnum: Any, form: Any) -> Where:
    """Check what a new freeze or lock names: 404 for an unknown subject or visit, 422 else."""
    if scope not in SCOPES:
        raise _invalid("scope", _("Choose what to freeze or lock."))
    if scope == STUDY:
        return Where(None)
    if subject_id is None:
        raise _invalid("subject_id", _("Name the subject."))
    subject = get_subject(actor, subject_id)
    if scope in (VISIT, FORM) and visitnum:
        schedule.find_row(subject, visitnum, site_today())
    elif scope == VISIT:
        raise _invalid("visitnum", _("Name the visit."))
    if scope != FORM:
        return Where(subject.id, visitnum if scope == VISIT else None)
    key = registry.page_key(form or "")
    if key is None:
        raise NotFound(_("No such form."))
    page = next(f.page for f in registry.FORMS.values() if f.page.key == key)
    if not page.per_visit:
        visitnum = None
    elif not visitnum:
        raise _invalid("visitnum", _("This form is recorded at a visit: name the visit."))
    return Where(subject.id, visitnum, key)


def check_target(actor: User, scope: str, subject_id: Any, visitnum: Any, form: Any) -> Where:
    """What a freeze or lock would cover (the set page shows it before it is set)."""
    require(actor, Action.LOCK_DATA)
    return _target(actor, scope, subject_id, visitnum, form)


def set_lock(
    actor: User,
    scope: str,
    state: str,
    *,
    subject_id: int | None = None,
    visitnum: str | None = None,
    form: str | None = None,
    reason: str | None = None,
) -> DataLock:
    """Freeze or lock a place (LOCK_DATA); Conflict if the same is already set there."""
    require(actor, Action.LOCK_DATA)
    if state not in STATES:
        raise _invalid("state", _("Choose freeze or lock."))
    where = _target(actor, scope, subject_id, visitnum, form)
    text = (reason or "").strip() or None
    if text:
        check_free_text({"reason": text})
    for lock in covering(where):
        if lock.scope == scope and lock.state == state and _same(lock, where):
            raise Conflict(_("This is already %(state)s.", state=_state_word(state)))
    lock = DataLock(
        scope=scope,
        state=state,
        subject_id=where.subject_id,
        visitnum=where.visitnum,
        form=where.form,
        reason=text,
        set_by_id=actor.id,
        set_at=utcnow(),
    )
    set_reason(text)
    db.session.add(lock)
    db.session.flush()
    return lock


def _same(lock: DataLock, where: Where) -> bool:
    return (lock.subject_id, lock.visitnum, lock.form) == (
        where.subject_id,
        where.visitnum,
        where.form,
    )


def _state_word(state: str) -> str:
    return _("locked") if state == LOCKED else _("frozen")


def get_lock(actor: User, lock_id: int) -> DataLock:
    require(actor, Action.LOCK_DATA)
    lock = db.session.get(DataLock, lock_id)
    if lock is None:
        raise NotFound(_("No such freeze or lock."))
    return lock


def release(actor: User, lock_id: int, reason: str | None, version: int | None = None) -> DataLock:
    """Unfreeze or unlock with a reason (required, audited); Conflict if already released."""
    lock = get_lock(actor, lock_id)
    if not lock.active:
        raise Conflict(_("This freeze or lock was already released."))
    if version is not None and version != lock.version:
        raise Conflict(_("Another user changed this freeze or lock; reload the page."))
    text = (reason or "").strip()
    if not text:
        raise _invalid("reason", _("Give the reason for releasing it."))
    check_free_text({"reason": text})
    set_reason(text)
    lock.released_by_id, lock.released_at, lock.release_reason = actor.id, utcnow(), text
    db.session.flush()
    return lock
