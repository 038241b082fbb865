"""The visit calendar of a subject: its planned and recorded visits, their dates and statuses.

Also the visit date, a visit declared not done and an unscheduled visit; the study-wide
tracker built on these calendars is ``schedule.tracker``.

Target dates, windows and statuses come from ``clinical.schedule`` and the protocol file;
this module only joins them with the visits recorded in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical.schedule import (
    PlannedVisit,
    study_day,
    visit_plan,
    visit_status,
)
from studyapp.clinical.visit_forms import VisitForms, entry_status, visit_forms
from studyapp.crf import registry
from studyapp.crf.status import Where, check_open
from studyapp.db import site_today
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.localized import local
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.subjects import queries as subject_queries
from studyapp.subjects.guards import check_version, get_subject, invalid
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.visits.assessments.models import (
    BloodBank,
    Ecg,
    PhysicalExam,
    PlateletAntibody,
    Virology,
)
from studyapp.visits.models import (
    BleedingAssessment,
    DoseAdministration,
    LabPanel,
    Medication,
    Visit,
    VitalSigns,
)
from studyapp.visits.schedule import entered

#: A planned visit after the subject left the study (added to the clinical core's statuses).
NOT_EXPECTED = "not_expected"


@dataclass(frozen=True)
class CalendarRow:
    """One line of a subject's calendar: a planned visit, or an unscheduled/ET visit."""

    code: str
    visitnum: str
    name: str
    day: int | None
    target: date | None
    earliest: date | None
    latest: date | None
    status: str
    visit: Visit | None
    forms: tuple[str, ...]
    #: The visit's required forms with their states (``clinical.visit_forms``).
    entry: VisitForms = field(default=VisitForms((), ()))

    @property
    def shown_status(self) -> str:
        """The status to show: *partly entered* instead of done while a form is outstanding."""
        return entry_status(self.status, self.entry)

    @property
    def outstanding(self) -> list[registry.Page]:
        """The required form pages not yet entered (missing or drafts), to name them."""
        return [registry.page_of(key) for key in self.entry.outstanding]

    @property
    def actual_date(self) -> date | None:
        return self.visit.visit_date if self.visit else None

    @property
    def planned(self) -> bool:
        return self.day is not None

    def in_window(self, on: date) -> bool:
        """True inside the window (both ends included), and always for unplanned visits."""
        if self.earliest is None or self.latest is None:
            return True
        return self.earliest <= on <= self.latest


def visitnum_text(number: Decimal) -> str:
    """VISITNUM as text without noise: 2 -> "2", 2.01 -> "2.01"."""
    return format(number.normalize(), "f") if number == number.to_integral() else str(number)


def require_enrolled(subject: Subject) -> date:
    """The subject's Day 1; visits exist only for enrolled subjects."""
    if subject.status != ENROLLED or subject.day1_date is None:
        raise Conflict(_("Visits are recorded for enrolled subjects only."))
    return subject.day1_date


def visits_of(subject: Subject) -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit).where(Visit.subject_id == subject.id, Visit.deleted_at.is_(None))
        )
    )


def _row(subject: Subject, planned: PlannedVisit, visit: Visit | None, today: date) -> CalendarRow:
    actual = visit.visit_date if visit else None
    if actual is None and planned.day < 1:
        actual = subject.screening_date  # screening took place: the subject was enrolled
    missed = bool(visit and visit.not_done)
    left = subject.disposition_date
    if actual is None and not missed and left is not None and planned.latest > left:
        status = NOT_EXPECTED  # the subject left the study before this visit's window closed
    else:
        shown = actual if actual is not None and actual <= today else None
        status = visit_status(planned, shown, today, missed=missed and shown is None)
    return CalendarRow(
        code=planned.code,
        visitnum=visitnum_text(planned.visitnum),
        name=local(planned),
        day=planned.day,
        target=planned.target,
        earliest=planned.earliest,
        latest=planned.latest,
        status=status,
        visit=visit,
        forms=planned.forms,
    )


def with_entry(row: CalendarRow, statuses: dict[int, dict[str, str]]) -> CalendarRow:
    """*row* with the states of its required forms, from the statuses entered per visit."""
    required = [page.key for page in registry.required_pages(row.forms)]
    found = statuses.get(row.visit.id, {}) if row.visit is not None and row.visit.id else {}
    return replace(row, entry=visit_forms(required, found, row.status, entered.FINISHED))


def calendar(
    subject: Subject,
    today: date,
    visits: list[Visit] | None = None,
    statuses: dict[int, dict[str, str]] | None = None,
) -> list[CalendarRow]:
    """Planned visits with their status on *today*, with unscheduled visits in VISITNUM order,
    each with the states of its required forms.

    *visits* are the subject's recorded visits and *statuses* the form statuses entered per
    visit (``entered.form_statuses``) when the caller already loaded them.
    """
    day1 = require_enrolled(subject)
    protocol = get_protocol()
    recorded = {v.visitnum: v for v in (visits_of(subject) if visits is None else visits)}
    if statuses is None:
        statuses = entered.form_statuses([v.id for v in recorded.values()])
    rows = []
    for planned in visit_plan(day1, protocol):
        num = visitnum_text(planned.visitnum)
        rows.append(_row(subject, planned, recorded.pop(num, None), today))
    for visit in recorded.values():
        definition = protocol.visit(visit.code)
        rows.append(
            CalendarRow(
                code=visit.code,
                visitnum=visit.visitnum,
                name=local(definition),
                day=None,
                target=None,
                earliest=None,
                latest=None,
                status="done" if visit.visit_date else "due",
                visit=visit,
                forms=definition.forms,
            )
        )
    rows.sort(key=lambda r: Decimal(r.visitnum))
    return [with_entry(row, statuses) for row in rows]


