"""The eligibility checklist: screening values as observations, the investigator's answers,
the evaluation against the protocol's criteria, and the signed confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp import codelists
from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical import eligibility as rules
from studyapp.clinical import partial_dates
from studyapp.clinical.schedule import study_day
from studyapp.db import site_today
from studyapp.errors import Conflict
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.signatures import meanings
from studyapp.signatures import services as signatures
from studyapp.subjects.guards import get_subject, invalid, require_consent, require_status
from studyapp.subjects.history import SECOND_LINE, therapies
from studyapp.subjects.models import SCREENING, SCREENING_FIELDS, EligibilityAnswer, Subject
from studyapp.subjects.next_step import NextStep, next_step


def answers(subject: Subject) -> dict[str, bool]:
    rows = db.session.scalars(
        select(EligibilityAnswer).where(
            EligibilityAnswer.subject_id == subject.id, EligibilityAnswer.deleted_at.is_(None)
        )
    )
    return {row.code: row.answer for row in rows}


def answer_criteria(
    actor: User, subject_id: int, given: Mapping[str, bool], *, reason: str | None
) -> None:
    """Record the investigator-judged answers; changing an answer needs a reason."""
    require(actor, Action.JUDGE_ELIGIBILITY)
    subject = get_subject(actor, subject_id)
    require_status(subject, SCREENING)
    require_consent(subject)
    judged = {c.code for c in get_protocol().eligibility if c.check == "investigator"}
    existing = {
        row.code: row
        for row in db.session.scalars(
            select(EligibilityAnswer).where(EligibilityAnswer.subject_id == subject.id)
        )
    }
    set_reason(reason)
    for code, value in given.items():
        if code not in judged:
            raise invalid(code, _("Not a criterion judged by the investigator."))
        if code in existing:
            existing[code].answer = value
        else:
            db.session.add(EligibilityAnswer(subject_id=subject.id, code=code, answer=value))
    db.session.flush()


LAB_FIELDS = {
    "LB.ALT": ("ALT", "alt"),
    "LB.AST": ("AST", "ast"),
    "LB.BILI": ("BILI", "bilirubin"),
    "LB.CREAT": ("CREAT", "creatinine"),
}


def reference_date(subject: Subject) -> date:
    """Inclusion is Day 1 when planned, else today: the windows count back from it."""
    return subject.day1_date or site_today()


def observations(subject: Subject, day1: date | None = None) -> dict[str, rules.Observation]:
    """The screening values, keyed by the criterion fields of the protocol file.

    Windows count from ``day1`` when given (enrolment), else from the reference date.
    """
    obs = rules.Observation
    ref = day1 or reference_date(subject)
    kinds = [t.category for t in therapies(subject)]
    out: dict[str, rules.Observation] = {
        "DM.AGE": obs(Decimal(subject.age_years)),
        "QS.ECOG": obs(None if subject.ecog is None else Decimal(subject.ecog)),
        "CM.PRIOR_CORTICOSTEROID": obs(codelists.CORTICOSTEROID in kinds),
        "CM.PRIOR_SECOND_LINE_COUNT": obs(Decimal(sum(k in SECOND_LINE for k in kinds))),
        "CM.PRIOR_ANTI_CD38": obs(codelists.ANTI_CD38 in kinds),
        "LB.HCG": _pregnancy_test(subject),
        "MH.ITP_DURATION_MONTHS": obs(_itp_months(subject)),
        "LB.PLAT": obs(
            subject.platelet_count,
            day=None if subject.platelet_date is None else study_day(ref, subject.platelet_date),
        ),
        "CM.DAYS_SINCE_EMERGENCY_TX": _days_since_emergency(subject, ref),
    }
    for field, (_testcd, attr) in LAB_FIELDS.items():
        out[field] = obs(getattr(subject, attr))
    return out


def _pregnancy_test(subject: Subject) -> rules.Observation:
    """The test's result, or why there is none (a man, no childbearing potential)."""
    if subject.sex == "M":
        return rules.Observation(None, none_reason=_("male"))
    if subject.pregnancy_test == "NOT_APPLICABLE":
        return rules.Observation(None, none_reason=_("not of childbearing potential"))
    return rules.Observation(subject.pregnancy_test)


