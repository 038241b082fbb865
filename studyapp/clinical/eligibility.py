"""Eligibility: each protocol criterion checked against the screening data (protocol IE).

Machine criteria compare an observation (``DOMAIN.FIELD``) with the protocol's threshold;
investigator criteria take the investigator's explicit answer. The subject is eligible
only when every criterion that applies on the screening date is answered and satisfied:
an inclusion criterion met, an exclusion criterion not met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from studyapp.protocol.model import EligibilityCriterion

OUTCOMES = ("met", "not_met", "missing", "unanswered", "not_applicable")
_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Observation:
    """A screening value for a criterion's field.

    ``day`` is the study day of the sample relative to inclusion (for windowed criteria).
    ``none_reason`` says why no value can exist (a man's pregnancy test, no emergency
    treatment ever given): nothing can then break the criterion, so it is satisfied.
    """

    value: Decimal | bool | str | None
    day: int | None = None
    none_reason: str | None = None


@dataclass(frozen=True)
class CriterionResult:
    code: str
    kind: str
    text: str
    check: str
    outcome: str
    #: Inclusion met or exclusion not met; None while missing or unanswered.
    satisfied: bool | None
    value: str | None = None
    threshold: str = ""
    note: str = ""
    #: The criterion's text in Simplified Chinese (the protocol's ``text_zh``).
    text_zh: str = ""
    #: The unit the threshold ends with ("" when none), so a page can show it translated.
    unit: str = ""


def _applies(criterion: EligibilityCriterion, screening_date: date) -> bool:
    if criterion.effective_from and screening_date < criterion.effective_from:
        return False
    return not (criterion.effective_to and screening_date > criterion.effective_to)


def _satisfied(criterion: EligibilityCriterion, outcome: str) -> bool | None:
    if outcome not in ("met", "not_met"):
        return None
    return (outcome == "met") == (criterion.kind == "inclusion")


def _threshold(criterion: EligibilityCriterion, limit: Decimal | None) -> str:
    unit = f" {criterion.unit}" if criterion.unit else ""
    if criterion.value in ("ULN", "LLN"):
        return f"{criterion.operator} {criterion.value} ({limit}{unit})"
    shown = str(criterion.value).lower() if isinstance(criterion.value, bool) else criterion.value
    return f"{criterion.operator} {shown}{unit}"


def _compare(
    criterion: EligibilityCriterion, value: Decimal | bool | str, limit: Decimal | None
) -> bool:
    op, target = criterion.operator, criterion.value
    if op in ("==", "!="):
        same = (
            value.strip().upper() == target.strip().upper()
            if isinstance(value, str) and isinstance(target, str)
            else value == target
        )
        return same if op == "==" else not same
    bound = limit if target in ("ULN", "LLN") else target
    if bound is None or isinstance(bound, bool | str):
        raise ValueError(f"{criterion.code}: no numeric bound for {criterion.field} {op} {target}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(
            f"{criterion.code}: {criterion.field} = {value!r} is not a number"
        ) from None
    return bool(_COMPARE[str(op)](number, bound))


def _machine(
    criterion: EligibilityCriterion, obs: Observation | None, limit: Decimal | None
) -> CriterionResult:
    threshold = _threshold(criterion, limit)
    base = {
        "code": criterion.code,
        "kind": criterion.kind,
        "text": criterion.text,
        "text_zh": criterion.text_zh,
        "check": criterion.check,
        "threshold": threshold,
        "unit": criterion.unit or "",
    }
    if obs is None or (obs.value is None and obs.none_reason is None):
        return CriterionResult(**base, outcome="missing", satisfied=None, note="no value yet")
    if obs.value is None:
        outcome = "met" if criterion.kind == "inclusion" else "not_met"
        return CriterionResult(
            **base,
            outcome=outcome,
            satisfied=_satisfied(criterion, outcome),
            note=obs.none_reason or "",
        )
    shown = str(obs.value).lower() if isinstance(obs.value, bool) else str(obs.value)
    if criterion.window is not None:
        first, last = criterion.window
        if obs.day is None or not first <= obs.day <= last:
            return CriterionResult(
                **base,
                outcome="missing",
                satisfied=None,
                value=shown,
                note=f"sample on study day {obs.day} is outside days {first} to {last}",
            )
    outcome = "met" if _compare(criterion, obs.value, limit) else "not_met"
    return CriterionResult(
        **base, outcome=outcome, satisfied=_satisfied(criterion, outcome), value=shown
    )


def evaluate(
    criteria: Sequence[EligibilityCriterion],
    observations: Mapping[str, Observation],
    answers: Mapping[str, bool],
    *,
    screening_date: date,
    limits: Mapping[str, Decimal] | None = None,
) -> list[CriterionResult]:
    """One result per criterion, in protocol order.

    *observations* maps a field (``LB.PLAT``) to its value; *answers* maps an investigator
    criterion's code to True when its condition holds for the subject; *limits* maps a
    field to the ULN or LLN its criterion compares with (from the protocol's lab ranges).
    """
    out = []
    for criterion in criteria:
        if not _applies(criterion, screening_date):
            out.append(_not_in_force(criterion))
        elif criterion.check == "investigator":
            out.append(_investigator(criterion, answers.get(criterion.code)))
        else:
            limit = (limits or {}).get(str(criterion.field))
            out.append(_machine(criterion, observations.get(str(criterion.field)), limit))
    return out


def _described(criterion: EligibilityCriterion) -> dict[str, str]:
    """What every result repeats of its criterion."""
    return {
        "code": criterion.code,
        "kind": criterion.kind,
        "text": criterion.text,
        "text_zh": criterion.text_zh,
        "check": criterion.check,
    }


def _not_in_force(criterion: EligibilityCriterion) -> CriterionResult:
    return CriterionResult(
        **_described(criterion),
        outcome="not_applicable",
        satisfied=None,
        note="not in force on the screening date",
    )


def _investigator(criterion: EligibilityCriterion, answer: bool | None) -> CriterionResult:
    """The investigator's answer: unanswered, or whether the condition holds."""
    outcome = "unanswered" if answer is None else ("met" if answer else "not_met")
    return CriterionResult(
        **_described(criterion), outcome=outcome, satisfied=_satisfied(criterion, outcome)
    )


def is_eligible(results: Sequence[CriterionResult]) -> bool:
    """Every applicable criterion answered and satisfied."""
    return all(r.satisfied is True for r in results if r.outcome != "not_applicable")


def failed(results: Sequence[CriterionResult]) -> list[CriterionResult]:
    """Criteria answered and not satisfied: the screen-failure reasons."""
    return [r for r in results if r.satisfied is False]
