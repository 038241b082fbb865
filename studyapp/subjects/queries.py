"""The coordinator dashboard: counts against the target, the subject list, next visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_login import current_user
from sqlalchemy import or_, select

from studyapp import codelists
from studyapp.audit import naming
from studyapp.auth.models import User
from studyapp.clinical.schedule import PlannedVisit, study_day, visit_plan
from studyapp.clinical.visit_forms import next_open_visit
from studyapp.extensions import db
from studyapp.hooks import Hook
from studyapp.localized import local
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.guards import get_subject
from studyapp.subjects.models import ENROLLED, SCREEN_FAILED, SCREENING, Subject
from studyapp.subjects.services import screening_deadline

#: SAEs with a report past its deadline (the dashboard lists them in red). Safety, which sits
#: above subjects, answers (``studyapp.hooks``); subjects never imports safety.
overdue_saes: Hook[[User], list[Any]] = Hook(
    "subjects.queries.overdue_saes", "studyapp.safety.queries"
)

#: Subject id -> visit code -> whether the visit is closed (dated or declared not done), for
#: the subjects asked. Visits, which sits above subjects, answers.
closed_visits: Hook[[list[int]], dict[int, dict[str, bool]]] = Hook(
    "subjects.queries.closed_visits", "studyapp.visits.schedule.service"
)

#: Until when daratumumab disturbs the subject's blood compatibility tests (args: the subject's
#: id): an object with ``drug``, ``last_infusion``, ``until``, or None before the first
#: infusion. Answered by visits, which holds the infusions.
blood_bank_interference: Hook[[int], Any] = Hook(
    "subjects.queries.blood_bank_interference", "studyapp.visits.interference"
)

#: Sortable columns of the list, by name (an allowlist: SEC-09).
SORTS = {
    "screening": lambda r: r.subject.screening_number,
    "subject": lambda r: r.subject.subject_number or "~",
    "status": lambda r: r.phase,
    "day1": lambda r: r.subject.day1_date or date.max,
    "next": lambda r: r.next_date or date.max,
}
PHASES = (
    "screening",
    "screen_failed",
    "enrolled",
    "in_treatment",
    "in_follow_up",
    "completed",
    "discontinued",
)


def phase(subject: Subject, today: date) -> str:
    """Where a subject is in the study today (derived, never stored)."""
    if subject.status in (SCREENING, SCREEN_FAILED):
        return subject.status
    if subject.disposition == codelists.COMPLETED:
        return "completed"
    if subject.disposition:
        return "discontinued"
    if subject.day1_date is None or today < subject.day1_date:
        return "enrolled"
    dosing = get_protocol().dosing
    last_treatment_day = dosing.dose_days[-1] + dosing.interval_days - 1
    return (
        "in_treatment"
        if study_day(subject.day1_date, today) <= last_treatment_day
        else ("in_follow_up")
    )


def next_visit(subject: Subject, closed: dict[str, bool] | None = None) -> PlannedVisit | None:
    """The earliest open planned visit (an overdue one before the next due one); none once the
    subject left. *closed*: the subject's visits by code, dated or declared not done, when the
    caller already has them (``closed_visits``)."""
    if subject.status != ENROLLED or subject.disposition or subject.day1_date is None:
        return None
    if closed is None:
        closed = closed_visits([subject.id]).get(subject.id, {})
    return next_open_visit(visit_plan(subject.day1_date, get_protocol()), closed)


@dataclass(frozen=True)
class Row:
    subject: Subject
    phase: str
    next_name: str | None
    next_date: date | None
    screening_overdue: bool


def rows(
    actor: User,
    today: date,
    *,
    phase_filter: str | None = None,
    sort: str = "screening",
    descending: bool = False,
) -> list[Row]:
    require(actor, Action.VIEW_STUDY_DATA)
    subjects = list(db.session.scalars(select(Subject).where(Subject.deleted_at.is_(None))))
    enrolled = [s.id for s in subjects if s.status == ENROLLED and s.day1_date is not None]
    closed = closed_visits(enrolled) if enrolled else {}
    out = []
    for subject in subjects:
        visit = next_visit(subject, closed.get(subject.id, {}))
        current = phase(subject, today)
        if phase_filter and current != phase_filter:
            continue
        if subject.status == SCREENING:
            name, when = None, screening_deadline(subject)
        else:
            name, when = (local(visit), visit.target) if visit else (None, None)
        out.append(
            Row(
                subject,
                current,
                name,
                when,
                subject.status == SCREENING and today > screening_deadline(subject),
            )
        )
    out.sort(key=SORTS.get(sort, SORTS["screening"]), reverse=descending)
    return out


def counts(rows_: list[Row]) -> dict[str, int]:
    out = dict.fromkeys(PHASES, 0)
    for row in rows_:
        out[row.phase] += 1
    out["screened"] = len(rows_)
    out["enrolled_total"] = sum(1 for r in rows_ if r.subject.subject_number)
    out["target"] = get_protocol().study.target_enrolment
    return out


def load_subject(subject_id: int) -> Subject:
    """The subject of a page, for the signed-in user (NotFound, PermissionDenied as refused).

    A plain read, outside the subjects views, so other features' pages load their subject
    without importing subjects' views (tests/unit/test_architecture.py).
    """
    return get_subject(current_user, subject_id)


@naming.subject_by_number.answer
def subject_by_number(number: str) -> int | None:
    """The id of the subject with this subject or screening number (exact, trimmed)."""
    text = number.strip()
    query = select(Subject.id).where(
        or_(Subject.subject_number == text, Subject.screening_number == text)
    )
    return db.session.scalars(query).first()


@naming.subject_numbers.answer
def subject_numbers(ids: set[int]) -> dict[int, str]:
    """Subject id -> its number (the subject number once enrolled, else the screening one)."""
    if not ids:
        return {}
    query = select(Subject).where(Subject.id.in_(ids))
    return {s.id: s.label for s in db.session.scalars(query)}
