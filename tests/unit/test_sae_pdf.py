"""The PDF of a serious adverse event report, with no app (reports/sae_pdf.py)."""

from __future__ import annotations

import base64
import dataclasses
import re
import zlib
from typing import Any

import pytest

from studyapp.reports.sae_pdf import Row, SaeReportData, render

LABELS = {
    "event": "Event",
    "narrative": "Narrative",
    "labs": "Relevant laboratory values",
    "meds": "Concomitant medications",
    "doses": "Study drug administrations",
    "none": "None recorded",
    "page": "Page %(n)d",
}
ZH_LABELS = {
    "event": "事件",
    "narrative": "事件描述",
    "labs": "相关实验室检查",
    "meds": "合并用药",
    "doses": "研究药物给药",
    "none": "无记录",
    "page": "第 %(n)d 页",
    "subject": "受试者",
}


def sample(**changes: Any) -> SaeReportData:
    data = SaeReportData(
        title="Serious adverse event report - initial",
        study="NCT05562882 — Daratumumab in relapsed/refractory ITP",
        site="Site 01 — Peking Union Medical College Hospital",
        subject="ITP-003",
        sex="Female",
        age="54",
        report_kind="Initial",
        event=(
            ("Event term", "Intracranial haemorrhage"),
            ("CTCAE term", "Intracranial hemorrhage"),
            ("System organ class", "Nervous system disorders"),
            ("Onset", "2026-11-20"),
            ("End", "ongoing"),
            ("Grade", "4"),
            ("Seriousness criteria", "Life-threatening; hospitalisation " * 4),
            ("Relationship to daratumumab", "Unlikely related"),
            ("Expectedness", "Unexpected"),
            ("Action taken", "Drug interrupted"),
            ("Outcome", "Not recovered"),
            ("Awareness", "2026-11-24 08:30 UTC"),
            ("Deadline", "2026-11-25 08:30 UTC"),
        ),
        narrative="Day 29: headache and vomiting.\nCT showed a small subdural haematoma.\n\n"
        "患者于第29天出现头痛、呕吐，头颅CT示少量硬膜下血肿，血小板计数 8×10⁹/L。",
        labs_header=("Visit", "Date", "Test", "Result", "Unit"),
        labs=(
            Row(("Week 4", "2026-11-20", "Platelets", "8", "10⁹/L")),
            Row(("Week 4", "2026-11-20", "Haemoglobin", "96", "g/L")),
        ),
        meds_header=("Medication", "Dose", "Start", "Stop", "Indication"),
        meds=(Row(("Prednisone", "20 mg daily", "2026-09-01", "", "ITP")),),
        doses_header=("Date", "Dose", "Route", "Lot"),
        doses=(Row(("2026-11-13", "16 mg/kg", "IV", "LOT-0042")),),
        signed_by="Reporter: investigator, site 01",
        generated_at="Generated 2026-11-25 10:00 UTC",
        labels=LABELS,
    )
    return dataclasses.replace(data, **changes)


