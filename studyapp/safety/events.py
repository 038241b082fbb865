"""Recording adverse events: the AE form's checks, saving, grade changes and removal.

An AE is coded to a CTCAE v5.0 term of the shipped list (``safety.ctcae``) and graded 1-5
where the term has that grade. Onset and end dates are partial ISO 8601 as entered. A serious
AE needs at least one ICH E2A criterion and the time the site became aware (the SAE clock).
The relationship (5-point scale) maps to AEREL. An infusion-related reaction names the dose it
followed. A grade change of an ongoing AE ends it and starts a new record (protocol
``safety.grade_change``). Run-in subjects' AEs are checked against the DLT definition.
"""

from __future__ import annotations

import calendar as month_calendar
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.auth.permissions import Action, require
from studyapp.clinical import adverse, partial_dates
from studyapp.clinical.schedule import study_day
from studyapp.crf.checks import EditChecks, common_precision, partial_date
from studyapp.crf.save import FormWrite, Submission, remove_record, save_record
from studyapp.crf.status import may_change
from studyapp.db import site_today, site_zone, utcnow
from studyapp.errors import Conflict, NotFound, ValidationFailed
from studyapp.extensions import db
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.safety import ctcae, tasks
from studyapp.safety.models import (
    ACTIONS,
    CONFIRMED,
    CRITERIA,
    OUTCOMES,
    REJECTED,
    AdverseEvent,
    SaeReport,
)
from studyapp.subjects.guards import get_subject, invalid
from studyapp.subjects.models import Subject
from studyapp.versioning import check_version
from studyapp.visits.calendar import require_enrolled
from studyapp.visits.models import DoseAdministration
from studyapp.visits.summary import doses as doses  # the infusions an IRR can follow

FREE_TEXT = ("aeterm", "treatment")
ONGOING_OUTCOMES = ("RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED", "UNKNOWN")
ENDED_OUTCOMES = ("RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL")


@dataclass(frozen=True)
class AeEntry:
    aeterm: str | None
    ctcae_term: str | None
    start_date: str | None
    end_date: str | None
    ongoing: bool
    grade: int | None
    serious: bool | None
    criteria: frozenset[str]
    aware_at: datetime | None
    relatedness: str | None
    expected: bool | None
    aeacn: str | None
    aeout: str | None
    treatment: str | None
    irr: bool
    dose_id: int | None


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


def latest_day(text: str) -> date:
    """The last calendar date a partial date can be: 2026 -> 2026-12-31, 2026-02 -> 02-28."""
    year, month, day = partial_dates.parse(text)
    if month is None:
        return date(year, 12, 31)
    return date(year, month, day or month_calendar.monthrange(year, month)[1])


# --- edit checks --------------------------------------------------------------------------


def _check(
    entry: AeEntry,
    subject: Subject,
    checks: EditChecks,
    *,
    continuing: bool = False,
    superseded: bool = False,
) -> tuple[ctcae.Term | None, DoseAdministration | None]:
    """*continuing*: a grade-change record (its episode began earlier); *superseded*: a record
    a grade change ended (its end date is the change, its outcome is the event's then)."""
    term = _check_term(entry, checks)
    start = partial_date(checks, "start_date", entry.start_date)
    end = partial_date(checks, "end_date", entry.end_date)
    checks.required("start_date", entry.start_date)
    _check_period(entry, start, end, checks, superseded)
    _check_grade(entry, term, checks)
    _check_serious(entry, checks, continuing)
    _check_codes(entry, checks)
    dose = _check_irr(entry, subject, term, checks)
    _check_text(entry, checks)
    return term, dose


def _check_term(entry: AeEntry, checks: EditChecks) -> ctcae.Term | None:
    if not entry.aeterm:
        checks.error("aeterm", _("Give the adverse event as the investigator describes it."))
    if entry.ctcae_term is None:
        checks.required("ctcae_term", None)
        return None
    term = ctcae.load().find(entry.ctcae_term)
    if term is None:
        checks.error("ctcae_term", _("Choose a CTCAE v5.0 term from the list."))
    return term


