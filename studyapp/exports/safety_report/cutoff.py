"""The data cut-off of the safety report: what counts, and how dates and numbers are written.

Only data dated on or before the cut-off day counts: visit, dose, lab and AE onset dates (a
partial AE date counts when its earliest possible day is on or before it; an undated record
does not count). Subjects count from their screening date; enrolment from the site's date of
``enrolled_at``; a disposition from its date. An event that ends after the cut-off is ongoing
at the cut-off. Times (SAE awareness, deadlines, submissions) count up to the end of the
cut-off day in the site's time zone.

``subjects_at`` reads the subjects as they stood at the cut-off, a batch at a time, for the
report's passes over the study.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.db import site_today, site_zone
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.subjects.models import ENROLLED, SCREENING, Subject


@dataclass(frozen=True)
class Cut:
    """The cut-off day and the last moment of it at the site."""

    day: date

    @classmethod
    def of(cls, cutoff: date | None) -> Cut:
        return cls(cutoff or site_today())

    @property
    def end(self) -> datetime:
        return datetime.combine(self.day, time.max, tzinfo=site_zone())

    def dated(self, on: date | None) -> bool:
        """A full date on or before the cut-off (None: undated, does not count)."""
        return on is not None and on <= self.day

    def partial(self, iso: str | None) -> bool:
        """An ISO 8601 date, maybe partial (``2026``, ``2026-03``), whose earliest possible
        day is on or before the cut-off."""
        if not iso:
            return False
        return iso <= self.day.isoformat()[: len(iso)]

    def after(self, iso: str | None) -> bool:
        """A (maybe partial) date that is wholly after the cut-off: ``2026-04`` is after
        2026-03-31, ``2026-03`` is not after 2026-03-10."""
        if not iso:
            return False
        return iso > self.day.isoformat()[: len(iso)]

    def moment(self, at: datetime | None) -> bool:
        """A UTC time at or before the end of the cut-off day."""
        if at is None:
            return False
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        return at <= self.end


@dataclass(frozen=True)
class SubjectAt:
    """A subject as the data stood at the cut-off (what ``subjects.queries.phase`` reads)."""

    subject: Subject
    status: str
    day1_date: date | None
    disposition: str | None
    disposition_date: date | None

    @property
    def label(self) -> str:
        return self.subject.label

    @property
    def enrolled(self) -> bool:
        return self.status == ENROLLED


def subject_at(subject: Subject, cut: Cut) -> SubjectAt | None:
    """*subject* at the cut-off; None when screened after it."""
    if subject.screening_date > cut.day:
        return None
    status = subject.status
    if status == ENROLLED and not cut.moment(subject.enrolled_at):
        status = SCREENING
    enrolled = status == ENROLLED
    left = enrolled and cut.dated(subject.disposition_date)
    return SubjectAt(
        subject,
        status,
        subject.day1_date if enrolled else None,
        subject.disposition if left else None,
        subject.disposition_date if left else None,
    )


#: Subjects read from the database at a time.
BATCH = 100


def subjects_at(cut: Cut) -> Iterator[SubjectAt]:
    """Every subject screened on or before the cut-off (not removed), as of the cut-off, by
    id: read ``BATCH`` at a time and kept by no one, so a pass over the study holds a batch."""
    after = 0
    while True:
        batch = db.session.scalars(
            select(Subject)
            .where(Subject.deleted_at.is_(None), Subject.id > after)
            .order_by(Subject.id)
            .limit(BATCH)
        ).all()
        for subject in batch:
            at = subject_at(subject, cut)
            if at is not None:
                yield at
        if len(batch) < BATCH:
            return
        after = batch[-1].id


def enrolled_at(cut: Cut) -> Iterator[SubjectAt]:
    """The subjects enrolled at the cut-off, by id."""
    return (s for s in subjects_at(cut) if s.enrolled)


def local_time(value: datetime | None) -> str:
    """A UTC time in the site's zone with its offset, e.g. 2026-11-25 15:48 (+08:00)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(site_zone())
    offset = local.strftime("%z")
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({offset[:3]}:{offset[3:]})"


def number(value: Decimal | int | float | None) -> str:
    """A number as people write it ("45", "45.5"); empty for None."""
    if value is None:
        return ""
    return plain_number(Decimal(str(value)))


def percent(part: int, whole: int) -> str:
    """ "3 (37.5%)"; just the count when there is no denominator."""
    if not whole:
        return str(part)
    share = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
    return f"{part} ({share}%)"


def day_text(on: date | None) -> str:
    return on.isoformat() if on else ""


def yes(value: Any) -> str:
    return _("Yes") if value else _("No")
