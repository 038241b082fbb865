"""Concomitant medications and rescue therapy (CM), recorded at a visit, listed per subject.

Dates are ISO 8601 as entered, partial where the day or month is unknown (``2026``,
``2026-03``), never filled in (DOMAIN.md section 8). A rescue therapy (CMCAT RESCUE: new or
increased ITP treatment) feeds the response rules, which count from its study day: it needs a
full start date (DOMAIN.md section 4, step 2; ``summary.rescue_days``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.clinical import checks as rules
from studyapp.crf.checks import EditChecks, common_precision, partial_date
from studyapp.crf.save import FormWrite, Submission, remove_record, save_record
from studyapp.errors import NotFound, ValidationFailed
from studyapp.extensions import db
from studyapp.localized import local
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.guards import get_subject
from studyapp.subjects.models import Subject
from studyapp.visits import context
from studyapp.visits.models import CONCOMITANT, RESCUE, ROUTES, Medication, Visit
from studyapp.visits.schedule.service import require_enrolled

CATEGORIES = (CONCOMITANT, RESCUE)
#: Free-text fields, checked for direct identifiers (PRV-02).
FREE_TEXT = ("trt", "dose_unit", "frequency", "indication")
#: What the dose column holds (Numeric(10, 3)): larger or finer numbers are refused.
_DOSE_TYPE = Medication.__table__.c.dose.type
DOSE_PLACES: int = _DOSE_TYPE.scale
DOSE_LIMIT = Decimal(10) ** (_DOSE_TYPE.precision - _DOSE_TYPE.scale)


@dataclass(frozen=True)
class MedicationEntry:
    category: str | None
    rescue_type: str | None
    trt: str | None
    dose: Decimal | None
    dose_unit: str | None
    route: str | None
    frequency: str | None
    start_date: str | None
    end_date: str | None
    ongoing: bool
    indication: str | None


@dataclass(frozen=True)
class Listed:
    """A medication of the subject's list with the visit at which it was recorded."""

    medication: Medication
    visit: Visit | None
    visit_name: str | None


def _clean(entry: MedicationEntry) -> MedicationEntry:
    """Text fields stripped; empty text is no value."""
    texts: dict[str, str | None] = {}
    for f in dataclasses.fields(entry):
        value = getattr(entry, f.name)
        if isinstance(value, str):
            texts[f.name] = value.strip() or None
    return dataclasses.replace(entry, **texts)  # type: ignore[arg-type]


# --- reading ------------------------------------------------------------------------------


def listing(subject: Subject) -> list[Listed]:
    """All the subject's medications (not removed), by start date then entry order."""
    protocol = get_protocol()
    rows = db.session.execute(
        select(Medication, Visit)
        .outerjoin(Visit, Visit.id == Medication.visit_id)
        .where(Medication.subject_id == subject.id, Medication.deleted_at.is_(None))
    ).all()
    listed = [
        Listed(med, visit, local(protocol.visit(visit.code)) if visit is not None else None)
        for med, visit in rows
    ]
    listed.sort(key=lambda row: (row.medication.start_date or "", row.medication.id))
    return listed


def get(actor: User, subject_id: int, med_id: int) -> tuple[Subject, Medication]:
    """A medication of the subject (read access); NotFound if another's or removed."""
    subject = get_subject(actor, subject_id)
    require_enrolled(subject)
    med = db.session.get(Medication, med_id)
    if med is None or med.subject_id != subject.id or med.is_deleted:
        raise NotFound(_("No such medication."))
    return subject, med


def visit_of(med: Medication) -> Visit | None:
    return db.session.get(Visit, med.visit_id) if med.visit_id is not None else None


# --- edit checks --------------------------------------------------------------------------


def _check(entry: MedicationEntry, day1: date, checks: EditChecks) -> None:
    _check_codes(entry, checks)
    _check_dose(entry, checks)
    start = partial_date(checks, "start_date", entry.start_date)
    end = partial_date(checks, "end_date", entry.end_date)
    checks.required("start_date", entry.start_date)
    _check_period(entry, start, end, checks)
    if entry.category == RESCUE:
        _check_rescue(entry, start, day1, checks)
    _check_text(entry, checks)


def _check_codes(entry: MedicationEntry, checks: EditChecks) -> None:
    if not entry.trt:
        checks.error("trt", _("Give the drug name."))
    if entry.category not in CATEGORIES:
        checks.error("category", _("Choose a category from the list."))
    if entry.route is not None and entry.route not in ROUTES:
        checks.error("route", _("Choose a route from the list."))
    if entry.rescue_type is None:
        return
    if entry.category != RESCUE:
        checks.error(
            "rescue_type",
            _("Only a rescue therapy has a rescue type: choose the category or clear the type."),
        )
    elif entry.rescue_type not in get_protocol().rescue_types:
        checks.error("rescue_type", _("Choose a rescue therapy from the list."))


