"""Bleeding assessment (custom domain XB): WHO grade and the ITP-BAT SMOG items of a visit.

One ``BleedingAssessment`` per visit carries the version, the assessment date, the WHO grade
and the SMOG domain grades computed from its ``BleedingItem`` rows (one per protocol item,
grade 0 when nothing bled). The scale's wording, items and maxima come from the protocol
(``[bleeding]``); the SMOG arithmetic from ``clinical.bleeding`` (DOMAIN.md section 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.clinical import bleeding as rules
from studyapp.crf.checks import EditChecks
from studyapp.crf.save import FormWrite, Submission, save_record
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import BLEEDING_DOMAINS, WHO_MAX_GRADE, BleedingItemDef
from studyapp.visits import context
from studyapp.visits.models import BleedingAssessment, BleedingItem, Visit

#: WHO grade from which bleeding is "clinically significant": no longer a petechial finding.
WHO_SIGNIFICANT = 2


@dataclass(frozen=True)
class BleedingEntry:
    assessed_date: date | None
    who_grade: int | None
    #: Item code -> grade; an item left out counts as grade 0.
    grades: Mapping[str, int | None]


def item_field(code: str) -> str:
    """The form field (and error key) of an ITP-BAT item."""
    return f"item_{code}"


def items_by_domain() -> dict[str, list[BleedingItemDef]]:
    """The protocol's ITP-BAT items, grouped by SMOG domain (S, M, O) in protocol order."""
    groups: dict[str, list[BleedingItemDef]] = {domain: [] for domain in BLEEDING_DOMAINS}
    for item in get_protocol().bleeding.items:
        groups[item.domain].append(item)
    return groups


def for_visit(visit: Visit) -> BleedingAssessment | None:
    if visit.id is None:
        return None
    return db.session.scalar(
        select(BleedingAssessment).where(
            BleedingAssessment.visit_id == visit.id, BleedingAssessment.deleted_at.is_(None)
        )
    )


def items_of(record: BleedingAssessment | None) -> dict[str, BleedingItem]:
    """The stored item rows of an assessment, by item code."""
    if record is None or record.id is None:
        return {}
    rows = db.session.scalars(
        select(BleedingItem).where(
            BleedingItem.assessment_id == record.id, BleedingItem.deleted_at.is_(None)
        )
    )
    return {row.item: row for row in rows}


def grades_of(record: BleedingAssessment | None) -> dict[str, int]:
    """Stored item grades by item code (empty before the first save)."""
    return {code: row.grade for code, row in items_of(record).items()}


def _valid_grade(value: int | None, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def _check(entry: BleedingEntry, ctx: context.VisitContext, checks: EditChecks) -> dict[str, int]:
    """Findings of the form; the item grades to store (valid ones, missing items as 0)."""
    context.date_checks(checks, "assessed_date", entry.assessed_date, ctx, _("Assessment date"))
    checks.required("who_grade", entry.who_grade)
    if entry.who_grade is not None and not _valid_grade(entry.who_grade, WHO_MAX_GRADE):
        checks.error("who_grade", _("Choose a WHO grade from 0 to %(n)d.", n=WHO_MAX_GRADE))
    grades: dict[str, int] = {}
    for item in get_protocol().bleeding.items:
        value = entry.grades.get(item.code)
        if value is None:
            value = 0
        if _valid_grade(value, item.max_grade):
            grades[item.code] = value
        else:
            checks.error(
                item_field(item.code),
                _("Choose a grade from 0 to %(n)d.", n=item.max_grade),
            )
    unknown = sorted(set(entry.grades) - {i.code for i in get_protocol().bleeding.items})
    if unknown:
        checks.error("items", _("Unknown bleeding items: %(c)s.", c=", ".join(unknown)))
    if not checks.errors:
        _cross_check(entry.who_grade, grades, checks)
    return grades


def _cross_check(who: int | None, grades: Mapping[str, int], checks: EditChecks) -> None:
    """The WHO grade and the ITP-BAT items describe the same bleeding: flag disagreement."""
    if who is None:
        return
    worst = max(grades.values(), default=0)
    if who == 0 and worst >= 1:
        checks.warn(
            "who_grade",
            _("WHO grade 0 (no bleeding), but ITP-BAT items record bleeding. Check both."),
        )
    elif who >= WHO_SIGNIFICANT and worst == 0:
        checks.warn(
            "who_grade",
            _(
                "WHO grade %(g)d, but every ITP-BAT item is 0 (no bleeding). Check both.",
                g=who,
            ),
        )


def save(
    actor: User,
    subject_id: int,
    visitnum: str,
    entry: BleedingEntry,
    *,
    visit_date: date | None = None,
    version: int | None = None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> BleedingAssessment:
    """Save the visit's bleeding assessment; SMOG grades are computed from the items.

    The assessment's version guards the items too; the 409 page shows the stored grades.
    """
    ctx = context.open_for_entry(actor, subject_id, visitnum, visit_date)
    write = FormWrite(
        load=lambda: for_visit(ctx.visit),
        check=lambda checks: _check(entry, ctx, checks),
        create=lambda: context.new_record(BleedingAssessment, ctx),
        apply=lambda record, grades: _apply(record, entry, grades),
        stale_values=lambda record: {item_field(c): g for c, g in grades_of(record).items()},
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))


def _apply(record: BleedingAssessment, entry: BleedingEntry, grades: Mapping[str, int]) -> None:
    """The assessment and its item rows; the record is touched when an item changed."""
    stored = items_of(record)
    score = rules.smog(grades, get_protocol().bleeding)
    record.assessed_date = entry.assessed_date
    record.who_grade = entry.who_grade
    record.skin_grade, record.mucosa_grade, record.organ_grade = (
        score.skin,
        score.mucosa,
        score.organ,
    )
    record.smog = score.label
    if _apply_items(record, stored, grades):
        record.touch()


def _apply_items(
    record: BleedingAssessment, stored: dict[str, BleedingItem], grades: Mapping[str, int]
) -> bool:
    """Write the item rows; True when any of them is new or changed."""
    if record.id is None:
        db.session.flush()
    changed = False
    for code, grade in grades.items():
        row = stored.get(code)
        if row is None:
            db.session.add(
                BleedingItem(
                    subject_id=record.subject_id, assessment_id=record.id, item=code, grade=grade
                )
            )
            changed = True
        elif row.grade != grade:
            row.grade = grade
            changed = True
    return changed
