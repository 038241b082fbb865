"""Blood bank interference of daratumumab (DOMAIN.md section 3) [C].

Daratumumab binds CD38 on red cells, so the indirect antiglobulin test (antibody screen,
crossmatch) may be falsely positive until some months after the last infusion; the protocol
file gives the number of months (``blood_bank.interference_months``). The end date is the
last infusion plus that many calendar months; a day the target month does not have becomes
its last day (31 August + 6 months = 28 February, or 29 in a leap year).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date


def add_months(start: date, months: int) -> date:
    """*start* moved by whole calendar months, clamped to the target month's last day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def interference_until(infusions: Iterable[date | None], months: int) -> date | None:
    """The last day blood compatibility tests may be disturbed: the last infusion + *months*;
    None before the first infusion (no dated infusion yet)."""
    dated = [d for d in infusions if d is not None]
    if not dated:
        return None
    return add_months(max(dated), months)
