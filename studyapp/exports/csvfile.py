"""The CSV every data export writes: RFC 4180, UTF-8 with a BOM, formula injection neutralised.

SEC-11: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a
NUL gets a leading ``'`` so a spreadsheet shows it as text instead of running it; numbers
(int, Decimal, float) are written as they are, so -5 stays -5. Quoting is the standard
library's minimal RFC 4180 quoting with CRLF line ends; the BOM lets Excel read Chinese text.
System times are written in UTC with a ``Z`` (GCP-06); clinical dates and times as entered.
Rows are written as they come (an iterator), never gathered into a list first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import IO, Any

#: The first characters a spreadsheet reads as the start of a formula (or hides).
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0")
BOM = "\ufeff"


def neutralise(text: str) -> str:
    """*text* with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(DANGEROUS) else text


def utc_text(moment: datetime) -> str:
    """A system time as ISO 8601 UTC with ``Z`` (a naive one is taken as UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def number_text(value: Decimal | float | int) -> str:
    """A number as plain text: no exponent, no trailing zeros after the point."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value)


def cell(value: Any) -> str:
    """The text of one cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float | Decimal):
        return number_text(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return neutralise(str(value))


class CsvWriter:
    """Rows into a binary stream (a zip member or a file) as UTF-8 CSV with a BOM."""

    def __init__(self, out: IO[bytes]) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self._text.write(BOM)
        self._csv = csv.writer(self._text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self.rows = 0

    def header(self, names: Sequence[str]) -> None:
        self._csv.writerow(names)

    def row(self, values: Iterable[Any]) -> None:
        self._csv.writerow([cell(v) for v in values])
        self.rows += 1

    def close(self) -> None:
        """Flush and let go of the binary stream without closing it."""
        self._text.flush()
        self._text.detach()


def write(out: IO[bytes], header: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write *header* and *rows* to *out*; answers the number of rows."""
    writer = CsvWriter(out)
    writer.header(header)
    for values in rows:
        writer.row(values)
    writer.close()
    return writer.rows
