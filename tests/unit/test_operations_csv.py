"""The CSV writer of the operational reports: BOM, RFC 4180, formula injection (SEC-11)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from studyapp.exports.operations.csvfile import CsvWriter, cell

pytestmark = pytest.mark.req("SEC-11")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("\0NUL", "'\0NUL"),
        ("headache = bad", "headache = bad"),
        ("血小板", "血小板"),
        (-3, "-3"),
        (Decimal("-1.5"), "-1.5"),
        (None, ""),
    ],
)
def test_cells(value, written):
    assert cell(value) == written


def test_file_has_a_bom_crlf_lines_and_quoting():
    out = io.BytesIO()
    writer = CsvWriter(out)
    writer.row(("term", "n"))
    writer.row(('say "hi", then =1+1', -4))
    writer.row(("二,三", 7))
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 3
    assert list(csv.reader(io.StringIO(text))) == [
        ["term", "n"],
        ['say "hi", then =1+1', "-4"],
        ["二,三", "7"],
    ]
    assert writer.rows == 3
