"""Recording adverse events: saving (checks in ``ae_checks``), grade changes and removal.

The relationship (5-point scale) maps to AEREL. A grade change of an ongoing AE ends it and
starts a new record (protocol ``safety.grade_change``). Run-in subjects' AEs are checked
against the DLT definition.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from studyapp import codelists
from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical import adverse, partial_dates
from studyapp.crf.checks import EditChecks
from studyapp.crf.save import FormWrite, Submission, remove_record, save_record
from studyapp.crf.status import may_change
from studyapp.db import site_today, utcnow
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.safety import ctcae, tasks
from studyapp.safety.ae_checks import AeEntry as AeEntry  # the form's values
from studyapp.safety.ae_checks import check_entry
from studyapp.safety.dlt_inputs import evaluate_dlt
from studyapp.safety.models import (
    CONFIRMED,
    CRITERIA,
    REJECTED,
    AdverseEvent,
    SaeReport,
)
from studyapp.subjects.guards import get_subject, invalid
from studyapp.subjects.models import Subject
from studyapp.versioning import check_version
from studyapp.visits.schedule.service import require_enrolled
from studyapp.visits.summary import doses as doses  # the infusions an IRR can follow


def _clean(entry: AeEntry) -> AeEntry:
    texts = {
        f.name: (getattr(entry, f.name).strip() or None)
        for f in dataclasses.fields(entry)
        if isinstance(getattr(entry, f.name), str)
    }
    return dataclasses.replace(entry, **texts)  # type: ignore[arg-type]


# --- reading ------------------------------------------------------------------------------


def get(actor: User, subject_id: int, ae_id: int) -> tuple[Subject, AdverseEvent]:
    """An AE record of the subject (read access); NotFound if another's or removed."""
    require(actor, Action.VIEW_STUDY_DATA)
    subject = get_subject(actor, subject_id)
    require_enrolled(subject)
    record = db.session.get(AdverseEvent, ae_id)
    if record is None or record.subject_id != subject.id or record.is_deleted:
        raise NotFound(_("No such adverse event."))
    return subject, record


def listing(subject: Subject) -> list[AdverseEvent]:
    """The subject's AE records (not removed), by AE number then grade-change order."""
    return list(
        db.session.scalars(
            select(AdverseEvent)
            .where(AdverseEvent.subject_id == subject.id, AdverseEvent.deleted_at.is_(None))
            .order_by(AdverseEvent.episode_id, AdverseEvent.id)
        )
    )


def episode(record: AdverseEvent) -> list[AdverseEvent]:
    """Every record of the record's episode (its grade changes), in order."""
    return list(
        db.session.scalars(
            select(AdverseEvent)
            .where(AdverseEvent.episode_id == record.episode_id, AdverseEvent.deleted_at.is_(None))
            .order_by(AdverseEvent.id)
        )
    )


# --- writing ------------------------------------------------------------------------------


def _apply(record: AdverseEvent, entry: AeEntry, term: ctcae.Term | None) -> None:
    rule = get_protocol().safety
    record.aeterm = entry.aeterm or ""
    record.ctcae_code = term.code if term else None
    record.aedecod = term.term if term else None
    record.aesoc = term.soc if term else None
    record.start_date = entry.start_date
    record.end_date = entry.end_date
    record.ongoing = entry.ongoing
    record.grade = entry.grade
    record.aeser = entry.serious
    for name in CRITERIA:
        setattr(record, name, name in entry.criteria)
    record.aware_at = entry.aware_at if entry.serious else None
    record.relatedness = entry.relatedness
    related = entry.relatedness and adverse.is_related(entry.relatedness, rule)
    aerel = codelists.RELATED if related else codelists.NOT_RELATED
    record.aerel = None if entry.relatedness is None else aerel
    record.expected = entry.expected
    record.aeacn = entry.aeacn
    record.aeout = entry.aeout
    record.treatment = entry.treatment
    record.irr = entry.irr
    record.dose_id = entry.dose_id if entry.irr else None


def _next_aespid(subject_id: int) -> int:
    highest = db.session.scalar(
        select(func.max(AdverseEvent.aespid)).where(AdverseEvent.subject_id == subject_id)
    )
    return (highest or 0) + 1