@subject_queries.closed_visits.answer
def closed_visits(subject_ids: list[int]) -> dict[int, dict[str, bool]]:
    """Subject id -> visit code -> closed (dated or declared not done), in one query."""
    out: dict[int, dict[str, bool]] = {i: {} for i in subject_ids}
    query = select(Visit.subject_id, Visit.code, Visit.visit_date, Visit.not_done).where(
        Visit.subject_id.in_(subject_ids), Visit.deleted_at.is_(None)
    )
    for subject_id, code, on, not_done in db.session.execute(query):
        out[subject_id][code] = on is not None or bool(not_done)
    return out


def current_row(rows: list[CalendarRow]) -> CalendarRow | None:
    """The visit a user most likely wants: due, else the oldest overdue, else the next one."""
    for wanted in ("due", "overdue", "upcoming"):
        for row in rows:
            if row.status == wanted and (row.planned or wanted == "due"):
                return row
    return None


def find_row(subject: Subject, visitnum: str, today: date) -> CalendarRow:
    for row in calendar(subject, today):
        if row.visitnum == visitnum:
            return row
    raise NotFound(_("No such visit."))


def ensure_visit(subject: Subject, row: CalendarRow) -> Visit:
    """The Visit row of a calendar line, created (unsaved) for a planned visit on first use."""
    if row.visit is not None:
        return row.visit
    visit = Visit(subject_id=subject.id, code=row.code, visitnum=row.visitnum)
    db.session.add(visit)
    return visit


#: Every model of data recorded at a visit (a visit with any of them cannot be "not done").
_VISIT_MODELS = (
    VitalSigns,
    LabPanel,
    BleedingAssessment,
    DoseAdministration,
    Medication,
    PhysicalExam,
    Ecg,
    Virology,
    BloodBank,
    PlateletAntibody,
)


def has_data(visit: Visit) -> bool:
    if visit.id is None:
        return False
    for model in _VISIT_MODELS:
        found = db.session.scalar(
            select(model.id).where(model.visit_id == visit.id, model.deleted_at.is_(None)).limit(1)
        )
        if found is not None:
            return True
    return False


def check_visit_date(subject: Subject, on: date) -> None:
    if on > site_today():
        raise invalid("visit_date", _("The visit date cannot be in the future."))
    if subject.consent_date and on < subject.consent_date:
        raise invalid("visit_date", _("The visit date cannot be before informed consent."))


def record_visit_date(
    actor: User,
    subject_id: int,
    visitnum: str,
    on: date | None,
    *,
    version: int | None = None,
    reason: str | None = None,
) -> Visit:
    """Date a visit (SVSTDTC); changing a saved date needs a reason."""
    require(actor, Action.ENTER_DATA)
    if on is None:
        raise invalid("visit_date", _("Give the visit date."))
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id, visitnum))
    row = find_row(subject, visitnum, site_today())
    visit = ensure_visit(subject, row)
    if visit.id is not None:
        check_version(visit, version)  # type: ignore[arg-type]
    if visit.not_done:
        raise Conflict(_("This visit was declared not done; undo that first."))
    check_visit_date(subject, on)
    set_reason(reason)
    visit.visit_date = on
    db.session.flush()
    return visit


def mark_not_done(actor: User, subject_id: int, visitnum: str, reason: str) -> Visit:
    """Declare a planned visit not done (missed): a reason is required (SV)."""
    require(actor, Action.MANAGE_SCHEDULE)
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id, visitnum))
    row = find_row(subject, visitnum, site_today())
    if not row.planned:
        raise Conflict(_("Only planned visits can be declared not done."))
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Give the reason the visit was not done."))
    check_free_text({"reason": reason})
    visit = ensure_visit(subject, row)
    if visit.visit_date is not None or has_data(visit):
        raise Conflict(_("This visit has data; it cannot be declared not done."))
    set_reason("visit not done: " + reason)
    visit.not_done, visit.not_done_reason = True, reason
    db.session.flush()
    return visit


def undo_not_done(actor: User, subject_id: int, visitnum: str, reason: str) -> Visit:
    """Withdraw a "not done" declaration (the visit took place after all)."""
    require(actor, Action.MANAGE_SCHEDULE)
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id, visitnum))
    row = find_row(subject, visitnum, site_today())
    if row.visit is None or not row.visit.not_done:
        raise Conflict(_("This visit is not declared not done."))
    if not (reason or "").strip():
        raise invalid("reason", _("Give a reason for this change."))
    set_reason(reason.strip())
    row.visit.not_done, row.visit.not_done_reason = False, None
    db.session.flush()
    return row.visit


def day_of(subject: Subject, on: date | None) -> int | None:
    """Study day of *on* for this subject (CDISC --DY), None without Day 1 or date."""
    if subject.day1_date is None or on is None:
        return None
    return study_day(subject.day1_date, on)
