"""The signed DLT review of the safety run-in (DOMAIN.md section 2).

Once every run-in subject has finished the DLT window (or confirmed DLTs reach the stopping
rule), the investigator answers "DLT yes or no" for each run-in subject and signs a decision
the protocol's stop rule allows: continue (open enrolment), modify (expand the run-in cohort)
or stop (halt). The review sits with safety because it is a judgement on adverse events: every
candidate DLT is decided first, and a confirmed DLT must be a Yes. The gate that this review
opens stays with enrolment (``studyapp.subjects.runin``), and the review record is stored
beside the subjects (``DltReview``), which safety may import.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from studyapp.auth.models import User
from studyapp.clinical.grading import runin_decision
from studyapp.errors import Conflict, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.signatures import meanings
from studyapp.signatures import services as signatures
from studyapp.subjects.labels import label
from studyapp.subjects.models import DltAssessment, DltReview, Subject
from studyapp.subjects.runin import Gate, gate, run_in_subjects

MEANING = meanings.RUN_IN_REVIEW
#: Decisions the stop rule's outcome allows.
ALLOWED = {
    "open": ("continue", "stop"),
    "expand": ("modify", "stop"),
    "halt": ("stop",),
    "pending": (),
}
Findings = Mapping[int, tuple[bool, str]]  # subject id -> (DLT, details)


def _check_against_events(state: Gate, findings: Findings) -> None:
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


def _check_decision(decision: str, cohort: int, dlts: int) -> str:
    """The stop rule's outcome; ValidationFailed when it does not allow *decision*."""
    outcome = runin_decision(cohort, dlts, get_protocol().run_in)
    if decision in ALLOWED[outcome]:
        return outcome
    raise ValidationFailed(
        _("Check the form."),
        field_errors={
            "decision": [
                _(
                    "With %(n)d DLT(s) in %(size)d subjects the protocol's rule gives '%(o)s': "
                    "choose %(allowed)s.",
                    n=dlts,
                    size=cohort,
                    o=label("rule", outcome),
                    allowed=" / ".join(label("decision", d) for d in ALLOWED[outcome]),
                )
            ]
        },
    )


def _record(
    cohort: list[Subject], findings: Findings, outcome: str, decision: str, comments: str
) -> DltReview:
    """The review row and one assessment per run-in subject (flushed, not signed yet)."""
    review = DltReview(
        cohort_size=len(cohort),
        dlt_count=sum(1 for s in cohort if findings[s.id][0]),
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
    return review


def sign_review(
    actor: User,
    *,
    findings: Findings,
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
    outcome = _check_decision(decision, len(cohort), dlts)
    review = _record(cohort, findings, outcome, decision, comments)
    content = {"decision": decision, "dlt_count": dlts, "rule_outcome": outcome}
    signature = signatures.sign(
        actor,
        password=password,
        username=username,
        meaning=MEANING,
        table_name="dlt_review",
        row_id=str(review.id),
        subject_id=None,
        content=content | {s.label: findings[s.id][0] for s in cohort},
    )
    review.signature_id = signature.id
    db.session.flush()
    return review
