"""Enrolment over time: subjects screened, enrolled and failing screening by month, with the
running totals against the protocol's target.

A subject counts as enrolled once it has a subject number (as on the coordinator dashboard),
from the site's date of its enrolment. Screening has no date of failure on record: a screen
failure counts in the month its subject was screened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from studyapp.db import site_zone
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import SCREEN_FAILED, Subject


@dataclass(frozen=True)
class Month:
    month: str  # "2026-03"
    screened: int
    enrolled: int
    screen_failed: int
    screened_total: int
    enrolled_total: int
    screen_failed_total: int


@dataclass(frozen=True)
class Enrolment:
    as_of: date
    target: int
    months: list[Month]

    @property
    def screened(self) -> int:
        return self.months[-1].screened_total if self.months else 0

    @property
    def enrolled(self) -> int:
        return self.months[-1].enrolled_total if self.months else 0

    @property
    def screen_failed(self) -> int:
        return self.months[-1].screen_failed_total if self.months else 0


def enrolled_on(subject: Subject) -> date | None:
    """The site's date a subject was enrolled (None: not enrolled)."""
    if subject.subject_number is None:
        return None
    if subject.enrolled_at is None:  # pragma: no cover - enrolment sets both
        return subject.day1_date
    return subject.enrolled_at.astimezone(site_zone()).date()


def _key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months(first: date, last: date) -> list[str]:
    keys, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def enrolment(as_of: date) -> Enrolment:
    """Counts by month up to *as_of* (subjects screened after it are not counted)."""
    subjects = list(
        db.session.scalars(
            select(Subject).where(Subject.deleted_at.is_(None), Subject.screening_date <= as_of)
        )
    )
    target = get_protocol().study.target_enrolment
    if not subjects:
        return Enrolment(as_of, target, [])
    counts: dict[str, list[int]] = {
        key: [0, 0, 0] for key in _months(min(s.screening_date for s in subjects), as_of)
    }
    for subject in subjects:
        counts[_key(subject.screening_date)][0] += 1
        counts[_key(subject.screening_date)][2] += subject.status == SCREEN_FAILED
        enrolled = enrolled_on(subject)
        if enrolled is not None and enrolled <= as_of:
            first = next(iter(counts))  # (an enrolment before any screening is bad data)
            counts[max(_key(enrolled), first)][1] += 1
    months, totals = [], [0, 0, 0]
    for key, (screened, enrolled_n, failed) in counts.items():
        totals = [totals[0] + screened, totals[1] + enrolled_n, totals[2] + failed]
        months.append(Month(key, screened, enrolled_n, failed, *totals))
    return Enrolment(as_of, target, months)