def _check_dose(entry: MedicationEntry, checks: EditChecks) -> None:
    """A dose number and its unit come together; the number must fit the column."""
    dose = entry.dose
    if dose is not None and entry.dose_unit is None:
        checks.error("dose_unit", _("Give the unit of the dose."))
    if dose is None:
        if entry.dose_unit is not None:
            checks.error("dose", _("Give the dose in this unit, or clear the unit."))
        return
    if not dose.is_finite():
        checks.error("dose", _("Enter a number."))
    elif dose <= 0:
        checks.error("dose", _("The dose must be more than 0."))
    elif dose >= DOSE_LIMIT:
        checks.error("dose", _("The dose must be less than %(n)s.", n=f"{DOSE_LIMIT:,.0f}"))
    elif not rules.decimals_ok(dose, DOSE_PLACES):
        checks.error("dose", _("At most %(n)d decimal places.", n=DOSE_PLACES))


def _check_period(
    entry: MedicationEntry,
    start: tuple[int, int | None, int | None] | None,
    end: tuple[int, int | None, int | None] | None,
    checks: EditChecks,
) -> None:
    if entry.ongoing and entry.end_date is not None:
        checks.error("end_date", _("An ongoing medication has no end date: clear one of them."))
    elif checks.completing and not entry.ongoing and entry.end_date is None:
        checks.error("end_date", _("Give the end date, or tick Ongoing."))
    if start is not None and end is not None:
        first, last = common_precision(start, end)
        if last < first:
            checks.error("end_date", _("The end date is before the start date."))


def _check_rescue(
    entry: MedicationEntry,
    start: tuple[int, int | None, int | None] | None,
    day1: date,
    checks: EditChecks,
) -> None:
    """Rescue therapy: its type, and a full start date the response rules can count from."""
    checks.required("rescue_type", entry.rescue_type)
    if start is None:
        return
    year, month, day = start
    if month is None or day is None:
        checks.error(
            "start_date",
            _(
                "A rescue therapy needs its full start date (YYYY-MM-DD): "
                "the response assessment counts from its study day."
            ),
        )
    elif date(year, month, day) < day1:
        checks.warn(
            "start_date",
            _(
                "The rescue therapy started before Day 1 (%(d)s). Therapy before the study "
                "belongs to the prior therapies; check the date.",
                d=day1.isoformat(),
            ),
        )


def _check_text(entry: MedicationEntry, checks: EditChecks) -> None:
    try:
        check_free_text({name: getattr(entry, name) for name in FREE_TEXT})
    except ValidationFailed as exc:
        for field, messages in exc.field_errors.items():
            for message in messages:
                checks.error(field, message)


# --- writing ------------------------------------------------------------------------------


def _apply(record: Medication, entry: MedicationEntry) -> None:
    record.category = entry.category or CONCOMITANT
    record.rescue_type = entry.rescue_type if entry.category == RESCUE else None
    record.trt = entry.trt or ""
    record.dose = entry.dose
    record.dose_unit = entry.dose_unit
    record.route = entry.route
    record.frequency = entry.frequency
    record.start_date = entry.start_date
    record.end_date = entry.end_date
    record.ongoing = entry.ongoing
    record.indication = entry.indication


def add(
    actor: User,
    subject_id: int,
    visitnum: str,
    entry: MedicationEntry,
    *,
    visit_date: date | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> Medication:
    """Record a medication at a visit (the visit is dated first if it has no date yet)."""
    ctx = context.open_for_entry(actor, subject_id, visitnum, visit_date)
    entry = _clean(entry)
    write: FormWrite[Medication] = FormWrite(
        load=lambda: None,
        check=lambda checks: _check(entry, require_enrolled(ctx.subject), checks),
        create=lambda: context.new_record(Medication, ctx),
        apply=lambda record, _found: _apply(record, entry),
    )
    return save_record(actor, write, Submission(completing=completing, confirmed=confirmed))


def update(
    actor: User,
    subject_id: int,
    med_id: int,
    entry: MedicationEntry,
    *,
    version: int | None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> Medication:
    """Correct a medication; a changed saved value needs a reason (audited)."""
    subject, record = get(actor, subject_id, med_id)
    entry = _clean(entry)
    write = FormWrite(
        load=lambda: record,
        check=lambda checks: _check(entry, require_enrolled(subject), checks),
        create=lambda: record,  # never called: the medication is stored
        apply=lambda target, _found: _apply(target, entry),
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))


def remove(
    actor: User, subject_id: int, med_id: int, reason: str | None, *, version: int | None = None
) -> Medication:
    """Soft delete with its reason: the row stays in the table and the audit trail (P11-03)."""
    _subject, record = get(actor, subject_id, med_id)
    remove_record(
        actor,
        record,
        version=version,
        reason=reason,
        missing=_("Give a reason for removing this medication."),
    )
    return record
