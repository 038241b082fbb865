"""What every SDTM domain shares: the subject reference (USUBJID, RFSTDTC), the visits of a
subject, ISO 8601 dates and the Y/N of a flag."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from studyapp.exports.scope import Scope, visit_name, visit_number
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits.models import DoseAdministration, Visit


@dataclass(frozen=True)
class VisitRef:
    visitnum: Decimal | None
    visit: str | None
    date: date | None


@dataclass
class SubjectRef:
    """One subject as every domain sees it."""

    subject: Subject
    scope: Scope
    usubjid: str
    rfstdtc: str | None  # the first dose (date and time)
    rfendtc: str | None  # the last dose
    visits: dict[int, VisitRef]

    def visit(self, visit_id: int | None) -> dict[str, Any]:
        """VISITNUM and VISIT of a record's visit (blank for none)."""
        found = self.visits.get(visit_id) if visit_id is not None else None
        if found is None:
            return {"VISITNUM": None, "VISIT": None}
        return {"VISITNUM": found.visitnum, "VISIT": found.visit}

    def visit_date(self, visit_id: int | None) -> date | None:
        found = self.visits.get(visit_id) if visit_id is not None else None
        return found.date if found is not None else None


def dtc(day: date | str | None, at: time | None = None) -> str | None:
    """ISO 8601 --DTC: a date (or a partial date as entered), with the local time if known."""
    if day is None or day == "":
        return None
    text = day if isinstance(day, str) else day.isoformat()
    if at is not None and len(text) == 10:
        text += "T" + at.strftime("%H:%M")
    return text


def yn(flag: bool | None) -> str | None:
    return None if flag is None else ("Y" if flag else "N")


def usubjid(subject: Subject) -> str:
    return f"{get_protocol().study.id}-{subject.label}"


def doses(subject_id: int, scope: Scope) -> list[DoseAdministration]:
    """The subject's recorded infusions up to the cut-off, in order of date and time."""
    query = (
        select(DoseAdministration)
        .where(
            DoseAdministration.subject_id == subject_id,
            DoseAdministration.deleted_at.is_(None),
            DoseAdministration.ec_date.is_not(None),
        )
        .order_by(DoseAdministration.ec_date, DoseAdministration.start_time, DoseAdministration.id)
    )
    if scope.cutoff is not None:
        query = query.where(DoseAdministration.ec_date <= scope.cutoff)
    return list(db.session.scalars(query))


def visits_of(subject_id: int, scope: Scope) -> dict[int, VisitRef]:
    query = select(Visit).where(
        Visit.subject_id == subject_id, Visit.deleted_at.is_(None), scope.visit_dated()
    )
    return {
        v.id: VisitRef(visit_number(v.visitnum), visit_name(v.code, v.visitnum), v.visit_date)
        for v in db.session.scalars(query)
    }


def subject_ref(subject: Subject, scope: Scope) -> SubjectRef:
    given = doses(subject.id, scope)
    first, last = (given[0], given[-1]) if given else (None, None)
    return SubjectRef(
        subject=subject,
        scope=scope,
        usubjid=usubjid(subject),
        rfstdtc=dtc(first.ec_date, first.start_time) if first else None,
        rfendtc=dtc(last.ec_date, last.stop_time or last.start_time) if last else None,
        visits=visits_of(subject.id, scope),
    )


def subject_ids(scope: Scope) -> list[int]:
    """The ids of the subjects in the export (a list of numbers, not of records)."""
    return list(db.session.scalars(scope.subject_ids()))


def subjects(scope: Scope, ids: list[int] | None = None) -> Iterator[SubjectRef]:
    """Every subject in the export, one at a time, each loaded when its turn comes."""
    for subject_id in subject_ids(scope) if ids is None else ids:
        subject = db.session.get(Subject, subject_id)
        if subject is not None:
            yield subject_ref(subject, scope)
