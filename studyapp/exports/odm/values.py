"""Values as ODM writes them: ISO 8601 dates, UTC date-times ending in "Z" (GCP-06), clinical
times as typed at the site with the site's offset, decimals without trailing zeros.

Also the data cut-off rule: a record dated after the cut-off is left out; a partial date is
after the cut-off only when its earliest possible day is.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from studyapp.db import site_zone

_YEAR, _MONTH, _DAY = slice(0, 4), slice(5, 7), slice(8, 10)
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})|--)?(?:-(\d{2}))?$")


def utc(moment: datetime) -> str:
    """An aware date-time in UTC, ISO 8601 with "Z"."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decimal_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 72.50 -> "72.5", 150.0000 -> "150"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def local_time(value: time, day: date | None) -> str:
    """A clock time typed at the site, with the site's UTC offset on that day: "09:30:00+08:00"."""
    moment = datetime.combine(day or date(2000, 1, 1), value.replace(tzinfo=None))
    return moment.replace(tzinfo=site_zone()).isoformat(timespec="seconds")[11:]


def text(value: Any, day: date | None = None) -> str | None:
    """The ODM Value of a stored value (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return local_time(value, day)
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def audited_text(value: str | None, data_type: str, day: date | None) -> str | None:
    """An audit trail's stored text (``audit.capture``) as the ODM Value of the same type."""
    if value is None:
        return None
    if data_type == "float":
        try:
            return decimal_text(Decimal(value))
        except InvalidOperation:
            return value
    if data_type == "time":
        try:
            return local_time(time.fromisoformat(value), day)
        except ValueError:
            return value
    if data_type == "datetime":
        try:
            return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


def earliest(value: date | str | None) -> date | None:
    """The earliest day a (partial) ISO 8601 date can be: "2024-05" -> 2024-05-01,
    "2023---14" (month unknown) -> 2023-01-01."""
    if value is None or isinstance(value, date):
        return value
    match = _PARTIAL.match(value.strip())
    if match is None:
        return None
    year, month, day = match.groups()
    if month is None:
        return date(int(year), 1, 1)
    return date(int(year), int(month), int(day or 1))


def after(value: date | str | None, cutoff: date | None) -> bool:
    """Whether a record of this date falls after the cut-off (undated: no)."""
    first = earliest(value)
    return cutoff is not None and first is not None and first > cutoff
