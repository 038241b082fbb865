"""The safety run-in gate (DOMAIN.md section 2) and the signed DLT review.

The first ``run_in.subjects`` enrolled subjects form the run-in cohort, dosed at least
``min_days_between_first_doses`` apart. Nobody else is enrolled or dosed until every
run-in subject has finished the DLT window and the investigator has signed a DLT review
whose decision the protocol's stop rule allows: continue (open), modify (expand the
run-in cohort) or stop (halt).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from studyapp.auth.models import User
from studyapp.clinical.grading import runin_decision
from studyapp.clinical.schedule import date_of_day
from studyapp.db import site_today
from studyapp.errors import Conflict, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import CONFIRMED, REJECTED, AdverseEvent
from studyapp.signatures import services as signatures
from studyapp.subjects.labels import label
from studyapp.subjects.models import ENROLLED, DltAssessment, DltReview, Subject

MEANING = "Investigator sign-off of the safety run-in DLT review"
#: Decisions the stop rule's outcome allows.
ALLOWED = {
    "open": ("continue", "stop"),
    "expand": ("modify", "stop"),
    "halt": ("stop",),
    "pending": (),
}
ENROLLING = ("enrolling_run_in", "expanding", "open")


@dataclass(frozen=True)
class RunInSubject:
    subject: Subject
    window_end: date
    days_left: int
    dlt: bool | None  # from the latest signed review; None when not reviewed yet
    #: AE records the investigator confirmed as DLTs, and candidates not decided yet.
    confirmed: tuple[AdverseEvent, ...] = ()
    candidates: tuple[AdverseEvent, ...] = ()


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
    def undecided(self) -> list[AdverseEvent]:
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


def dlt_events(subject_ids: list[int]) -> dict[int, list[AdverseEvent]]:
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
    found: dict[int, list[AdverseEvent]] = {}
    for row in rows:
        if row.dlt_decision != REJECTED:
            found.setdefault(row.subject_id, []).append(row)
    return found


def window_end(day1: date) -> date:
    return date_of_day(day1, get_protocol().run_in.dlt_window_last_day)


def gate(today: date | None = None) -> Gate:
    """Where the run-in stands today, with a message that says why and until when."""
    today = today or site_today()
    rule = get_protocol().run_in
    review = latest_review()
    size = rule.subjects + (
        rule.expansion_subjects if review and review.decision == "modify" else 0
    )
    found = _findings(review)
    cohort = [s for s in run_in_subjects() if s.day1_date]
    events = dlt_events([s.id for s in cohort])
    members = [
        RunInSubject(
            s,
            window_end(s.day1_date),
            max(0, (window_end(s.day1_date) - today).days),
            found.get(s.id),
            tuple(e for e in events.get(s.id, []) if e.dlt_decision == CONFIRMED),
            tuple(e for e in events.get(s.id, []) if e.dlt_decision is None),
        )
        for s in cohort
        if s.day1_date
    ]
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
    if len(members) < size:
        state = "expanding" if review else "enrolling_run_in"
        return Gate(
            state,
            _(
                "Enrolling the run-in cohort: %(n)d of %(size)d enrolled.",
                n=len(members),
                size=size,
            ),
            None,
            **common,
        )
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


def _check_against_events(state: Gate, findings: Mapping[int, tuple[bool, str]]) -> None:
    """Candidate DLTs are decided first; a confirmed DLT is a Yes in the review."""
    if state.undecided:
        raise Conflict(
            _(
                "Confirm or reject the candidate DLTs first: %(s)s.",
                s=", ".join(
                    f"{m.subject.label} {ae.label}" for m in state.subjects for ae in m.candidates
                ),
            )
        )
    wrong = [
        m.subject.label for m in state.subjects if m.confirmed and not findings[m.subject.id][0]
    ]
    if wrong:
        raise ValidationFailed(
            _(
                "%(s)s: the investigator confirmed a DLT in the adverse events; answer Yes.",
                s=", ".join(wrong),
            )
        )


def sign_review(
    actor: User,
    *,
    findings: Mapping[int, tuple[bool, str]],
    decision: str,
    comments: str,
    password: str,
    username: str | None,
) -> DltReview:
    """Record and sign the DLT review; the stop rule decides which decisions are allowed."""
    require(actor, Action.REVIEW_DLT)
    state = gate()
    if state.state != "review_due":
        raise Conflict(state.message)
    cohort = run_in_subjects()
    missing = [s.label for s in cohort if s.id not in findings]
    if missing:
        raise ValidationFailed(_("Answer DLT yes or no for %(s)s.", s=", ".join(missing)))
    _check_against_events(state, findings)
    check_free_text({"comments": comments} | {f"details-{k}": v[1] for k, v in findings.items()})
    dlts = sum(1 for s in cohort if findings[s.id][0])
    outcome = runin_decision(len(cohort), dlts, get_protocol().run_in)
    if decision not in ALLOWED[outcome]:
        raise ValidationFailed(
            _("Check the form."),
            field_errors={
                "decision": [
                    _(
                        "With %(n)d DLT(s) in %(size)d subjects the protocol's rule gives '%(o)s': "
                        "choose %(allowed)s.",
                        n=dlts,
                        size=len(cohort),
                        o=label("rule", outcome),
                        allowed=" / ".join(label("decision", d) for d in ALLOWED[outcome]),
                    )
                ]
            },
        )
    review = DltReview(
        cohort_size=len(cohort),
        dlt_count=dlts,
        rule_outcome=outcome,
        decision=decision,
        comments=comments.strip() or None,
    )
    db.session.add(review)
    db.session.flush()
    for subject in cohort:
        dlt, details = findings[subject.id]
        db.session.add(
            DltAssessment(
                review_id=review.id, subject_id=subject.id, dlt=dlt, details=details.strip() or None
            )
        )
    content = {
        "decision": decision,
        "dlt_count": dlts,
        "rule_outcome": outcome,
        **{s.label: findings[s.id][0] for s in cohort},
    }
    signature = signatures.sign(
        actor,
        password=password,
        username=username,
        meaning=MEANING,
        table_name="dlt_review",
        row_id=str(review.id),
        subject_id=None,
        content=content,
    )
    review.signature_id = signature.id
    db.session.flush()
    return review
