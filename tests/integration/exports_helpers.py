"""Reading back the data exports in tests: the zip, its CSV files and the XPT files (read by
pandas' own SAS XPORT reader, independent of pyreadstat which writes them)."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import pandas as pd
from pandas.io.sas.sas_xport import XportReader

from studyapp.exports import runner
from studyapp.exports.registry import ExportContext


def produce(kind: str, actor, path: Path, **ctx) -> runner.Result:
    return runner.produce(kind, ExportContext(actor=actor, **ctx), path)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM"
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def read_xpt(data: bytes, folder: Path, name: str) -> tuple[list[dict], list[dict]]:
    """(fields with name, label and type; rows) as pandas reads the XPT file."""
    path = folder / name
    path.write_bytes(data)
    with XportReader(str(path), encoding="utf-8") as reader:
        fields = [
            {"name": f["name"].decode(), "label": f["label"].decode().strip(), "ntype": f["ntype"]}
            for f in reader.fields
        ]
        count = reader.nobs
    if count == 0:
        return fields, []
    frame = pd.read_sas(str(path), format="xport", encoding="utf-8")
    return fields, frame.to_dict("records")


def same_cell(csv_text: str, xpt_value, numeric: bool) -> bool:
    """A CSV cell and the XPT value agree (Num: same number; Char: same text, the CSV's
    formula guard aside)."""
    if numeric:
        if csv_text == "":
            return xpt_value is None or (isinstance(xpt_value, float) and math.isnan(xpt_value))
        return math.isclose(float(csv_text), float(xpt_value), rel_tol=1e-12, abs_tol=1e-12)
    raw = (
        ""
        if xpt_value is None or (isinstance(xpt_value, float) and math.isnan(xpt_value))
        else str(xpt_value)
    )
    guarded = "'" + raw if raw.startswith(("=", "+", "-", "@", "\t", "\r", "\0")) else raw
    return csv_text == guarded
