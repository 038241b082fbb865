"""SDTM XPT files written in chunks (studyapp.exports.sdtm.writer with xpt.Splice) are the file
pyreadstat writes for all the rows at once, the times in the header aside, and read back with
pandas as the CSV member: chunk boundaries, empty domains, a Char variable blank in one chunk,
Chinese text at the 200-byte limit, and the guard against chunks that do not line up."""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from studyapp.exports.sdtm import writer, xpt
from studyapp.exports.sdtm.spec import NUM, Domain, Var, variables
from tests.integration.exports_helpers import read_csv, read_xpt, same_cell

DOMAIN = Domain(
    "ZZ",
    "Test findings",
    variables("ZZ", ("ZZTERM", "Reported Term"), ("ZZNOTE", "Note"), ("ZZVAL", "Value", NUM)),
    lambda ref: [],
)
CHUNK = 3
TIMES = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")


def row(n: int, term: str = "头痛", note: str = "", val: float | None = 1.5) -> list:
    raw = ["NCT05562882", "ZZ", f"NCT05562882-ITP-{n:03d}", n, term, note, val]
    return [writer.value(v.type, cell) for v, cell in zip(DOMAIN.variables, raw, strict=True)]


def chunked(domain: Domain, rows: list[list], folder: Path, chunk: int = CHUNK) -> dict:
    """The CSV and XPT members as the writer makes them, *chunk* rows at a time."""
    out = io.BytesIO()
    spool = writer.Spool(folder / "rows.pickle", chunk)
    with spool, zipfile.ZipFile(out, "w") as archive:
        with archive.open("zz.csv", "w") as member:
            dataset = writer.Dataset(domain, member, spool)
            for values in rows:
                dataset.add(values)
            dataset.csv.close()
        writer.write_xpt(archive, dataset, folder)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def single_shot(domain: Domain, rows: list[list], folder: Path) -> bytes:
    """What pyreadstat writes for the whole frame in one call."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(domain.variables)
    frame = pd.DataFrame(
        {
            v.name: pd.Series(
                [math.nan if c is None else c for c in cells],
                dtype="float64" if v.type == NUM else object,
            )
            for v, cells in zip(domain.variables, columns, strict=True)
        }
    )
    path = folder / "whole.xpt"
    pyreadstat.write_xport(
        frame,
        str(path),
        file_label=domain.label,
        column_labels=[v.label for v in domain.variables],
        table_name=domain.code,
        file_format_version=5,
    )
    return path.read_bytes()


def timeless(data: bytes) -> bytes:
    return TIMES.sub(b"<time>", data)


def check(domain: Domain, rows: list[list], folder: Path) -> list[dict]:
    """Chunked == single write; pandas reads it back as the CSV; answers the records read."""
    files = chunked(domain, rows, folder)
    whole = single_shot(domain, rows, folder)
    assert timeless(files["zz.xpt"]) == timeless(whole)
    assert len(files["zz.xpt"]) % 80 == 0
    _fields, records = read_xpt(files["zz.xpt"], folder, "chunked.xpt")
    _fields, expected = read_xpt(whole, folder, "whole.xpt")
    header, lines = read_csv(files["zz.csv"])
    assert len(records) == len(expected) == len(lines) == len(rows)
    numeric = {v.name for v in domain.variables if v.type == NUM}
    for record, same, line in zip(records, expected, lines, strict=True):
        for name in header:
            assert same_cell(line[name], record[name], name in numeric), name
            assert same_cell(line[name], same[name], name in numeric), name
    return records


@pytest.mark.parametrize("count", [0, 1, 2, CHUNK, 2 * CHUNK, 2 * CHUNK + 1])
def test_every_chunk_boundary_gives_the_single_write(tmp_path, count):
    rows = [row(n, note="yes" if n % 2 else "", val=None if n % 3 else n / 7) for n in range(count)]
    check(DOMAIN, rows, tmp_path)


def test_a_char_variable_blank_in_one_chunk_keeps_its_width_in_every_chunk(tmp_path):
    rows = [row(n) for n in range(CHUNK)] + [row(n, note="late note") for n in range(CHUNK, 5)]
    records = check(DOMAIN, rows, tmp_path)
    assert [r["ZZNOTE"] for r in records] == [""] * CHUNK + ["late note"] * 2


def test_chinese_text_near_the_200_byte_limit_is_cut_and_kept_whole(tmp_path):
    terms = ["血" * 70, "血" * 66 + "ab", "a" * 200, "短", "b" * 250, "血小板"]
    rows = [row(n, term=term) for n, term in enumerate(terms)]
    records = check(DOMAIN, rows, tmp_path)
    assert [r["ZZTERM"] for r in records] == [
        "血" * 66,  # 198 bytes: a whole character more would pass 200
        "血" * 66 + "ab",
        "a" * 200,
        "短",
        "b" * 200,
        "血小板",
    ]


def test_blank_last_rows_give_the_bytes_of_a_single_write(tmp_path):
    """The v5 ambiguity: a short blank last observation looks like padding to a reader; the
    splice writes what pyreadstat writes, so each reader sees what it sees in a single write."""
    domain = Domain("ZZ", "Char only", (Var("ZZA", "A"),), lambda ref: [])
    rows = [["abc"], ["x"], ["y"], [""], [""]]
    files = chunked(domain, rows, tmp_path)
    assert timeless(files["zz.xpt"]) == timeless(single_shot(domain, rows, tmp_path))


def xpt_file(folder: Path, name: str, texts: list[str]) -> Path:
    path = folder / name
    frame = pd.DataFrame({"ZZA": pd.Series(texts, dtype=object), "ZZN": [1.0] * len(texts)})
    pyreadstat.write_xport(frame, str(path), table_name="ZZ", file_format_version=5)
    return path


def test_a_chunk_whose_variables_differ_is_refused(tmp_path):
    first = xpt_file(tmp_path, "a.xpt", ["abc", "de"])
    wider = xpt_file(tmp_path, "b.xpt", ["abcd"])
    with first.open("rb") as chunk:
        splice = xpt.Splice(io.BytesIO(), xpt.read_layout(chunk), 3)
    with first.open("rb") as chunk:
        splice.append(chunk, 2)
    with wider.open("rb") as chunk, pytest.raises(xpt.SpliceError, match="NAMESTR"):
        splice.append(chunk, 1)
    with pytest.raises(xpt.SpliceError, match="2 observations written, 3 expected"):
        splice.close()


@pytest.mark.parametrize(("rows", "message"), [(1, "more than 1"), (9, "fewer than 9")])
def test_a_chunk_with_another_row_count_is_refused(tmp_path, rows, message):
    path = xpt_file(tmp_path, "a.xpt", ["abc", "de"])
    with path.open("rb") as chunk:
        splice = xpt.Splice(io.BytesIO(), xpt.read_layout(chunk), rows)
    with path.open("rb") as chunk, pytest.raises(xpt.SpliceError, match=message):
        splice.append(chunk, rows)


def test_a_file_that_is_not_xpt_is_refused(tmp_path):
    with pytest.raises(xpt.SpliceError, match="not an XPT v5 file"):
        xpt.read_layout(io.BytesIO(b"PK\x03\x04" + b" " * 200))