def add(
    actor: User,
    subject_id: int,
    entry: AeEntry,
    *,
    completing: bool = True,
    confirmed: bool = False,
    previous: AdverseEvent | None = None,
    for_result: int | None = None,
) -> AdverseEvent:
    """Record a new adverse event of an enrolled subject; *for_result*: the lab result whose
    AE task it answers (closed once the AE is complete, if still open), in the same
    transaction."""
    subject = get_subject(actor, subject_id)
    require_enrolled(subject)
    entry = _clean(entry)
    write: FormWrite[AdverseEvent] = FormWrite(
        load=lambda: None,
        check=lambda checks: check_entry(entry, subject, checks, continuing=previous is not None),
        create=lambda: _new_record(subject),
        apply=lambda record, term: _apply_new(record, entry, term, subject, previous),
        action=Action.RECORD_SAFETY,
    )
    submission = Submission(completing=completing, confirmed=confirmed)
    record = save_record(actor, write, submission)
    record.episode_id = previous.episode_id if previous else record.id
    db.session.flush()
    if for_result is not None:
        tasks.close_with_ae(actor, for_result, record)
    return record


def _new_record(subject: Subject) -> AdverseEvent:
    record = AdverseEvent(subject_id=subject.id, aespid=_next_aespid(subject.id))
    db.session.add(record)
    return record


def _apply_new(
    record: AdverseEvent,
    entry: AeEntry,
    term: ctcae.Term | None,
    subject: Subject,
    previous: AdverseEvent | None,
) -> None:
    _apply(record, entry, term)
    record.previous_id = previous.id if previous else None
    evaluate_dlt(record, subject)


def update(
    actor: User,
    subject_id: int,
    ae_id: int,
    entry: AeEntry,
    *,
    version: int | None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> AdverseEvent:
    """Correct an AE record; a changed saved value needs a reason (audited)."""
    subject, record = get(actor, subject_id, ae_id)
    entry = _clean(entry)

    def check(checks: EditChecks) -> ctcae.Term | None:
        superseded = _continued(record)
        continuing = record.previous_id is not None
        return check_entry(entry, subject, checks, continuing=continuing, superseded=superseded)

    def apply(target: AdverseEvent, term: ctcae.Term | None) -> None:
        _apply(target, entry, term)
        evaluate_dlt(target, subject)

    write = FormWrite(
        load=lambda: record,
        check=check,
        create=lambda: record,  # never called: the event is stored
        apply=apply,
        action=Action.RECORD_SAFETY,
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))


def entry_of(record: AdverseEvent) -> AeEntry:
    """The stored record as a form entry."""
    return AeEntry(
        aeterm=record.aeterm,
        ctcae_term=record.aedecod,
        start_date=record.start_date,
        end_date=record.end_date,
        ongoing=record.ongoing,
        grade=record.grade,
        serious=record.aeser,
        criteria=frozenset(name for name in CRITERIA if getattr(record, name)),
        aware_at=record.aware_at,
        relatedness=record.relatedness,
        expected=record.expected,
        aeacn=record.aeacn,
        aeout=record.aeout,
        treatment=record.treatment,
        irr=record.irr,
        dose_id=record.dose_id,
    )


def change_grade(
    actor: User,
    subject_id: int,
    ae_id: int,
    *,
    grade: int | None,
    on: date | None,
    version: int | None,
    expected: bool | None = None,
) -> AdverseEvent:
    """The protocol's convention: the ongoing record ends on the day of the change and a new
    record with the new grade starts that day, in the same episode. Returns the new record.

    Grade 5 records the death (fatal outcome, serious: results in death); a related event
    that becomes serious needs its expectedness (*expected*), which decides SUSAR clocks."""
    subject, record = get(actor, subject_id, ae_id)
    may_change(actor, record, Action.RECORD_SAFETY)
    check_version(record, version)
    grade = _check_new_grade(record, grade)
    on = _check_change_date(record, on)
    new_entry = _entry_from(record, grade, on, expected)
    improving = record.grade is not None and grade < record.grade
    new = add(actor, subject.id, new_entry, completing=True, confirmed=True, previous=record)
    set_reason(_("Grade changed from %(a)s to %(b)d on %(d)s", a=record.grade, b=grade, d=on))
    record.ongoing = False
    record.end_date = on.isoformat()
    record.aeout = codelists.RECOVERING if improving else codelists.NOT_RECOVERED
    db.session.flush()
    return new


