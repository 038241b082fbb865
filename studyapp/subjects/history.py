"""Prior ITP therapies (CM, CMCAT = PRIOR ITP THERAPY) and medical history (MH)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp import codelists
from studyapp.auth.models import User
from studyapp.clinical import partial_dates
from studyapp.crf import registry
from studyapp.crf.status import Where, check_open
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.subjects.guards import get_subject, invalid, require_consent, require_status
from studyapp.subjects.models import SCREENING, MedicalHistory, PriorTherapy, Subject

#: Prior-therapy categories; rituximab and TPO-RAs count as second-line (IN05).
THERAPY_CATEGORIES = codelists.THERAPY.codes
SECOND_LINE = (codelists.RITUXIMAB, codelists.TPO_RA)
RESPONSES = codelists.PRIOR_RESPONSE.codes
STOP_REASONS = codelists.STOP_REASON.codes


@dataclass(frozen=True)
class Therapy:
    category: str
    name: str
    start_date: str | None
    stop_date: str | None
    best_response: str | None
    reason_stopped: str | None


def _check_partial(field: str, text: str | None) -> None:
    if text:
        try:
            partial_dates.parse(text)
        except ValueError as exc:
            raise invalid(field, str(exc)) from None


def add_prior_therapy(actor: User, subject_id: int, therapy: Therapy) -> PriorTherapy:
    require(actor, Action.ENTER_DATA)
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id, form=registry.HISTORY.key))
    require_status(subject, SCREENING)
    require_consent(subject)
    if therapy.category not in THERAPY_CATEGORIES:
        raise invalid("category", _("Choose a category from the list."))
    for field, allowed in (("best_response", RESPONSES), ("reason_stopped", STOP_REASONS)):
        if getattr(therapy, field) not in (None, *allowed):
            raise invalid(field, _("Choose from the list."))
    _check_partial("start_date", therapy.start_date)
    _check_partial("stop_date", therapy.stop_date)
    if (
        therapy.start_date
        and therapy.stop_date
        and (partial_dates.earliest(therapy.stop_date) < partial_dates.earliest(therapy.start_date))
    ):
        raise invalid("stop_date", _("The stop date is before the start date."))
    check_free_text({"name": therapy.name})
    row = PriorTherapy(subject_id=subject.id, **therapy.__dict__)
    db.session.add(row)
    db.session.flush()
    return row


def add_medical_history(
    actor: User,
    subject_id: int,
    *,
    term: str,
    start_date: str | None,
    end_date: str | None,
    ongoing: bool,
) -> MedicalHistory:
    require(actor, Action.ENTER_DATA)
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id, form=registry.HISTORY.key))
    require_status(subject, SCREENING)
    require_consent(subject)
    _check_partial("start_date", start_date)
    _check_partial("end_date", end_date)
    if ongoing and end_date:
        raise invalid("end_date", _("An ongoing condition has no end date."))
    check_free_text({"term": term})
    row = MedicalHistory(
        subject_id=subject.id,
        term=term.strip(),
        start_date=start_date,
        end_date=end_date,
        ongoing=ongoing,
    )
    db.session.add(row)
    db.session.flush()
    return row


def remove_history_row(actor: User, row: PriorTherapy | MedicalHistory, reason: str) -> None:
    """Removal is a soft delete with its reason; the row stays in the trail (P11-03)."""
    require(actor, Action.ENTER_DATA)
    check_open(Where(row.subject_id, form=registry.HISTORY.key))
    row.soft_delete(reason)
    db.session.flush()


def therapies(subject: Subject) -> list[PriorTherapy]:
    return list(
        db.session.scalars(
            select(PriorTherapy)
            .where(PriorTherapy.subject_id == subject.id, PriorTherapy.deleted_at.is_(None))
            .order_by(PriorTherapy.id)
        )
    )


def history(subject: Subject) -> list[MedicalHistory]:
    return list(
        db.session.scalars(
            select(MedicalHistory)
            .where(MedicalHistory.subject_id == subject.id, MedicalHistory.deleted_at.is_(None))
            .order_by(MedicalHistory.id)
        )
    )
