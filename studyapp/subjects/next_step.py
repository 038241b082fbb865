"""Who acts next on a candidate, from consent to enrolment (issue 15).

The checklist and the subject page say which role acts next and what it does, so that the
coordinator and the investigator do not wait for each other. Plain values in (the status, the
consent, the evaluated criteria, the signature's state), a ``NextStep`` out; the templates
word it (``subjects/_next_step.html``), and Enrol is disabled, with its reason, until the step
is ENROL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from studyapp.clinical.eligibility import CriterionResult
from studyapp.permissions import Role
from studyapp.subjects.models import SCREENING

#: The steps, in the order a candidate goes through them.
CONSENT = "consent"
SCREENING_VALUES = "screening_values"
SCREEN_FAIL = "screen_fail"
ANSWER = "answer"
SIGN = "sign"
SIGN_AGAIN = "sign_again"
ENROL = "enrol"


@dataclass(frozen=True)
class NextStep:
    """What is to be done next, by whom (a role), and the criteria it concerns."""

    step: str
    role: Role
    codes: tuple[str, ...] = field(default=())


def _open(results: Sequence[CriterionResult], check: str) -> tuple[str, ...]:
    return tuple(
        r.code
        for r in results
        if r.satisfied is None and r.outcome != "not_applicable" and r.check == check
    )


def next_step(
    status: str,
    consented: bool,
    results: Sequence[CriterionResult],
    *,
    signed: bool,
    signature_exists: bool,
) -> NextStep | None:
    """The next step of a candidate in screening; None once the subject left screening.

    A criterion not satisfied makes the screen failure the next step (whatever else is
    open); values the criteria compute come before the investigator's answers, which come
    before the signature; a current signature leaves the enrolment to the coordinator.
    """
    if status != SCREENING:
        return None
    if not consented:
        return NextStep(CONSENT, Role.COORDINATOR)
    failed = tuple(r.code for r in results if r.satisfied is False)
    if failed:
        return NextStep(SCREEN_FAIL, Role.COORDINATOR, failed)
    missing = _open(results, "machine")
    if missing:
        return NextStep(SCREENING_VALUES, Role.COORDINATOR, missing)
    unanswered = _open(results, "investigator")
    if unanswered:
        return NextStep(ANSWER, Role.INVESTIGATOR, unanswered)
    if not signed:
        return NextStep(SIGN_AGAIN if signature_exists else SIGN, Role.INVESTIGATOR)
    return NextStep(ENROL, Role.COORDINATOR)
