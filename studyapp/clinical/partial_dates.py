"""ISO 8601 partial dates as clinicians enter them (DOMAIN.md section 8).

``2024``, ``2024-05`` and ``2024-05-14`` are kept as entered; gaps are never filled in
the record. For analysis a missing day is the 1st and a missing month is January.
"""

from __future__ import annotations

import re
from datetime import date

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)


def parse(text: str) -> tuple[int, int | None, int | None]:
    """(year, month or None, day or None); ValueError naming the expected forms."""
    match = _PARTIAL.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None  # noqa: S101 - the pattern requires four digits
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{text!r}: month {month} does not exist")
    if day is not None:
        date(year, month or 1, day)  # raises ValueError for 2024-02-30
    return year, month, day


def earliest(text: str) -> date:
    """The imputed analysis date: missing month -> January, missing day -> the 1st."""
    year, month, day = parse(text)
    return date(year, month or 1, day or 1)


def months_between(start: date, end: date) -> int:
    """Whole months from *start* to *end* (negative if end is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return months
