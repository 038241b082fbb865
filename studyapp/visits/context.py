"""What every visit form's service does first: find the visit and its calendar line, date it.

The save itself is the one CRF sequence (``studyapp.crf.save``); this module holds what is
particular to forms recorded at a visit of the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask_babel import gettext as _

from studyapp.auth.models import User
from studyapp.crf.checks import EditChecks
from studyapp.db import site_today
from studyapp.errors import Conflict
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.subjects.guards import get_subject, invalid
from studyapp.subjects.models import Subject
from studyapp.versioning import check_version as check_version  # safety/sae.py reads it here
from studyapp.visits.models import Visit
from studyapp.visits.schedule import service as schedule

T = TypeVar("T")


@dataclass
class VisitContext:
    subject: Subject
    row: schedule.CalendarRow
    visit: Visit


def load(actor: User, subject_id: int, visitnum: str) -> VisitContext:
    """The subject and calendar line of a visit form (read access)."""
    require(actor, Action.VIEW_STUDY_DATA)
    subject = get_subject(actor, subject_id)
    schedule.require_enrolled(subject)
    row = schedule.find_row(subject, visitnum, site_today())
    return (
        VisitContext(subject, row, row.visit)
        if row.visit
        else VisitContext(
            subject, row, Visit(subject_id=subject.id, code=row.code, visitnum=row.visitnum)
        )
    )


def open_for_entry(
    actor: User, subject_id: int, visitnum: str, visit_date: date | None
) -> VisitContext:
    """The visit a form saves into; an undated visit takes *visit_date* (required then)."""
    require(actor, Action.ENTER_DATA)
    subject = get_subject(actor, subject_id)
    schedule.require_enrolled(subject)
    row = schedule.find_row(subject, visitnum, site_today())
    if row.visit is not None and row.visit.not_done:
        raise Conflict(_("This visit was declared not done; undo that first."))
    visit = schedule.ensure_visit(subject, row)
    if visit.visit_date is None:
        if visit_date is None and row.day is not None and row.day < 1:
            visit_date = subject.screening_date
        if visit_date is None:
            raise invalid("visit_date", _("Give the visit date first."))
        schedule.check_visit_date(subject, visit_date)
        visit.visit_date = visit_date
    return VisitContext(subject, row, visit)


def date_checks(
    checks: EditChecks, field: str, on: date | None, ctx: VisitContext, what: str
) -> None:
    """A date must not be in the future; outside the visit window it needs confirmation."""
    checks.required(field, on)
    if on is None:
        return
    if on > site_today():
        checks.error(field, _("The date cannot be in the future."))
        return
    row = ctx.row
    if row.earliest is not None and row.latest is not None and not row.in_window(on):
        checks.warn(
            field,
            _(
                "%(what)s %(d)s is outside the visit window %(a)s to %(b)s.",
                what=what,
                d=on.isoformat(),
                a=row.earliest.isoformat(),
                b=row.latest.isoformat(),
            ),
        )
    elif ctx.visit.visit_date is not None and on != ctx.visit.visit_date and row.earliest is None:
        checks.warn(
            field,
            _(
                "%(what)s %(d)s is not the visit date %(v)s.",
                what=what,
                d=on.isoformat(),
                v=ctx.visit.visit_date.isoformat(),
            ),
        )


def new_record(model: type[T], ctx: VisitContext, **values: Any) -> T:
    """A new form row of the context's visit (the visit row is written first when new)."""
    if ctx.visit.id is None:
        db.session.flush()
    record = model(subject_id=ctx.subject.id, visit_id=ctx.visit.id, **values)
    db.session.add(record)
    return record
