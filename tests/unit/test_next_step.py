"""Who acts next on a candidate (issue 15): each step, and the order when several are open."""

from __future__ import annotations

import pytest

from studyapp.clinical.eligibility import CriterionResult
from studyapp.permissions import Role
from studyapp.subjects import next_step as steps
from studyapp.subjects.next_step import NextStep, next_step


def result(code: str, check: str, satisfied: bool | None, outcome: str = "") -> CriterionResult:
    outcome = outcome or {True: "met", False: "not_met", None: "missing"}[satisfied]
    return CriterionResult(code, "inclusion", code, check, outcome, satisfied)


DONE = [result("IN01", "machine", True), result("IN06", "investigator", True)]
MISSING = result("IN05", "machine", None)
UNANSWERED = result("EX04", "investigator", None, "unanswered")
FAILED = result("IN03", "machine", False)
NOT_APPLICABLE = result("IN09", "machine", None, "not_applicable")


def step(results, *, consented=True, signed=False, signature_exists=False, status="screening"):
    return next_step(status, consented, results, signed=signed, signature_exists=signature_exists)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"results": [], "consented": False}, NextStep(steps.CONSENT, Role.COORDINATOR)),
        (
            {"results": [*DONE, MISSING, UNANSWERED, FAILED]},  # a failure decides first
            NextStep(steps.SCREEN_FAIL, Role.COORDINATOR, ("IN03",)),
        ),
        (
            {"results": [*DONE, UNANSWERED, MISSING]},  # values before answers
            NextStep(steps.SCREENING_VALUES, Role.COORDINATOR, ("IN05",)),
        ),
        (
            {"results": [*DONE, UNANSWERED, NOT_APPLICABLE]},
            NextStep(steps.ANSWER, Role.INVESTIGATOR, ("EX04",)),
        ),
        ({"results": DONE}, NextStep(steps.SIGN, Role.INVESTIGATOR)),
        (
            {"results": DONE, "signature_exists": True},  # signed, then the data changed
            NextStep(steps.SIGN_AGAIN, Role.INVESTIGATOR),
        ),
        (
            {"results": DONE, "signed": True, "signature_exists": True},
            NextStep(steps.ENROL, Role.COORDINATOR),
        ),
        ({"results": DONE, "status": "enrolled"}, None),
    ],
)
def test_next_step(kwargs, expected):
    assert step(**kwargs) == expected