_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
#: A shown string, or an operator ending a line (T* next line, ET end of a text object).
_TOKEN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj|T\*|\bET\b", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code.isdigit():
        return bytes([int(code, 8)])
    return {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(code, code)


def _shown(token: re.Match[bytes]) -> str:
    string = token.group(1)
    if string is None:
        return "\n"
    return _ESCAPE.sub(_unescape, string).decode("utf-16-be")  # the CID font's UCS-2


def pages(pdf: bytes) -> list[str]:
    """The visible text of each page, one line per line: ReportLab's A85+Flate content streams."""
    contents = [
        zlib.decompress(base64.a85decode(s.strip(), adobe=True)) for s in _STREAM.findall(pdf)
    ]
    return ["".join(_shown(token) for token in _TOKEN.finditer(content)) for content in contents]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def test_a_complete_pdf_document() -> None:
    pdf = render(sample())

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == 1


def test_the_same_data_gives_the_same_bytes() -> None:
    assert render(sample()) == render(sample())
    assert render(sample()) != render(sample(subject="ITP-004"))


def test_metadata_names_the_report_and_the_pseudonymised_subject() -> None:
    pdf = render(sample())

    assert b"/Title (Serious adverse event report - initial)" in pdf
    assert b"/Subject (ITP-003)" in pdf
    assert b"/Author (Site 01 " in pdf


def test_every_section_is_shown() -> None:
    text = pages(render(sample()))[0]

    for heading in ("Event", "Narrative", "Relevant laboratory values", "Concomitant medications"):
        assert heading in text
    for value in ("Intracranial haemorrhage", "Platelets", "Prednisone", "LOT-0042", "16 mg/kg"):
        assert value in text
    assert "Reporter: investigator, site 01" in text
    assert "None recorded" not in text


def test_header_and_footer_on_every_page() -> None:
    narrative = "\n".join(f"Line {i}: clinical course continued." for i in range(300))
    texts = pages(render(sample(narrative=narrative)))

    assert len(texts) >= 3
    for n, text in enumerate(texts, start=1):
        assert "NCT05562882 — Daratumumab in relapsed/refractory ITP" in text
        assert "ITP-003" in text
        assert f"Page {n}" in text
        assert "Generated 2026-11-25 10:00 UTC" in text


def test_a_long_narrative_runs_over_several_pages_line_by_line() -> None:
    narrative = "\n".join(f"Line {i}: clinical course continued." for i in range(300))
    pdf = render(sample(narrative=narrative))

    assert page_count(pdf) >= 3
    text = "\n".join(pages(pdf))
    assert "Line 0: clinical course continued." in text
    assert "Line 299: clinical course continued." in text
    assert "Line 0: clinical course continued.Line 1" not in text  # newlines broke the lines


@pytest.mark.parametrize(
    "hostile",
    [
        "<b>not bold</b> & <i>not italic</i>",
        "<script>alert('x')</script> &amp; &lt;",
        '<para> <font name="Helvetica"> <br/> </unclosed> <<< >>> &&& ;',
        "broken \x00 \x07 \ufffe controls and 😀 beyond the BMP",
    ],
)
def test_markup_in_the_data_is_shown_literally(hostile: str) -> None:
    data = sample(
        title=hostile,
        study=hostile,
        subject=hostile,
        narrative=hostile,
        event=((hostile, hostile),),
        labs=(Row((hostile,) * 5),),
        signed_by=hostile,
        generated_at=hostile,
    )
    text = "\n".join(pages(render(data)))

    if "<" in hostile:
        assert hostile in text
    else:
        assert "broken controls and beyond the BMP" in text  # the paragraphs' spacing
        assert "\ufffd" not in text


def test_chinese_text_renders_in_the_cid_font() -> None:
    data = sample(
        site="北京协和医院",
        sex="女",
        age="54 岁",
        report_kind="首次报告",
        labels=ZH_LABELS,
        event=(("事件名称", "颅内出血"),),
        narrative="患者于第29天出现头痛、呕吐。\n" + "头颅CT示少量硬膜下血肿，已停药观察。" * 30,
    )
    pdf = render(data)
    text = "\n".join(pages(pdf))

    assert b"/BaseFont /STSong-Light" in pdf
    assert b"/Helvetica" not in pdf  # the CID font covers Latin too; nothing falls back
    for shown in (
        "颅内出血",
        "事件描述",
        "受试者",
        "第 1 页",
        "患者于第29天出现头痛、呕吐。",
        "女",
    ):
        assert shown in text
    assert "Site" in text  # an identification label the caller did not translate keeps its default


def test_empty_sections_say_none_recorded() -> None:
    data = sample(event=(), narrative=" \n ", labs=(), meds=(), doses=(), labs_header=())
    text = pages(render(data))[0]

    assert text.count("None recorded") == 5
    assert "Platelets" not in text


def test_ragged_rows_are_padded_to_the_widest() -> None:
    data = sample(labs_header=("Test",), labs=(Row(("Platelets", "8", "10⁹/L")), Row(())))
    text = pages(render(data))[0]

    assert "Platelets" in text
    assert "10⁹/L" in text


def test_rows_without_any_cells_still_render() -> None:
    pdf = render(sample(labs_header=(), labs=(Row(()),)))

    assert page_count(pdf) == 1


def test_long_tables_repeat_their_header_row() -> None:
    doses = tuple(Row((f"2026-{i:03d}", "16 mg/kg", "IV", f"LOT-{i:04d}")) for i in range(120))
    texts = pages(render(sample(doses=doses)))

    assert len(texts) >= 2
    assert all("Route" in text for text in texts[1:])
    assert "LOT-0119" in texts[-1]
