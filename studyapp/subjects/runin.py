"""The safety run-in gate (DOMAIN.md section 2): who may be enrolled and dosed now.

The first ``run_in.subjects`` enrolled subjects form the run-in cohort, dosed at least
``min_days_between_first_doses`` apart. Nobody else is enrolled or dosed until every
run-in subject has finished the DLT window and the investigator has signed a DLT review
whose decision the protocol's stop rule allows: continue (open), modify (expand the
run-in cohort) or stop (halt).

The gate belongs to enrolment (``services.enrol`` admits through it, the dosing form checks
it); the DLT review itself, its signing and its page, belong to safety
(``studyapp.safety.runin``). The gate reads the run-in subjects' DLT events from the adverse
events through the ``dlt_events`` hook, which safety answers (``studyapp.hooks``): subjects
never imports safety, which imports subjects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.clinical.schedule import date_of_day
from studyapp.codelists import CONFIRMED
from studyapp.db import site_today
from studyapp.errors import Conflict, ValidationFailed
from studyapp.extensions import db
from studyapp.hooks import Hook
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import ENROLLED, DltAssessment, DltReview, Subject

ENROLLING = ("enrolling_run_in", "expanding", "open")


class DltEvent(Protocol):
    """An adverse event that is a candidate or confirmed DLT, as the gate and its page see it."""

    id: int
    label: str
    term: str
    dlt_decision: str | None


#: Candidate or confirmed DLT records of the subjects (not removed, not rejected), by subject.
dlt_events: Hook[[list[int]], dict[int, list[DltEvent]]] = Hook(
    "subjects.runin.dlt_events", "studyapp.safety.queries"
)


@dataclass(frozen=True)
class RunInSubject:
    subject: Subject
    window_end: date
    days_left: int
    dlt: bool | None  # from the latest signed review; None when not reviewed yet
    #: AE records the investigator confirmed as DLTs, and candidates not decided yet.
    confirmed: tuple[DltEvent, ...] = ()
    candidates: tuple[DltEvent, ...] = ()


@dataclass(frozen=True)
class Gate:
    state: str
    message: str
    until: date | None
    cohort_size: int
    subjects: list[RunInSubject] = field(default_factory=list)
    review: DltReview | None = None

    @property
    def enrolment_open(self) -> bool:
        return self.state in ENROLLING

    @property
    def dlt_count(self) -> int:
        return sum(1 for s in self.subjects if s.dlt)

    @property
    def confirmed_count(self) -> int:
        """Run-in subjects with at least one confirmed DLT (the stopping rule counts these)."""
        return sum(1 for s in self.subjects if s.confirmed)

    @property
    def undecided(self) -> list[DltEvent]:
        return [ae for s in self.subjects for ae in s.candidates]


def run_in_subjects() -> list[Subject]:
    return list(
        db.session.scalars(
            select(Subject)
            .where(Subject.run_in.is_(True), Subject.status == ENROLLED)
            .order_by(Subject.enrolled_at, Subject.id)
        )
    )


def latest_review() -> DltReview | None:
    return db.session.scalar(
        select(DltReview)
        .where(DltReview.signature_id.is_not(None), DltReview.deleted_at.is_(None))
        .order_by(DltReview.id.desc())
    )


def _findings(review: DltReview | None) -> dict[int, bool]:
    if review is None:
        return {}
    rows = db.session.scalars(select(DltAssessment).where(DltAssessment.review_id == review.id))
    return {row.subject_id: row.dlt for row in rows}


def window_end(day1: date) -> date:
    return date_of_day(day1, get_protocol().run_in.dlt_window_last_day)


def _members(cohort: list[Subject], found: dict[int, bool], today: date) -> list[RunInSubject]:
    """The run-in subjects with their DLT window and their DLT events."""
    events = dlt_events([s.id for s in cohort])
    members = []
    for s in cohort:
        if not s.day1_date:
            continue
        mine = events.get(s.id, [])
        end = window_end(s.day1_date)
        members.append(
            RunInSubject(
                s,
                end,
                max(0, (end - today).days),
                found.get(s.id),
                tuple(e for e in mine if e.dlt_decision == CONFIRMED),
                tuple(e for e in mine if e.dlt_decision is None),
            )
        )
    return members


def gate(today: date | None = None) -> Gate:
    """Where the run-in stands today, with a message that says why and until when."""
    today = today or site_today()
    rule = get_protocol().run_in
    review = latest_review()
    size = rule.subjects + (
        rule.expansion_subjects if review and review.decision == "modify" else 0
    )
    cohort = [s for s in run_in_subjects() if s.day1_date]
    members = _members(cohort, _findings(review), today)
    common = {"cohort_size": size, "subjects": members, "review": review}
    stopping = _stopping(members, review, rule.halt_if_dlt_at_least, common)
    if stopping is not None:
        return stopping
    if review and review.decision == "stop":
        return Gate(
            "halted", _("Enrolment is halted: the DLT review decided to stop."), None, **common
        )
    if review and review.decision == "continue":
        return Gate(
            "open",
            _("The safety run-in is complete and its DLT review is signed: enrolment is open."),
            None,
            **common,
        )
    return _before_review(members, review, size, today, common)


def _before_review(
    members: list[RunInSubject],
    review: DltReview | None,
    size: int,
    today: date,
    common: dict[str, Any],
) -> Gate:
    """No deciding review yet: enrolling the cohort, waiting for the windows, or review due."""
    if len(members) < size:
        state = "expanding" if review else "enrolling_run_in"
        enrolled = _(
            "Enrolling the run-in cohort: %(n)d of %(size)d enrolled.", n=len(members), size=size
        )
        return Gate(state, enrolled, None, **common)
    last_end = max(m.window_end for m in members)
    if today <= last_end:
        return Gate(
            "waiting",
            _(
                "Enrolment is paused until every run-in subject has finished "
                "the DLT window (%(d)s) and the DLT review is signed.",
                d=last_end,
            ),
            last_end + timedelta(days=1),
            **common,
        )
    return Gate(
        "review_due",
        _(
            "All run-in DLT windows are finished: the investigator's signed "
            "DLT review opens enrolment."
        ),
        None,
        **common,
    )


def _stopping(
    members: list[RunInSubject], review: DltReview | None, limit: int, common: dict[str, Any]
) -> Gate | None:
    """Confirmed DLTs reaching the stopping rule close enrolment until a signed review."""
    if review and review.decision in ("stop", "continue"):
        return None
    confirmed = sum(1 for m in members if m.confirmed)
    if confirmed < limit:
        return None
    return Gate(
        "review_due",
        _(
            "%(n)d run-in subjects have confirmed DLTs: the protocol's stopping rule (%(h)d) "
            "pauses enrolment; the investigator's signed DLT review decides.",
            n=confirmed,
            h=limit,
        ),
        None,
        **common,
    )


def admit(day1: date, today: date) -> bool:
    """Whether a subject enrolled now joins the run-in; Conflict when the gate is closed."""
    state = gate(today)
    if state.state == "open":
        return False
    if not state.enrolment_open:
        raise Conflict(state.message)
    rule = get_protocol().run_in
    earlier = [m.subject.day1_date for m in state.subjects if m.subject.day1_date]
    if earlier:
        first_allowed = max(earlier) + timedelta(days=rule.min_days_between_first_doses)
        if day1 < first_allowed:
            raise ValidationFailed(
                _("Check the form."),
                field_errors={
                    "day1": [
                        _(
                            "Run-in subjects are dosed one at a time: Day 1 no earlier than %(d)s.",
                            d=first_allowed,
                        )
                    ]
                },
            )
    return True


def check_can_dose(subject: Subject, today: date | None = None) -> None:
    """Refuse a dose the run-in gate forbids (used by the dosing form)."""
    if subject.status != ENROLLED or subject.disposition:
        raise Conflict(_("Only enrolled subjects still in the study are dosed."))
    state = gate(today)
    if not subject.run_in and state.state != "open":
        raise Conflict(state.message)