def _itp_months(subject: Subject) -> Decimal | None:
    """Months from the (earliest possible) ITP diagnosis to screening; None if unknown."""
    if not subject.itp_diagnosis_date:
        return None
    return Decimal(
        partial_dates.months_between(
            partial_dates.earliest(subject.itp_diagnosis_date), subject.screening_date
        )
    )


def _days_since_emergency(subject: Subject, ref: date) -> rules.Observation:
    """Days from the last emergency treatment to *ref*; "none given" if there was none."""
    if subject.no_emergency_tx:
        return rules.Observation(None, none_reason=_("none given"))
    if subject.last_emergency_tx_stop is None:
        return rules.Observation(None)
    return rules.Observation(Decimal((ref - subject.last_emergency_tx_stop).days))


def limits(subject: Subject) -> dict[str, Decimal]:
    protocol = get_protocol()
    return {
        field: protocol.lab(testcd).range_for(subject.sex, subject.screening_date).high
        for field, (testcd, _attr) in LAB_FIELDS.items()
    }


def evaluate(subject: Subject) -> list[rules.CriterionResult]:
    """Every criterion with its answer, value and threshold (clinical.eligibility)."""
    return rules.evaluate(
        get_protocol().eligibility,
        observations(subject),
        answers(subject),
        screening_date=subject.screening_date,
        limits=limits(subject),
    )


def eligibility_content(subject: Subject) -> dict[str, Any]:
    """What the investigator signs: the data the criteria read and the answers given.

    Any later change of these invalidates the signature; the outcome against the planned
    Day 1 is checked again at enrolment.
    """
    content: dict[str, Any] = {name: getattr(subject, name) for name in SCREENING_FIELDS}
    content |= {"subject": subject.screening_number, "sex": subject.sex, "age": subject.age_years}
    content["therapies"] = ";".join(
        f"{t.category}|{t.name}|{t.start_date}|{t.stop_date}" for t in therapies(subject)
    )
    content["answers"] = ";".join(f"{k}={v}" for k, v in sorted(answers(subject).items()))
    return content


ELIGIBILITY_MEANING = meanings.ELIGIBILITY


def confirm_eligibility(
    actor: User, subject_id: int, *, password: str, username: str | None
) -> Subject:
    """The investigator signs that every criterion is answered and satisfied."""
    require(actor, Action.SIGN)
    subject = get_subject(actor, subject_id)
    require_status(subject, SCREENING)
    require_consent(subject)
    results = evaluate(subject)
    if not rules.is_eligible(results):
        raise Conflict(_("Not every criterion is answered and satisfied; see the checklist."))
    signature = signatures.sign(
        actor,
        password=password,
        username=username,
        meaning=ELIGIBILITY_MEANING,
        table_name="subject",
        row_id=str(subject.id),
        subject_id=subject.id,
        content=eligibility_content(subject),
    )
    subject.eligibility_signature_id = signature.id
    db.session.flush()
    return subject


def answer_and_confirm(
    actor: User,
    subject_id: int,
    given: Mapping[str, bool],
    *,
    reason: str | None,
    password: str,
    username: str | None,
) -> Subject:
    """The investigator's answers and signature in one step (issue 15): the answers are
    written, then the eligibility is signed over them; a refused signature or a subject not
    eligible with these answers leaves nothing written (the request rolls back)."""
    answer_criteria(actor, subject_id, given, reason=reason)
    return confirm_eligibility(actor, subject_id, password=password, username=username)


def step_of(subject: Subject, results: list[rules.CriterionResult]) -> NextStep | None:
    """Who acts next on *subject* (``next_step``), from its evaluated *results*."""
    return next_step(
        subject.status,
        subject.consented,
        results,
        signed=eligibility_signature_current(subject),
        signature_exists=subject.eligibility_signature_id is not None,
    )


def eligibility_signature(subject: Subject) -> Any:
    from studyapp.signatures.models import Signature

    if subject.eligibility_signature_id is None:
        return None
    return db.session.get(Signature, subject.eligibility_signature_id)


def eligibility_signature_current(subject: Subject) -> bool:
    return signatures.is_current(eligibility_signature(subject), eligibility_content(subject))