def _check_new_grade(record: AdverseEvent, grade: int | None) -> int:
    """Only an ongoing event changes grade, and only to another CTCAE grade."""
    if not record.ongoing:
        raise Conflict(_("Only an ongoing event changes grade; this one has ended."))
    if grade is None or not 1 <= grade <= 5:
        raise invalid("grade", _("The CTCAE grade is 1 to 5."))
    if grade == record.grade:
        raise invalid("grade", _("That is the current grade: choose the new one."))
    return grade


def _entry_from(record: AdverseEvent, grade: int, on: date, expected: bool | None) -> AeEntry:
    """The new record's entry: the old one's, starting *on* with *grade*; grade 5 is death."""
    fatal = grade == 5
    return dataclasses.replace(
        entry_of(record),
        start_date=on.isoformat(),
        grade=grade,
        aeout=codelists.FATAL if fatal else codelists.NOT_RECOVERED,
        ongoing=not fatal,
        end_date=on.isoformat() if fatal else None,
        criteria=entry_of(record).criteria | ({codelists.DEATH_CRITERION} if fatal else set()),
        serious=True if fatal else record.aeser,
        aware_at=(record.aware_at or utcnow()) if fatal else record.aware_at,
        expected=record.expected if expected is None else expected,
    )


def _check_change_date(record: AdverseEvent, on: date | None) -> date:
    if on is None:
        raise invalid("on", _("Give the date the grade changed."))
    if on > site_today():
        raise invalid("on", _("The date cannot be in the future."))
    if record.start_date and on < partial_dates.earliest(record.start_date):
        raise invalid(
            "on",
            _("The grade changes after the onset (%(d)s).", d=record.start_date),
        )
    return on


def decide_dlt(
    actor: User,
    subject_id: int,
    ae_id: int,
    *,
    decision: str | None,
    reason: str | None,
    version: int | None,
) -> AdverseEvent:
    """The investigator confirms or rejects a candidate DLT, with a reason (audited)."""
    require(actor, Action.REVIEW_DLT)
    _subject, record = get(actor, subject_id, ae_id)
    may_change(actor, record, Action.REVIEW_DLT)
    check_version(record, version)
    if not record.dlt_candidate and record.dlt_decision is None:
        raise Conflict(_("This event is not a candidate dose-limiting toxicity."))
    if decision not in (CONFIRMED, REJECTED):
        raise invalid("decision", _("Confirm or reject the candidate DLT."))
    text = (reason or "").strip()
    if not text:
        raise invalid("dlt_reason", _("Give the reason for your decision."))
    check_free_text({"dlt_reason": text})
    set_reason(text)
    record.dlt_decision = decision
    record.dlt_decision_reason = text
    record.dlt_decided_by_id = actor.id
    record.dlt_decided_at = utcnow()
    db.session.flush()
    return record


def _continued(record: AdverseEvent) -> bool:
    """Whether a later grade-change record continues *record* (so a change ended it)."""
    later = select(AdverseEvent.id).where(
        AdverseEvent.previous_id == record.id, AdverseEvent.deleted_at.is_(None)
    )
    return db.session.scalar(later) is not None


def _check_removable(record: AdverseEvent) -> None:
    """A record continued by a grade change, or with SAE reports, is corrected, not removed."""
    if _continued(record):
        raise Conflict(_("A later grade-change record continues this event: remove that first."))
    reports = db.session.scalar(
        select(SaeReport.id).where(SaeReport.ae_id == record.id, SaeReport.deleted_at.is_(None))
    )
    if reports is not None:
        raise Conflict(
            _("SAE reports were written for this event: correct it (with a reason) instead.")
        )


def remove(
    actor: User, subject_id: int, ae_id: int, reason: str | None, *, version: int | None = None
) -> AdverseEvent:
    """Soft delete (entered in error) with its reason; the row stays in the audit trail."""
    _subject, record = get(actor, subject_id, ae_id)
    remove_record(
        actor,
        record,
        version=version,
        reason=reason,
        missing=_("Give a reason for removing this adverse event."),
        action=Action.RECORD_SAFETY,
        before=lambda: _check_removable(record),
    )
    return record
