"""Special-purpose and trial-level domains of a subject: DM (demographics), SV (subject
visits), DS (disposition) and IE (the eligibility criteria not met)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from studyapp import codelists
from studyapp.audit.models import AuditLog
from studyapp.exports.csvfile import utc_text
from studyapp.exports.scope import visit_name, visit_number
from studyapp.exports.sdtm.common import SubjectRef, dtc
from studyapp.exports.sdtm.spec import NUM, Domain, Var, identifiers, variables
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import SCREEN_FAILED, SCREENING
from studyapp.visits.models import Visit

#: CDISC ARMCD/ARM values of subjects outside the treated arm.
SCREEN_FAILURE = ("SCRNFAIL", "Screen Failure")
NOT_ASSIGNED = ("NOTASSGN", "Not Assigned")
NOT_TREATED = ("NOTTRT", "Not Treated")
CONSENT, SCREEN_FAILED_TERM = "INFORMED CONSENT OBTAINED", "SCREEN FAILURE"
MILESTONE, DISPOSITION_EVENT = "PROTOCOL MILESTONE", "DISPOSITION EVENT"
DEATH = codelists.DEATH


def arm() -> tuple[str, str]:
    """The study's one arm, named from the protocol's dose rule."""
    dosing = get_protocol().dosing
    dose = f"{dosing.mg_per_kg.normalize():f}"
    return f"{dosing.drug[:4].upper()}{dose}", f"{dosing.drug.capitalize()} {dose} mg/kg"


def arms(ref: SubjectRef) -> dict[str, str]:
    subject = ref.subject
    planned = {SCREEN_FAILED: SCREEN_FAILURE, SCREENING: NOT_ASSIGNED}.get(subject.status, arm())
    actual = planned if planned != arm() or ref.rfstdtc else NOT_TREATED
    return {"ARMCD": planned[0], "ARM": planned[1], "ACTARMCD": actual[0], "ACTARM": actual[1]}


def dm_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    subject = ref.subject
    shown = _before_cutoff(ref, subject.disposition_date)  # no disposition after the cut-off
    left = subject.disposition_date if shown else None
    died = subject.disposition == DEATH and shown
    yield {
        "SUBJID": subject.label,
        "RFSTDTC": ref.rfstdtc,
        "RFENDTC": ref.rfendtc,
        "RFXSTDTC": ref.rfstdtc,
        "RFXENDTC": ref.rfendtc,
        "RFICDTC": dtc(subject.consent_date, subject.consent_time),
        "RFPENDTC": dtc(left),
        "DTHDTC": dtc(left) if died else None,
        "DTHFL": "Y" if died else None,
        "SITEID": get_protocol().site.code,
        "BRTHDTC": str(subject.birth_year) if subject.birth_year else None,
        "AGE": subject.age_years,
        "AGEU": "YEARS",
        "SEX": subject.sex,
        **arms(ref),
        "COUNTRY": get_protocol().site.country or None,
        "DMDTC": dtc(subject.screening_date),
    }


DM = Domain(
    "DM",
    "Demographics",
    (
        *identifiers(),
        Var("SUBJID", "Subject Identifier for the Study"),
        Var("RFSTDTC", "Subject Reference Start Date/Time"),
        Var("RFENDTC", "Subject Reference End Date/Time"),
        Var("RFXSTDTC", "Date/Time of First Study Treatment"),
        Var("RFXENDTC", "Date/Time of Last Study Treatment"),
        Var("RFICDTC", "Date/Time of Informed Consent"),
        Var("RFPENDTC", "Date/Time of End of Participation"),
        Var("DTHDTC", "Date/Time of Death"),
        Var("DTHFL", "Subject Death Flag"),
        Var("SITEID", "Study Site Identifier"),
        Var("BRTHDTC", "Date/Time of Birth"),
        Var("AGE", "Age", NUM),
        Var("AGEU", "Age Units"),
        Var("SEX", "Sex"),
        Var("ARMCD", "Planned Arm Code"),
        Var("ARM", "Description of Planned Arm"),
        Var("ACTARMCD", "Actual Arm Code"),
        Var("ACTARM", "Description of Actual Arm"),
        Var("COUNTRY", "Country"),
        Var("DMDTC", "Date/Time of Collection"),
        Var("DMDY", "Study Day of Collection", NUM),
    ),
    dm_rows,
    seq=False,
    days={"DMDY": "DMDTC"},
)


def sv_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = select(Visit).where(
        Visit.subject_id == ref.subject.id,
        Visit.deleted_at.is_(None),
        ref.scope.visit_dated(),
    )
    for visit in sorted(db.session.scalars(query), key=lambda v: Decimal(v.visitnum)):
        yield {
            "VISITNUM": visit_number(visit.visitnum),
            "VISIT": visit_name(visit.code, visit.visitnum),
            "SVSTDTC": dtc(visit.visit_date),
            "SVENDTC": dtc(visit.visit_date),
            "SVOCCUR": "N" if visit.not_done else ("Y" if visit.visit_date else None),
            "SVREASOC": visit.not_done_reason,
            "SVUPDES": visit.unscheduled_reason,
        }


SV = Domain(
    "SV",
    "Subject Visits",
    (
        *identifiers(),
        Var("VISITNUM", "Visit Number", NUM),
        Var("VISIT", "Visit Name"),
        Var("EPOCH", "Epoch"),
        Var("SVSTDTC", "Start Date/Time of Visit"),
        Var("SVENDTC", "End Date/Time of Visit"),
        Var("SVSTDY", "Study Day of Start of Visit", NUM),
        Var("SVENDY", "Study Day of End of Visit", NUM),
        Var("SVOCCUR", "Occurrence"),
        Var("SVREASOC", "Reason for Occur Value"),
        Var("SVUPDES", "Description of Unplanned Visit"),
    ),
    sv_rows,
    seq=False,
    days={"SVSTDY": "SVSTDTC", "SVENDY": "SVENDTC"},
    epoch_from="SVSTDTC",
)


def screen_failed_at(subject_id: int) -> str | None:
    """When the screen failure was recorded (a system time: UTC), from the audit trail."""
    moment = db.session.scalar(
        select(AuditLog.ts)
        .where(
            AuditLog.table_name == "subject",
            AuditLog.row_id == str(subject_id),
            AuditLog.field == "status",
            AuditLog.new_value == SCREEN_FAILED,
        )
        .order_by(AuditLog.seq.desc())
        .limit(1)
    )
    return utc_text(moment) if moment is not None else None


def _ds(term: str | None, decod: str, cat: str, start: str | None) -> dict[str, Any]:
    return {"DSTERM": term or decod, "DSDECOD": decod, "DSCAT": cat, "DSSTDTC": start}


def ds_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    subject = ref.subject
    if subject.consent_date is not None:
        yield _ds(CONSENT, CONSENT, MILESTONE, dtc(subject.consent_date, subject.consent_time))
    if subject.status == SCREEN_FAILED:
        yield from _screen_failure(ref)
    if subject.disposition and _before_cutoff(ref, subject.disposition_date):
        decod = subject.disposition
        term = subject.disposition_reason or str(codelists.DISPOSITION.labels.get(decod, decod))
        yield _ds(term, decod, DISPOSITION_EVENT, dtc(subject.disposition_date))


def _screen_failure(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    at = screen_failed_at(ref.subject.id)
    if at is None or _before_cutoff(ref, date.fromisoformat(at[:10])):
        yield _ds(ref.subject.screen_fail_reason, SCREEN_FAILED_TERM, DISPOSITION_EVENT, at)


def _before_cutoff(ref: SubjectRef, day: date | None) -> bool:
    cutoff = ref.scope.cutoff
    return cutoff is None or day is None or day <= cutoff


DS = Domain(
    "DS",
    "Disposition",
    variables(
        "DS",
        ("DSTERM", "Reported Term for the Disposition Event"),
        ("DSDECOD", "Standardized Disposition Term"),
        ("DSCAT", "Category for Disposition Event"),
        ("EPOCH", "Epoch"),
        ("DSSTDTC", "Start Date/Time of Disposition Event"),
        ("DSSTDY", "Study Day of Start of Disposition Event", NUM),
    ),
    ds_rows,
    days={"DSSTDY": "DSSTDTC"},
    epoch_from="DSSTDTC",
)


def screening_visit() -> Any:
    """The protocol's visit before Day 1 (the first one planned on a day below 1)."""
    return next(v for v in get_protocol().visits if v.day is not None and v.day < 1)


