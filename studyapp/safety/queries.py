"""Safety's answers to the questions lower features ask it (``studyapp.hooks``).

subjects and visits sit below safety and never import it; each declares what it needs as a
hook beside the code that asks, and this module answers: the run-in subjects' DLT events
(the enrolment gate), the doses an infusion reaction followed (the infusion plan) and the
SAEs with an overdue report (the coordinator dashboard). Everything else about adverse events
stays behind these functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from studyapp.auth.models import User
from studyapp.codelists import CONFIRMED, REJECTED
from studyapp.extensions import db
from studyapp.safety import sae
from studyapp.safety.models import AdverseEvent
from studyapp.subjects import queries as subject_queries
from studyapp.subjects import runin
from studyapp.visits.dosing import plan as dose_plan
from studyapp.visits.models import DoseAdministration


@runin.dlt_events.answer
def dlt_events(subject_ids: list[int]) -> dict[int, list[runin.DltEvent]]:
    """Candidate or confirmed DLT records of the subjects (not removed, not rejected)."""
    rows = db.session.scalars(
        select(AdverseEvent)
        .where(
            AdverseEvent.subject_id.in_(subject_ids),
            AdverseEvent.deleted_at.is_(None),
            or_(AdverseEvent.dlt_candidate.is_(True), AdverseEvent.dlt_decision == CONFIRMED),
        )
        .order_by(AdverseEvent.id)
    )
    found: dict[int, list[runin.DltEvent]] = {}
    for row in rows:
        if row.dlt_decision != REJECTED:
            found.setdefault(row.subject_id, []).append(row)
    return found


@dose_plan.irr_doses.answer
def irr_doses(subject_id: int, before: int) -> list[int]:
    """Dose numbers below *before* that a recorded (not removed) infusion reaction followed."""
    return list(
        db.session.scalars(
            select(DoseAdministration.dose_number)
            .join(AdverseEvent, AdverseEvent.dose_id == DoseAdministration.id)
            .where(
                AdverseEvent.subject_id == subject_id,
                AdverseEvent.irr.is_(True),
                AdverseEvent.deleted_at.is_(None),
                DoseAdministration.dose_number < before,
            )
        )
    )


@subject_queries.overdue_saes.answer
def overdue_saes(actor: User) -> list[Any]:
    """SAEs with a report past its deadline, for the dashboard's red list."""
    return list(sae.overdue(actor))
