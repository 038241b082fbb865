"""Screening log, consent, screening values, screen failure, enrolment, disposition.

Each function checks permission and the study's sequencing rules, writes in one
transaction and commits. Refusals are domain errors with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask_babel import gettext as _

from studyapp import sequences
from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical import eligibility as rules
from studyapp.clinical import partial_dates
from studyapp.crf import registry
from studyapp.crf.status import Where, check_open
from studyapp.db import site_today, utcnow
from studyapp.errors import Conflict, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.checklist import (
    answers,
    eligibility_signature_current,
    evaluate,
    limits,
    observations,
)
from studyapp.subjects.guards import (
    check_version,
    get_subject,
    invalid,
    require_consent,
    require_status,
)
from studyapp.subjects.models import (
    DISPOSITIONS,
    ENROLLED,
    SCREEN_FAILED,
    SCREENING,
    SCREENING_FIELDS,
    Subject,
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
    if data.screening_date > site_today():
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
    db.session.flush()
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
    check_open(Where(subject.id, form=registry.CONSENT.key))
    require_status(subject, SCREENING)
    if version not in consent_versions_on(on):
        raise invalid("version", _("Version %(v)s was not in effect on %(d)s.", v=version, d=on))
    if on > site_today():
        raise invalid("consent_date", _("The consent date cannot be in the future."))
    obtainer = db.session.get(User, obtained_by_id)
    if (
        obtainer is None
        or not obtainer.active
        or obtainer.role not in ("investigator", "coordinator")
    ):
        raise invalid(
            "obtained_by_id", _("Choose the investigator or coordinator who obtained it.")
        )
    set_reason(reason)
    subject.consent_date, subject.consent_time = on, at
    subject.consent_version, subject.consent_obtained_by_id = version, obtained_by_id
    db.session.flush()
    return subject


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
    check_open(Where(subject.id, form=registry.SCREENING.key))
    require_status(subject, SCREENING)
    require_consent(subject)
    check_version(subject, version)
    diagnosis = values.get("itp_diagnosis_date")
    if diagnosis:
        try:
            partial_dates.parse(diagnosis)
        except ValueError as exc:
            raise invalid("itp_diagnosis_date", str(exc)) from None
    merged = {name: values.get(name, getattr(subject, name)) for name in SCREENING_FIELDS}
    for name in ("platelet_date", "last_emergency_tx_stop"):
        if merged[name] is not None and merged[name] > site_today():
            raise invalid(name, _("The date cannot be in the future."))
    if merged["no_emergency_tx"] and merged["last_emergency_tx_stop"]:
        raise invalid(
            "last_emergency_tx_stop",
            _("Either a stop date or “No emergency ITP treatment given”, not both."),
        )
    set_reason(reason)
    for name in SCREENING_FIELDS:
        if name in values:
            setattr(subject, name, values[name])
    db.session.flush()
    return subject


def screen_fail(actor: User, subject_id: int, reason: str) -> Subject:
    """Record a screen failure with the failed criteria and a reason."""
    require(actor, Action.SCREEN_SUBJECTS)
    subject = get_subject(actor, subject_id)
    require_status(subject, SCREENING)
    if not reason.strip():
        raise invalid("reason", _("Give the reason for the screen failure."))
    check_free_text({"reason": reason})
    failed = [r.code for r in rules.failed(evaluate(subject))] if subject.consented else []
    set_reason("screen failure: " + reason.strip())
    subject.status = SCREEN_FAILED
    subject.screen_fail_reason = reason.strip()
    subject.screen_failed_criteria = ",".join(failed) or None
    db.session.flush()
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
    require_status(subject, SCREENING)
    require_consent(subject)
    if not eligibility_signature_current(subject):
        raise Conflict(
            _(
                "Eligibility must be confirmed and signed by the investigator, and "
                "unchanged since, before enrolment."
            )
        )
    today = site_today()
    _check_day1_window(subject, day1, today)
    _check_eligible_on(subject, day1)
    subject.run_in = runin.admit(day1, today)
    subject.subject_number = _next_subject_number()
    set_reason("enrolment")
    subject.status = ENROLLED
    subject.day1_date = day1
    subject.enrolled_at = utcnow()
    db.session.flush()
    return subject


def _check_day1_window(subject: Subject, day1: date, today: date) -> None:
    """Day 1 is not in the past and falls within the screening window."""
    if day1 < today:
        raise invalid("day1", _("Day 1 cannot be in the past."))
    if day1 > screening_deadline(subject):
        raise invalid(
            "day1",
            _(
                "Day 1 must fall within the screening window (by %(d)s).",
                d=screening_deadline(subject),
            ),
        )


def _check_eligible_on(subject: Subject, day1: date) -> None:
    """Every criterion must still hold with the planned Day 1 (windows count from it)."""
    planned = rules.evaluate(
        get_protocol().eligibility,
        observations(subject, day1),
        answers(subject),
        screening_date=subject.screening_date,
        limits=limits(subject),
    )
    if rules.is_eligible(planned):
        return
    problems = [
        f"{r.code} {r.note or r.threshold}"
        for r in planned
        if r.satisfied is not True and r.outcome != "not_applicable"
    ]
    raise invalid(
        "day1",
        _(
            "With Day 1 on %(d)s not every criterion holds: %(p)s",
            d=day1,
            p="; ".join(problems),
        ),
    )


def _next_subject_number() -> str:
    """The site's next subject number, from the one sequence (never reused)."""
    site = get_protocol().site
    return sequences.formatted(
        site.subject_prefix, site.subject_number_width, sequences.next_value(sequences.SUBJECT)
    )


def record_disposition(
    actor: User, subject_id: int, *, decod: str, on: date, reason: str
) -> Subject:
    """Withdrawal, loss to follow-up, death or completion; nothing is deleted."""
    require(actor, Action.RECORD_DISPOSITION)
    subject = get_subject(actor, subject_id)
    check_open(Where(subject.id, form=registry.DISPOSITION.key))
    require_status(subject, ENROLLED)
    if subject.disposition:
        raise Conflict(_("The disposition is already recorded."))
    if decod not in DISPOSITIONS:
        raise invalid("decod", _("Choose a disposition from the list."))
    if on > site_today():
        raise invalid("on", _("The date cannot be in the future."))
    if subject.day1_date and on < subject.screening_date:
        raise invalid("on", _("The date is before screening."))
    if not reason.strip():
        raise invalid("reason", _("Give the reason."))
    check_free_text({"reason": reason})
    set_reason("disposition: " + decod)
    subject.disposition, subject.disposition_date = decod, on
    subject.disposition_reason = reason.strip()
    db.session.flush()
    return subject
