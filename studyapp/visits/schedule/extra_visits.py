"""Visits outside the planned schedule: unscheduled visits and the early-termination visit.

Unscheduled visits are numbered x.01, x.02 ... after the last planned visit on or before their
date (the protocol's ``unscheduled = true`` visit gives their code); the early-termination
visit is the protocol's ``early_termination`` visit (VISITNUM 99), recorded once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from studyapp.auth.models import User
from studyapp.clinical.schedule import visit_plan
from studyapp.crf.status import Where, check_open
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.guards import get_subject, invalid
from studyapp.subjects.models import Subject
from studyapp.visits.models import Visit
from studyapp.visits.schedule.service import (
    check_visit_date,
    require_enrolled,
    visitnum_text,
    visits_of,
)


def unscheduled_code() -> str:
    """The visit code of unscheduled visits (the protocol's ``unscheduled = true`` visit)."""
    return get_protocol().unscheduled_visit.code


def _unscheduled_number(subject: Subject, on: date) -> str:
    """x.01, x.02 ... after the last planned visit whose target is on or before *on*."""
    day1 = require_enrolled(subject)
    base = Decimal(0)
    for planned in visit_plan(day1, get_protocol()):
        if planned.target <= on:
            base = planned.visitnum
    taken = {v.visitnum for v in visits_of(subject)}
    for n in range(1, 100):
        candidate = visitnum_text(base + Decimal(n) / 100)
        if candidate not in taken:
            return candidate
    raise Conflict(_("Too many unscheduled visits after this visit."))


def _open_subject(actor: User, subject_id: int) -> Subject:
    require(actor, Action.ENTER_DATA)
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id))
    require_enrolled(subject)
    return subject


def _checked_reason(subject: Subject, on: date, reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", missing)
    check_free_text({"reason": reason})
    check_visit_date(subject, on)
    return reason


def _add(subject: Subject, code: str, visitnum: str, on: date, reason: str) -> Visit:
    visit = Visit(
        subject_id=subject.id,
        code=code,
        visitnum=visitnum,
        visit_date=on,
        unscheduled_reason=reason,
    )
    db.session.add(visit)
    db.session.flush()
    return visit


def add_unscheduled(actor: User, subject_id: int, on: date, reason: str) -> Visit:
    """An unscheduled visit on *on*, numbered after the previous planned visit, with a reason."""
    subject = _open_subject(actor, subject_id)
    reason = _checked_reason(subject, on, reason, _("Give the reason for the unscheduled visit."))
    return _add(subject, unscheduled_code(), _unscheduled_number(subject, on), on, reason)


def early_termination(subject: Subject) -> Visit | None:
    """The subject's early-termination visit, once recorded."""
    definition = get_protocol().early_termination_visit
    if definition is None:
        return None
    return next((v for v in visits_of(subject) if v.code == definition.code), None)


def add_early_termination(actor: User, subject_id: int, on: date, reason: str) -> Visit:
    """The early-termination visit (VISITNUM 99) on *on*, once, with why the subject leaves;
    the subject's disposition (DS) records the formal reason and date."""
    subject = _open_subject(actor, subject_id)
    definition = get_protocol().early_termination_visit
    if definition is None:
        raise NotFound(_("The protocol has no early-termination visit."))
    if early_termination(subject) is not None:
        raise Conflict(_("The early-termination visit is already recorded."))
    reason = _checked_reason(subject, on, reason, _("Give the reason for the early termination."))
    return _add(subject, definition.code, visitnum_text(definition.visitnum), on, reason)
