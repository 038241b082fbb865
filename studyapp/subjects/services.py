"""Screening, consent, screening data, eligibility, enrolment, screen failure, disposition.

Each function checks permission and the study's sequencing rules, writes in one
transaction and commits. Refusals are domain errors with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp import sequences
from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.auth.permissions import Action, require
from studyapp.clinical import eligibility as rules
from studyapp.clinical import partial_dates
from studyapp.clinical.schedule import study_day
from studyapp.db import utcnow
from studyapp.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from studyapp.extensions import db
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.signatures import services as signatures
from studyapp.subjects.labels import label
from studyapp.subjects.models import (
    DISPOSITIONS,
    ENROLLED,
    SCREEN_FAILED,
    SCREENING,
    EligibilityAnswer,
    MedicalHistory,
    PriorTherapy,
    Subject,
)

#: Prior-therapy categories; rituximab and TPO-RAs count as second-line (IN05).
THERAPY_CATEGORIES = (
    "corticosteroid",
    "ivig",
    "rituximab",
    "tpo_ra",
    "immunosuppressant",
    "splenectomy",
    "anti_cd38",
    "other",
)
SECOND_LINE = ("rituximab", "tpo_ra")
RESPONSES = ("CR", "R", "NR", "UNKNOWN")
STOP_REASONS = ("NO RESPONSE", "RELAPSE", "INTOLERANCE", "COMPLETED", "OTHER")
PREGNANCY = ("POSITIVE", "NEGATIVE", "NOT_APPLICABLE")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Check the form."), field_errors={field: [message]})


def get_subject(actor: User, subject_id: int) -> Subject:
    require(actor, Action.VIEW_STUDY_DATA)
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(_("No such subject."))
    return subject


def _check_version(subject: Subject, version: int | None) -> None:
    if version is not None and version != subject.version:
        raise StaleVersion(
            _("Another user changed this subject while you were editing."),
            current=subject.audit_values(),
            version=subject.version,
        )


def _require_consent(subject: Subject) -> None:
    """No study procedure other than screening registration before consent."""
    if not subject.consented:
        raise Conflict(
            _("Record informed consent first: no study procedure may be done before it.")
        )


def _require_status(subject: Subject, *allowed: str) -> None:
    if subject.status not in allowed:
        raise Conflict(
            _(
                "Not possible for a subject whose status is %(s)s.",
                s=label("status", subject.status),
            )
        )


@dataclass(frozen=True)
class Screening:
    screening_date: date
    sex: str
    age_years: int
    birth_year: int | None = None
    initials: str | None = None


def register_screening(actor: User, data: Screening) -> Subject:
    """A new candidate in the screening log, numbered by the system (PRV-01)."""
    require(actor, Action.SCREEN_SUBJECTS)
    errors: dict[str, list[str]] = {}
    if data.sex not in ("M", "F"):
        errors["sex"] = [_("Choose M or F.")]
    if not 0 < data.age_years < 120:
        errors["age_years"] = [_("Age must be between 1 and 119 years.")]
    if (
        data.birth_year is not None
        and data.screening_date.year - data.birth_year - data.age_years not in (0, 1)
    ):
        errors["birth_year"] = [_("Birth year and age do not agree.")]
    initials = (data.initials or "").strip().upper() or None
    if initials and not (initials.isalpha() and len(initials) <= 4):
        errors["initials"] = [_("Initials only: up to 4 letters, no name.")]
    if data.screening_date > utcnow().date():
        errors["screening_date"] = [_("The screening date cannot be in the future.")]
    if errors:
        raise ValidationFailed(_("Check the form."), field_errors=errors)
    site = get_protocol().site
    number = sequences.formatted(
        site.screening_prefix,
        site.screening_number_width,
        sequences.next_value(sequences.SCREENING),
    )
    subject = Subject(
        screening_number=number,
        sex=data.sex,
        age_years=data.age_years,
        birth_year=data.birth_year,
        initials=initials,
        screening_date=data.screening_date,
        status=SCREENING,
    )
    db.session.add(subject)
    db.session.commit()
    return subject


def consent_versions_on(day: date) -> list[str]:
    """Consent form versions in effect on ``day`` (the newest first)."""
    forms = [f for f in get_protocol().consent_forms if f.effective_date <= day]
    return [f.version for f in sorted(forms, key=lambda f: f.effective_date, reverse=True)]


def record_consent(
    actor: User,
    subject_id: int,
    *,
    on: date,
    at: time,
    version: str,
    obtained_by_id: int,
    reason: str | None = None,
) -> Subject:
    require(actor, Action.SCREEN_SUBJECTS)
    subject = get_subject(actor, subject_id)
    _require_status(subject, SCREENING)
    if version not in consent_versions_on(on):
        raise _invalid("version", _("Version %(v)s was not in effect on %(d)s.", v=version, d=on))
    if on > utcnow().date():
        raise _invalid("consent_date", _("The consent date cannot be in the future."))
    obtainer = db.session.get(User, obtained_by_id)
    if (
        obtainer is None
        or not obtainer.active
        or obtainer.role not in ("investigator", "coordinator")
    ):
        raise _invalid(
            "obtained_by_id", _("Choose the investigator or coordinator who obtained it.")
        )
    set_reason(reason)
    subject.consent_date, subject.consent_time = on, at
    subject.consent_version, subject.consent_obtained_by_id = version, obtained_by_id
    db.session.commit()
    return subject


SCREENING_FIELDS = (
    "itp_diagnosis_date",
    "ecog",
    "platelet_count",
    "platelet_date",
    "alt",
    "ast",
    "bilirubin",
    "creatinine",
    "pregnancy_test",
    "last_emergency_tx_stop",
    "no_emergency_tx",
)


def save_screening_data(
    actor: User,
    subject_id: int,
    values: Mapping[str, Any],
    *,
    version: int | None,
    reason: str | None,
) -> Subject:
    """The values the machine-checkable criteria read; changing a saved one needs a reason."""
    require(actor, Action.ENTER_DATA)
    subject = get_subject(actor, subject_id)
    _require_status(subject, SCREENING)
    _require_consent(subject)
    _check_version(subject, version)
    diagnosis = values.get("itp_diagnosis_date")
    if diagnosis:
        try:
            partial_dates.parse(diagnosis)
        except ValueError as exc:
            raise _invalid("itp_diagnosis_date", str(exc)) from None
    merged = {name: values.get(name, getattr(subject, name)) for name in SCREENING_FIELDS}
    for name in ("platelet_date", "last_emergency_tx_stop"):
        if merged[name] is not None and merged[name] > utcnow().date():
            raise _invalid(name, _("The date cannot be in the future."))
    if merged["no_emergency_tx"] and merged["last_emergency_tx_stop"]:
        raise _invalid(
            "last_emergency_tx_stop",
            _("Either a stop date or “No emergency ITP treatment given”, not both."),
        )
    set_reason(reason)
    for name in SCREENING_FIELDS:
        if name in values:
            setattr(subject, name, values[name])
    db.session.commit()
    return subject


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
            raise _invalid(field, str(exc)) from None


def add_prior_therapy(actor: User, subject_id: int, therapy: Therapy) -> PriorTherapy:
    require(actor, Action.ENTER_DATA)
    subject = get_subject(actor, subject_id)
    _require_status(subject, SCREENING)
    _require_consent(subject)
    if therapy.category not in THERAPY_CATEGORIES:
        raise _invalid("category", _("Choose a category from the list."))
    _check_partial("start_date", therapy.start_date)
    _check_partial("stop_date", therapy.stop_date)
    if (
        therapy.start_date
        and therapy.stop_date
        and (partial_dates.earliest(therapy.stop_date) < partial_dates.earliest(therapy.start_date))
    ):
        raise _invalid("stop_date", _("The stop date is before the start date."))
    check_free_text({"name": therapy.name})
    row = PriorTherapy(subject_id=subject.id, **therapy.__dict__)
    db.session.add(row)
    db.session.commit()
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
    _require_status(subject, SCREENING)
    _require_consent(subject)
    _check_partial("start_date", start_date)
    _check_partial("end_date", end_date)
    if ongoing and end_date:
        raise _invalid("end_date", _("An ongoing condition has no end date."))
    check_free_text({"term": term})
    row = MedicalHistory(
        subject_id=subject.id,
        term=term.strip(),
        start_date=start_date,
        end_date=end_date,
        ongoing=ongoing,
    )
    db.session.add(row)
    db.session.commit()
    return row


def remove_history_row(actor: User, row: PriorTherapy | MedicalHistory, reason: str) -> None:
    """Removal is a soft delete with its reason; the row stays in the trail (P11-03)."""
    require(actor, Action.ENTER_DATA)
    row.soft_delete(reason)
    db.session.commit()


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
    _require_status(subject, SCREENING)
    _require_consent(subject)
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
            raise _invalid(code, _("Not a criterion judged by the investigator."))
        if code in existing:
            existing[code].answer = value
        else:
            db.session.add(EligibilityAnswer(subject_id=subject.id, code=code, answer=value))
    db.session.commit()


LAB_FIELDS = {
    "LB.ALT": ("ALT", "alt"),
    "LB.AST": ("AST", "ast"),
    "LB.BILI": ("BILI", "bilirubin"),
    "LB.CREAT": ("CREAT", "creatinine"),
}


def reference_date(subject: Subject) -> date:
    """Inclusion is Day 1 when planned, else today: the windows count back from it."""
    return subject.day1_date or utcnow().date()


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
        "CM.PRIOR_CORTICOSTEROID": obs("corticosteroid" in kinds),
        "CM.PRIOR_SECOND_LINE_COUNT": obs(Decimal(sum(k in SECOND_LINE for k in kinds))),
        "CM.PRIOR_ANTI_CD38": obs("anti_cd38" in kinds),
        "LB.HCG": obs(None, none_reason=_("male"))
        if subject.sex == "M"
        else (
            obs(None, none_reason=_("not of childbearing potential"))
            if subject.pregnancy_test == "NOT_APPLICABLE"
            else obs(subject.pregnancy_test)
        ),
        "MH.ITP_DURATION_MONTHS": obs(
            None
            if not subject.itp_diagnosis_date
            else Decimal(
                partial_dates.months_between(
                    partial_dates.earliest(subject.itp_diagnosis_date), subject.screening_date
                )
            )
        ),
        "LB.PLAT": obs(
            subject.platelet_count,
            day=None if subject.platelet_date is None else study_day(ref, subject.platelet_date),
        ),
        "CM.DAYS_SINCE_EMERGENCY_TX": obs(None, none_reason=_("none given"))
        if subject.no_emergency_tx
        else obs(
            None
            if subject.last_emergency_tx_stop is None
            else Decimal((ref - subject.last_emergency_tx_stop).days)
        ),
    }
    for field, (_testcd, attr) in LAB_FIELDS.items():
        out[field] = obs(getattr(subject, attr))
    return out


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


ELIGIBILITY_MEANING = "Investigator confirmation of eligibility"


def confirm_eligibility(
    actor: User, subject_id: int, *, password: str, username: str | None
) -> Subject:
    """The investigator signs that every criterion is answered and satisfied."""
    require(actor, Action.SIGN)
    subject = get_subject(actor, subject_id)
    _require_status(subject, SCREENING)
    _require_consent(subject)
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
    db.session.commit()
    return subject


def eligibility_signature(subject: Subject) -> Any:
    from studyapp.signatures.models import Signature

    if subject.eligibility_signature_id is None:
        return None
    return db.session.get(Signature, subject.eligibility_signature_id)


def eligibility_signature_current(subject: Subject) -> bool:
    return signatures.is_current(eligibility_signature(subject), eligibility_content(subject))


def screen_fail(actor: User, subject_id: int, reason: str) -> Subject:
    """Record a screen failure with the failed criteria and a reason."""
    require(actor, Action.SCREEN_SUBJECTS)
    subject = get_subject(actor, subject_id)
    _require_status(subject, SCREENING)
    if not reason.strip():
        raise _invalid("reason", _("Give the reason for the screen failure."))
    check_free_text({"reason": reason})
    failed = [r.code for r in rules.failed(evaluate(subject))] if subject.consented else []
    set_reason("screen failure: " + reason.strip())
    subject.status = SCREEN_FAILED
    subject.screen_fail_reason = reason.strip()
    subject.screen_failed_criteria = ",".join(failed) or None
    db.session.commit()
    return subject


def screening_deadline(subject: Subject) -> date:
    from datetime import timedelta

    return subject.screening_date + timedelta(days=get_protocol().site.screening_window_days)


def screening_overdue(subject: Subject, today: date) -> bool:
    return subject.status == SCREENING and today > screening_deadline(subject)


def enrol(actor: User, subject_id: int, *, day1: date) -> Subject:
    """Enrol an eligible, consented subject: subject number and Day 1 (the run-in gate rules)."""
    from studyapp.subjects import runin

    require(actor, Action.ENROL_SUBJECTS)
    subject = get_subject(actor, subject_id)
    _require_status(subject, SCREENING)
    _require_consent(subject)
    if not eligibility_signature_current(subject):
        raise Conflict(
            _(
                "Eligibility must be confirmed and signed by the investigator, and "
                "unchanged since, before enrolment."
            )
        )
    today = utcnow().date()
    if day1 < today:
        raise _invalid("day1", _("Day 1 cannot be in the past."))
    if day1 > screening_deadline(subject):
        raise _invalid(
            "day1",
            _(
                "Day 1 must fall within the screening window (by %(d)s).",
                d=screening_deadline(subject),
            ),
        )
    planned = rules.evaluate(
        get_protocol().eligibility,
        observations(subject, day1),
        answers(subject),
        screening_date=subject.screening_date,
        limits=limits(subject),
    )
    if not rules.is_eligible(planned):
        problems = [
            f"{r.code} {r.note or r.threshold}"
            for r in planned
            if r.satisfied is not True and r.outcome != "not_applicable"
        ]
        raise _invalid(
            "day1",
            _(
                "With Day 1 on %(d)s not every criterion holds: %(p)s",
                d=day1,
                p="; ".join(problems),
            ),
        )
    subject.run_in = runin.admit(day1, today)
    site = get_protocol().site
    subject.subject_number = sequences.formatted(
        site.subject_prefix, site.subject_number_width, sequences.next_value(sequences.SUBJECT)
    )
    set_reason("enrolment")
    subject.status = ENROLLED
    subject.day1_date = day1
    subject.enrolled_at = utcnow()
    db.session.commit()
    return subject


def record_disposition(
    actor: User, subject_id: int, *, decod: str, on: date, reason: str
) -> Subject:
    """Withdrawal, loss to follow-up, death or completion; nothing is deleted."""
    require(actor, Action.RECORD_DISPOSITION)
    subject = get_subject(actor, subject_id)
    _require_status(subject, ENROLLED)
    if subject.disposition:
        raise Conflict(_("The disposition is already recorded."))
    if decod not in DISPOSITIONS:
        raise _invalid("decod", _("Choose a disposition from the list."))
    if on > utcnow().date():
        raise _invalid("on", _("The date cannot be in the future."))
    if subject.day1_date and on < subject.screening_date:
        raise _invalid("on", _("The date is before screening."))
    if not reason.strip():
        raise _invalid("reason", _("Give the reason."))
    check_free_text({"reason": reason})
    set_reason("disposition: " + decod)
    subject.disposition, subject.disposition_date = decod, on
    subject.disposition_reason = reason.strip()
    db.session.commit()
    return subject