def _check_period(
    entry: AeEntry,
    start: tuple[int, int | None, int | None] | None,
    end: tuple[int, int | None, int | None] | None,
    checks: EditChecks,
    superseded: bool = False,
) -> None:
    if entry.ongoing and entry.end_date is not None:
        checks.error("end_date", _("An ongoing event has no end date: clear one of them."))
    elif checks.completing and not entry.ongoing and entry.end_date is None:
        checks.error("end_date", _("Give the end date, or tick Ongoing."))
    if start is not None and end is not None:
        first, last = common_precision(start, end)
        if last < first:
            checks.error("end_date", _("The end date is before the onset date."))
    if entry.aeout is None:
        return
    if entry.ongoing and entry.aeout not in ONGOING_OUTCOMES:
        checks.error("aeout", _("An ongoing event is recovering, not recovered or unknown."))
    elif entry.end_date is not None and not superseded and entry.aeout not in ENDED_OUTCOMES:
        checks.error(
            "aeout",
            _("An event with an end date is recovered (with or without sequelae) or fatal."),
        )


def _check_grade(entry: AeEntry, term: ctcae.Term | None, checks: EditChecks) -> None:
    checks.required("grade", entry.grade)
    grade = entry.grade
    if grade is None:
        return
    if not 1 <= grade <= 5:
        checks.error("grade", _("The CTCAE grade is 1 to 5."))
        return
    if term is not None and grade not in term.allowed_grades():
        checks.error(
            "grade",
            _(
                "%(term)s has no grade %(g)d in CTCAE v5.0 (grades %(allowed)s).",
                term=term.term,
                g=grade,
                allowed=", ".join(str(g) for g in term.allowed_grades()),
            ),
        )
    fatal = entry.aeout == "FATAL"
    if (grade == 5) != fatal and entry.aeout is not None:
        checks.error("aeout", _("Grade 5 means death: the outcome is fatal, and only then."))
    if grade == 5 and "aesdth" not in entry.criteria:
        checks.error("serious", _("A fatal event is serious: tick 'results in death'."))


def _check_serious(entry: AeEntry, checks: EditChecks, continuing: bool) -> None:
    """Criteria go with seriousness; the awareness time starts the clock (not before onset,
    except for a grade-change record, whose episode began earlier)."""
    _check_criteria(entry, checks)
    if entry.serious:
        _check_awareness(entry, checks, continuing)
    elif entry.aware_at is not None:
        checks.error("aware_date", _("Only a serious event has an awareness time."))


def _check_criteria(entry: AeEntry, checks: EditChecks) -> None:
    checks.required("serious", entry.serious)
    if entry.criteria - set(CRITERIA):
        checks.error("serious", _("Choose seriousness criteria from the list."))
    if entry.serious and not entry.criteria:
        checks.error("serious", _("A serious adverse event meets at least one criterion: tick it."))
    if entry.serious is False and entry.criteria:
        checks.error(
            "serious",
            _("Seriousness criteria are ticked: answer Yes to serious, or clear the criteria."),
        )


def _check_awareness(entry: AeEntry, checks: EditChecks, continuing: bool) -> None:
    aware = entry.aware_at
    if aware is None:
        checks.error(
            "aware_date", _("Give the date and time the site learnt of the serious event.")
        )
    elif aware > utcnow():
        checks.error("aware_date", _("The awareness time cannot be in the future."))
    elif (
        not continuing
        and entry.start_date
        and _valid(entry.start_date)
        and aware.astimezone(site_zone()).date() < partial_dates.earliest(entry.start_date)
    ):
        checks.error("aware_date", _("The site cannot learn of the event before its onset."))
    if entry.relatedness and entry.expected is None and _related(entry.relatedness):
        checks.error(
            "expected",
            _("Say whether this related serious event is expected (reference safety information)."),
        )


def _valid(text: str) -> bool:
    try:
        partial_dates.parse(text)
    except ValueError:
        return False
    return True


def _related(relatedness: str) -> bool:
    rule = get_protocol().safety
    return relatedness in rule.relatedness and adverse.is_related(relatedness, rule)


def _check_codes(entry: AeEntry, checks: EditChecks) -> None:
    rule = get_protocol().safety
    for field, value, allowed in (
        ("relatedness", entry.relatedness, rule.relatedness),
        ("aeacn", entry.aeacn, ACTIONS),
        ("aeout", entry.aeout, OUTCOMES),
    ):
        checks.required(field, value)
        if value is not None and value not in allowed:
            checks.error(field, _("Choose from the list."))


