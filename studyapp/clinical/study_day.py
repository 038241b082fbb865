"""SDTM study day (--DY) and EPOCH of an ISO 8601 date-time (DOMAIN.md section 8).

--DY = date - RFSTDTC + 1 on or after RFSTDTC, date - RFSTDTC before it: there is no Day 0.
A partial date (``2024-05``, ``2024``, ``2024---14``) has no study day: SDTM never imputes
--DY. The date part of a date-time (``2024-05-14T09:30``) is what counts.

EPOCH follows the protocol's schedule, the same rule as the subject list's phase: before the
first dose SCREENING, from Day 1 to the day before the next dose would have been due after the
last one TREATMENT, later FOLLOW-UP.
"""

from __future__ import annotations

import re
from datetime import date

from studyapp.clinical.schedule import study_day as _day
from studyapp.protocol.model import DoseRule

SCREENING, TREATMENT, FOLLOW_UP = "SCREENING", "TREATMENT", "FOLLOW-UP"

_FULL_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T.*)?$", re.ASCII)


def full_date(dtc: str | None) -> date | None:
    """The calendar date of an ISO 8601 value; None for a missing or partial one."""
    if not dtc:
        return None
    match = _FULL_DATE.match(dtc)
    if match is None:
        return None
    return date.fromisoformat(match.group(1))


def study_day(rfstdtc: str | None, dtc: str | None) -> int | None:
    """--DY of *dtc* against the reference start *rfstdtc*; None unless both are full dates."""
    start, when = full_date(rfstdtc), full_date(dtc)
    if start is None or when is None:
        return None
    return _day(start, when)


def last_treatment_day(dosing: DoseRule) -> int:
    """The last study day of the treatment epoch: the last dose day plus its interval, less 1."""
    return dosing.dose_days[-1] + dosing.interval_days - 1


def epoch(rfstdtc: str | None, dtc: str | None, dosing: DoseRule) -> str | None:
    """EPOCH of a record dated *dtc*; no first dose yet: SCREENING; no full date: None."""
    when = full_date(dtc)
    if when is None:
        return None
    day = study_day(rfstdtc, dtc)
    if day is None or day < 1:
        return SCREENING
    if day <= last_treatment_day(dosing):
        return TREATMENT
    return FOLLOW_UP
