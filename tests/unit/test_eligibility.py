"""Eligibility rules against the protocol's criteria, with boundaries (issue 4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from studyapp.clinical.eligibility import Observation, evaluate, failed, is_eligible
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import EligibilityCriterion

SCREENED = date(2026, 3, 2)
ULN = {
    "LB.ALT": Decimal(40),
    "LB.AST": Decimal(40),
    "LB.BILI": Decimal("21"),
    "LB.CREAT": Decimal(104),
}


def good_observations() -> dict[str, Observation]:
    return {
        "DM.AGE": Observation(Decimal(45)),
        "MH.ITP_DURATION_MONTHS": Observation(Decimal(30)),
        "LB.PLAT": Observation(Decimal(18), day=-1),
        "CM.PRIOR_CORTICOSTEROID": Observation(True),
        "CM.PRIOR_SECOND_LINE_COUNT": Observation(Decimal(2)),
        "CM.DAYS_SINCE_EMERGENCY_TX": Observation(None, none_reason="none given"),
        "LB.ALT": Observation(Decimal(25)),
        "LB.AST": Observation(Decimal(30)),
        "LB.BILI": Observation(Decimal(12)),
        "LB.CREAT": Observation(Decimal(70)),
        "QS.ECOG": Observation(Decimal(1)),
        "CM.PRIOR_ANTI_CD38": Observation(False),
        "LB.HCG": Observation("NEGATIVE"),
    }


def all_answers(value: bool = True) -> dict[str, bool]:
    criteria = get_protocol().eligibility
    return {
        c.code: (value if c.kind == "inclusion" else not value)
        for c in criteria
        if c.check == "investigator"
    }


def run(observations=None, answers=None, screening_date=SCREENED):
    return evaluate(
        get_protocol().eligibility,
        observations or good_observations(),
        all_answers() if answers is None else answers,
        screening_date=screening_date,
        limits=ULN,
    )


def by_code(results):
    return {r.code: r for r in results}


def test_a_typical_candidate_is_eligible():
    results = run()
    assert is_eligible(results)
    assert failed(results) == []
    assert by_code(results)["IN10"].outcome == "not_applicable"  # dropped 2023-02-16
    assert by_code(results)["IN08A"].threshold == "<= ULN (40 U/L)"
    assert by_code(results)["IN03"].threshold == "< 30 10^9/L"


@pytest.mark.parametrize(
    ("field", "observation", "code", "satisfied"),
    [
        ("DM.AGE", Observation(Decimal(18)), "IN01", True),
        ("DM.AGE", Observation(Decimal(17)), "IN01", False),
        ("MH.ITP_DURATION_MONTHS", Observation(Decimal(3)), "IN02", True),
        ("MH.ITP_DURATION_MONTHS", Observation(Decimal(2)), "IN02", False),
        ("LB.PLAT", Observation(Decimal("29.9"), day=-2), "IN03", True),
        ("LB.PLAT", Observation(Decimal(30), day=1), "IN03", False),
        ("CM.PRIOR_CORTICOSTEROID", Observation(False), "IN04", False),
        ("CM.PRIOR_SECOND_LINE_COUNT", Observation(Decimal(1)), "IN05", True),
        ("CM.PRIOR_SECOND_LINE_COUNT", Observation(Decimal(0)), "IN05", False),
        ("CM.DAYS_SINCE_EMERGENCY_TX", Observation(Decimal(15)), "IN07", True),
        ("CM.DAYS_SINCE_EMERGENCY_TX", Observation(Decimal(14)), "IN07", False),
        ("LB.ALT", Observation(Decimal(40)), "IN08A", True),
        ("LB.ALT", Observation(Decimal("40.1")), "IN08A", False),
        ("QS.ECOG", Observation(Decimal(2)), "IN09", True),
        ("QS.ECOG", Observation(Decimal(3)), "IN09", False),
        ("CM.PRIOR_ANTI_CD38", Observation(True), "EX01", False),
        ("LB.HCG", Observation("positive"), "EX09", False),
        ("LB.HCG", Observation(None, none_reason="male"), "EX09", True),
    ],
)
def test_boundaries(field, observation, code, satisfied):
    observations = {**good_observations(), field: observation}
    result = by_code(run(observations))[code]
    assert result.satisfied is satisfied
    assert is_eligible(run(observations)) is satisfied
    if not satisfied:
        assert [r.code for r in failed(run(observations))] == [code]


@pytest.mark.parametrize("day", [-3, 2, None])
def test_a_count_outside_its_window_is_missing(day):
    observations = {**good_observations(), "LB.PLAT": Observation(Decimal(10), day=day)}
    result = by_code(run(observations))["IN03"]
    assert result.outcome == "missing"
    assert result.satisfied is None
    assert "outside days -2 to 1" in result.note
    assert not is_eligible(run(observations))


def test_missing_values_and_unanswered_criteria_block_eligibility():
    observations = good_observations()
    del observations["QS.ECOG"]
    results = run(observations, answers={})
    assert by_code(results)["IN09"].outcome == "missing"
    assert by_code(results)["IN06"].outcome == "unanswered"
    assert not is_eligible(results)
    assert failed(results) == []


def test_investigator_answers_for_exclusions():
    answers = {**all_answers(), "EX04": True}  # overt haemorrhage present
    results = run(answers=answers)
    assert by_code(results)["EX04"].outcome == "met"
    assert [r.code for r in failed(results)] == ["EX04"]


def test_criteria_in_force_by_screening_date():
    early = run(screening_date=date(2022, 12, 1))
    assert by_code(early)["IN10"].outcome == "missing"  # then required
    before = EligibilityCriterion(
        "X1", "inclusion", "later rule", "investigator", effective_from=date(2027, 1, 1)
    )
    (result,) = evaluate([before], {}, {}, screening_date=SCREENED)
    assert result.outcome == "not_applicable"


def test_equality_and_inequality_operators():
    ne = EligibilityCriterion(
        "X2", "exclusion", "not negative", "machine", field="LB.X", operator="!=", value="NEGATIVE"
    )
    (result,) = evaluate([ne], {"LB.X": Observation("Negative")}, {}, screening_date=SCREENED)
    assert result.outcome == "not_met"
    assert result.satisfied is True
    boolean = EligibilityCriterion(
        "X3", "inclusion", "flag", "machine", field="F", operator="==", value=True
    )
    (result,) = evaluate([boolean], {"F": Observation(True)}, {}, screening_date=SCREENED)
    assert result.value == "true"
    assert result.threshold == "== true"


@pytest.mark.parametrize(
    ("criterion", "observation", "message"),
    [
        (
            EligibilityCriterion(
                "X4", "inclusion", "alt", "machine", field="LB.ALT", operator="<=", value="ULN"
            ),
            Observation(Decimal(1)),
            "no numeric bound",
        ),
        (
            EligibilityCriterion(
                "X5", "inclusion", "n", "machine", field="N", operator=">", value=Decimal(1)
            ),
            Observation("many"),
            "is not a number",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(criterion, observation, message):
    with pytest.raises(ValueError, match=message):
        evaluate([criterion], {criterion.field: observation}, {}, screening_date=SCREENED)
