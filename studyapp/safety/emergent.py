"""Treatment-emergent flag of each adverse event (DOMAIN.md sections 2 and 8) [P].

An AE is treatment-emergent when its onset, partial onsets imputed by
``clinical.partial_dates.impute_start`` (first-dose month or year -> the first-dose date,
never later than the event's end), is on or after the Day 1 date (the first infusion,
RFSTDTC). Without a Day 1 the flag is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from studyapp.clinical import partial_dates
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.models import Subject


@dataclass(frozen=True)
class Emergence:
    """The flag (None: unknown) and the imputed onset when the entered one is partial."""

    emergent: bool | None
    imputed: date | None


def emergence(subject: Subject, record: AdverseEvent) -> Emergence:
    """The record's treatment-emergent flag; unknown without an onset or a Day 1."""
    start = record.start_date
    if not start:
        return Emergence(None, None)
    first_dose = subject.day1_date
    flag = partial_dates.treatment_emergent(start, first_dose, record.end_date)
    if partial_dates.is_complete(start):
        return Emergence(flag, None)
    return Emergence(flag, partial_dates.impute_start(start, first_dose, record.end_date))


def of_records(subject: Subject, records: list[AdverseEvent]) -> dict[int, Emergence]:
    """The flags of a subject's records, by record id."""
    return {r.id: emergence(subject, r) for r in records}
