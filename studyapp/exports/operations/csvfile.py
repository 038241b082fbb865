"""A small CSV writer for the operational reports (RFC 4180, UTF-8 with a BOM so Excel reads
Chinese text), which neutralises formula injection (SEC-11): a text cell beginning with =, +,
-, @, tab, CR or NUL gets a leading apostrophe; numbers are written as they are.

The data exports have their own shared writer; the two are to be merged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, BinaryIO

BOM = "\ufeff".encode()
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def cell(value: Any) -> str:
    """The text of one cell: numbers unchanged, text that a spreadsheet would run escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """Rows into a binary file: the BOM first, then CRLF-terminated, minimally quoted lines."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")
        self.rows = 0
        out.write(BOM)

    def row(self, values: Iterable[Any]) -> None:
        self._csv.writerow([cell(v) for v in values])
        self._out.write(self._buffer.getvalue().encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()
        self.rows += 1
