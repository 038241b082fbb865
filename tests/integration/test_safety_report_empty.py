"""The study safety report of a study with no subject yet: a valid PDF with zero counts."""

from __future__ import annotations

import io

from pypdf import PdfReader

from studyapp.exports import runner
from studyapp.exports.registry import ExportContext


def test_an_empty_study_gives_a_valid_report(app, users, tmp_path):
    out = tmp_path / "empty.pdf"
    result = runner.produce("safety_report", ExportContext(actor=users["investigator"]), out)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Screened\n0" in text
    assert "Dosed subjects\n0" in text
    assert "No subject is dosed." in text
    assert "No adverse event recorded." in text
    assert result.rows == {
        "subjects": 0,
        "doses": 0,
        "adverse_events": 0,
        "lab_findings": 0,
        "charts": 0,
    }