def ie_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    """The criteria the subject did not meet (SDTM IE holds only those)."""
    subject = ref.subject
    protocol = get_protocol()
    screening = screening_visit()
    for code in (subject.screen_failed_criteria or "").split(","):
        if not code:
            continue
        criterion = next((c for c in protocol.eligibility if c.code == code), None)
        inclusion = criterion is None or criterion.kind == "inclusion"
        answer = "N" if inclusion else "Y"
        yield {
            "IETESTCD": code[:8],
            "IETEST": criterion.text if criterion else code,
            "IECAT": "INCLUSION" if inclusion else "EXCLUSION",
            "IEORRES": answer,
            "IESTRESC": answer,
            "VISITNUM": screening.visitnum,
            "VISIT": screening.name,
            "IEDTC": dtc(subject.screening_date),
        }


IE = Domain(
    "IE",
    "Inclusion/Exclusion Criteria Not Met",
    variables(
        "IE",
        ("IETESTCD", "Inclusion/Exclusion Criterion Short Name"),
        ("IETEST", "Inclusion/Exclusion Criterion"),
        ("IECAT", "Inclusion/Exclusion Category"),
        ("IEORRES", "I/E Criterion Original Result"),
        ("IESTRESC", "I/E Criterion Result in Std Format"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("IEDTC", "Date/Time of Collection"),
        ("IEDY", "Study Day of Collection", NUM),
    ),
    ie_rows,
    days={"IEDY": "IEDTC"},
    epoch_from="IEDTC",
)

DOMAINS = (DM, SV, DS, IE)