def _check_irr(
    entry: AeEntry, subject: Subject, term: ctcae.Term | None, checks: EditChecks
) -> DoseAdministration | None:
    """An infusion-related reaction names its infusion; onset on or after it."""
    if not entry.irr:
        if entry.dose_id is not None:
            checks.error("dose_id", _("Only an infusion-related reaction names an infusion."))
        return None
    if entry.dose_id is None:
        checks.error("dose_id", _("Choose the infusion the reaction followed."))
        return None
    dose = db.session.get(DoseAdministration, entry.dose_id)
    if dose is None or dose.subject_id != subject.id or dose.is_deleted:
        checks.error("dose_id", _("Choose the infusion the reaction followed."))
        return None
    if dose.ec_date and entry.start_date and _valid(entry.start_date):
        if latest_day(entry.start_date) < dose.ec_date:
            checks.error("start_date", _("The reaction cannot start before the infusion."))
        elif (partial_dates.earliest(entry.start_date) - dose.ec_date).days > 1:
            checks.warn(
                "start_date",
                _(
                    "Onset more than a day after the infusion of %(d)s: nearly all infusion "
                    "reactions start within 4 hours. Check the date or the infusion.",
                    d=dose.ec_date.isoformat(),
                ),
            )
    if term is not None and term.term not in get_protocol().dlt.irr_terms:
        checks.warn(
            "ctcae_term",
            _("An infusion-related reaction is usually coded 'Infusion related reaction'."),
        )
    return dose


def _check_text(entry: AeEntry, checks: EditChecks) -> None:
    try:
        check_free_text({name: getattr(entry, name) for name in FREE_TEXT})
    except ValidationFailed as exc:
        for field, messages in exc.field_errors.items():
            for message in messages:
                checks.error(field, message)


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
    record.aerel = None if entry.relatedness is None else ("RELATED" if related else "NOT RELATED")
    record.expected = entry.expected
    record.aeacn = entry.aeacn
    record.aeout = entry.aeout
    record.treatment = entry.treatment
    record.irr = entry.irr
    record.dose_id = entry.dose_id if entry.irr else None


def evaluate_dlt(record: AdverseEvent, subject: Subject) -> None:
    """Flag a run-in subject's AE that meets the protocol's DLT definition (a candidate)."""
    protocol = get_protocol()
    day1, start, grade, relatedness = (
        subject.day1_date,
        record.start_date,
        record.grade,
        record.relatedness,
    )
    if not (subject.run_in and day1 and start and grade and relatedness and record.aedecod):
        record.dlt_candidate, record.dlt_reason = False, None
        return
    check = adverse.dlt_check(
        adverse.DltInput(
            first_day=study_day(day1, partial_dates.earliest(start)),
            last_day=study_day(day1, latest_day(start)),
            grade=grade,
            related=adverse.is_related(relatedness, protocol.safety, protocol.dlt.min_relatedness),
            term=record.aedecod or "",
            soc=record.aesoc or "",
        ),
        protocol.dlt,
        protocol.run_in,
    )
    record.dlt_candidate = check.candidate
    record.dlt_reason = ",".join((check.reason, *check.exceptions))


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
        check=lambda checks: _check(entry, subject, checks, continuing=previous is not None)[0],
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
        return _check(entry, subject, checks, continuing=continuing, superseded=superseded)[0]

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
    if not record.ongoing:
        raise Conflict(_("Only an ongoing event changes grade; this one has ended."))
    if grade is None or not 1 <= grade <= 5:
        raise invalid("grade", _("The CTCAE grade is 1 to 5."))
    if grade == record.grade:
        raise invalid("grade", _("That is the current grade: choose the new one."))
    on = _check_change_date(record, on)
    new_entry = dataclasses.replace(
        entry_of(record),
        start_date=on.isoformat(),
        grade=grade,
        aeout="FATAL" if grade == 5 else "NOT RECOVERED/NOT RESOLVED",
        ongoing=grade != 5,
        end_date=on.isoformat() if grade == 5 else None,
        criteria=entry_of(record).criteria | ({"aesdth"} if grade == 5 else set()),
        serious=True if grade == 5 else record.aeser,
        aware_at=(record.aware_at or utcnow()) if grade == 5 else record.aware_at,
        expected=record.expected if expected is None else expected,
    )
    improving = record.grade is not None and grade < record.grade
    new = add(actor, subject.id, new_entry, completing=True, confirmed=True, previous=record)
    set_reason(_("Grade changed from %(a)s to %(b)d on %(d)s", a=record.grade, b=grade, d=on))
    record.ongoing = False
    record.end_date = on.isoformat()
    record.aeout = "RECOVERING/RESOLVING" if improving else "NOT RECOVERED/NOT RESOLVED"
    db.session.flush()
    return new


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
