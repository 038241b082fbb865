"""ISO 8601 partial dates as clinicians enter them (DOMAIN.md section 8).

``2024``, ``2024-05``, ``2024-05-14`` and ``2024---14`` (month unknown) are kept as entered;
gaps are never filled in the record. ``parse`` drops the day of ``YYYY---DD``: a day without
its month says nothing for analysis, so the year rule applies.

Analysis imputation of an AE onset [P] (``impute_start``): a missing day is the 1st of the
month, or the first-dose date when the onset is in the first-dose month; a missing month (and
day) is 1 January, or the first-dose date when the onset is in the first-dose year; the imputed
onset is never later than the event's end date (the latest date a partial end can be) nor
outside the onset's own month or year. ``treatment_emergent``: imputed onset on or after the
first-dose date (Day 1), None without a first dose.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?|---(\d{2}))?$", re.ASCII)


def parse(text: str) -> tuple[int, int | None, int | None]:
    """(year, month or None, day or None); ValueError naming the expected forms.

    ``YYYY---DD`` gives (year, None, None) once its day (01-31) is checked.
    """
    match = _PARTIAL.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a date: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY---DD")
    year, month, day, lone_day = (int(g) if g else None for g in match.groups())
    assert year is not None  # noqa: S101 - the pattern requires four digits
    if lone_day is not None and not 1 <= lone_day <= 31:
        raise ValueError(f"{text!r}: day {lone_day} does not exist")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{text!r}: month {month} does not exist")
    if day is not None:
        date(year, month or 1, day)  # raises ValueError for 2024-02-30
    return year, month, day


def is_complete(text: str) -> bool:
    """True for a full date (YYYY-MM-DD), False for a partial one (ValueError if not a date)."""
    return parse(text)[2] is not None


def earliest(text: str) -> date:
    """The earliest date *text* can be: missing month -> January, missing day -> the 1st."""
    year, month, day = parse(text)
    return date(year, month or 1, day or 1)


def latest(text: str) -> date:
    """The latest date *text* can be: 2026 -> 2026-12-31, 2026-02 -> 2026-02-28."""
    year, month, day = parse(text)
    if month is None:
        return date(year, 12, 31)
    return date(year, month, day or calendar.monthrange(year, month)[1])


def impute_start(text: str, first_dose: date | None, end_text: str | None = None) -> date:
    """The analysis onset of a (partial) AE start date (module docstring) [P].

    A full date is returned as entered. *first_dose*: the Day 1 date, None before dosing;
    *end_text*: the event's (partial) end date, if any.
    """
    year, month, day = parse(text)
    if day is not None:
        return date(year, month or 1, day)
    imputed = earliest(text)
    if first_dose is not None and first_dose.year == year and month in (None, first_dose.month):
        imputed = first_dose
    if end_text:
        imputed = max(earliest(text), min(imputed, latest(end_text)))
    return imputed


def treatment_emergent(
    onset_text: str, first_dose: date | None, end_text: str | None = None
) -> bool | None:
    """Treatment-emergent: imputed onset on or after the first-dose date; None without one."""
    if first_dose is None:
        return None
    return impute_start(onset_text, first_dose, end_text) >= first_dose


def months_between(start: date, end: date) -> int:
    """Whole months from *start* to *end* (negative if end is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return months
