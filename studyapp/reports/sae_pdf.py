"""The PDF of a serious adverse event report for the sponsor: ``render`` draws a ``SaeReportData``.

ReportLab platypus on A4. The data is plain frozen values (no Flask, no SQLAlchemy), so the
caller gathers and translates everything first and this module only lays it out. Every text is
escaped for Paragraph markup and set in ReportLab's built-in CID font STSong-Light, which covers
Chinese and Latin without shipping TTF files. ``invariant`` output: the same data, the same bytes.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
MARGIN = 18 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN

#: English fallbacks; the caller's ``labels`` override them. The identification block's keys
#: ("study" ... "report_kind") are optional extras to the contract's section keys.
DEFAULT_LABELS: dict[str, str] = {
    "event": "Event",
    "narrative": "Narrative",
    "labs": "Relevant laboratory values",
    "meds": "Concomitant medications",
    "doses": "Study drug administrations",
    "none": "None recorded",
    "page": "Page %(n)d",
    "study": "Study",
    "site": "Site",
    "subject": "Subject",
    "sex": "Sex",
    "age": "Age",
    "report_kind": "Report",
}

#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F) and those outside the BMP,
#: which the font's UCS-2 encoding cannot carry: dropped before escaping.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)

#: A TableStyle cell range: (first column, first row), (last column, last row).
Shade = tuple[tuple[int, int], tuple[int, int]]

_GRID = colors.HexColor("#9a9a9a")
_SHADE = colors.HexColor("#e4e8ee")
_MUTED = colors.HexColor("#555555")


@dataclass(frozen=True)
class Row:
    """A generic table row: one text per column."""

    cells: tuple[str, ...]


@dataclass(frozen=True)
class SaeReportData:
    """Everything the SAE report shows, already formatted and translated by the caller."""

    title: str
    study: str
    site: str
    subject: str
    sex: str
    age: str
    report_kind: str
    event: tuple[tuple[str, str], ...]
    narrative: str
    labs_header: tuple[str, ...]
    labs: tuple[Row, ...]
    meds_header: tuple[str, ...]
    meds: tuple[Row, ...]
    doses_header: tuple[str, ...]
    doses: tuple[Row, ...]
    signed_by: str
    generated_at: str
    labels: dict[str, str]


@functools.cache
def _font() -> str:
    """Register the CID font once per process and return its name."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


@functools.cache
def _styles() -> dict[str, Any]:
    font = _font()
    return {
        "title": ParagraphStyle("sae-title", fontName=font, fontSize=16, leading=20, spaceAfter=8),
        "heading": ParagraphStyle(
            "sae-heading",
            fontName=font,
            fontSize=11.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.HexColor("#1f3a5f"),
        ),
        "body": ParagraphStyle("sae-body", fontName=font, fontSize=9.5, leading=13),
        "cell": ParagraphStyle("sae-cell", fontName=font, fontSize=8.5, leading=11),
        "none": ParagraphStyle("sae-none", fontName=font, fontSize=9, leading=12, textColor=_MUTED),
    }


def _markup(text: str) -> str:
    """Paragraph markup showing ``text`` literally, its newlines as line breaks."""
    clean = _UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return escape(clean).replace("\n", "<br/>")


def _para(text: str, style: str) -> Any:
    return Paragraph(_markup(text), _styles()[style])


def _grid(rows: list[list[Any]], widths: Sequence[float], shade: Shade, repeat: int) -> Any:
    """A thin-grid table, the ``shade`` cell range shaded, the first ``repeat`` rows repeated."""
    table = Table(rows, colWidths=list(widths), repeatRows=repeat)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _font()),
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
                ("BACKGROUND", *shade, _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _pairs(pairs: Sequence[tuple[str, str]], none: str) -> Any:
    """Label/value pairs as a two-column table, labels shaded; ``none`` if there are none."""
    if not pairs:
        return _para(none, "none")
    rows = [[_para(label, "cell"), _para(value, "cell")] for label, value in pairs]
    return _grid(rows, (0.3 * BODY_WIDTH, 0.7 * BODY_WIDTH), ((0, 0), (0, -1)), 0)


def _rows(header: tuple[str, ...], rows: tuple[Row, ...], none: str) -> Any:
    """A data table under a shaded header row repeated on each page; ``none`` if no rows."""
    if not rows:
        return _para(none, "none")
    columns = max(1, len(header), *(len(row.cells) for row in rows))
    texts = [header, *(row.cells for row in rows)]
    cells = [[_para(t, "cell") for t in (*r, *("",) * (columns - len(r)))] for r in texts]
    return _grid(cells, [BODY_WIDTH / columns] * columns, ((0, 0), (-1, 0)), 1)


def _identification(data: SaeReportData, labels: dict[str, str]) -> list[tuple[str, str]]:
    keys = ("study", "site", "subject", "sex", "age", "report_kind")
    values = (data.study, data.site, data.subject, data.sex, data.age, data.report_kind)
    return [(labels[key], value) for key, value in zip(keys, values, strict=True)]


def _heading(text: str) -> list[Any]:
    """A section heading, on a new page if too little room is left for it and a few lines."""
    return [CondPageBreak(30 * mm), _para(text, "heading")]


def _story(data: SaeReportData, labels: dict[str, str]) -> list[Any]:
    """The flowables, top to bottom."""
    none = labels["none"]
    tables = (
        ("labs", data.labs_header, data.labs),
        ("meds", data.meds_header, data.meds),
        ("doses", data.doses_header, data.doses),
    )
    story: list[Any] = [_para(data.title, "title"), _pairs(_identification(data, labels), none)]
    story += [*_heading(labels["event"]), _pairs(data.event, none)]
    story += _heading(labels["narrative"])
    story += [_para(data.narrative, "body") if data.narrative.strip() else _para(none, "none")]
    for key, header, rows in tables:
        story += [*_heading(labels[key]), _rows(header, rows, none)]
    story += [Spacer(1, 8 * mm), _para(data.signed_by, "body")]
    return story


def _page_furniture(data: SaeReportData, labels: dict[str, str]) -> Callable[[Any, Any], None]:
    """The callback drawing the header (study, subject) and footer (generated, page n)."""

    def draw(canvas: Any, doc: Any) -> None:
        left, right = MARGIN, PAGE_WIDTH - MARGIN
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.setFillColor(_MUTED)
        canvas.setStrokeColor(_GRID)
        canvas.setLineWidth(0.4)
        top = PAGE_HEIGHT - 12 * mm
        canvas.drawString(left, top, _UNPRINTABLE.sub("", data.study))
        canvas.drawRightString(right, top, _UNPRINTABLE.sub("", data.subject))
        canvas.line(left, top - 2 * mm, right, top - 2 * mm)
        bottom = 10 * mm
        canvas.line(left, bottom + 3.5 * mm, right, bottom + 3.5 * mm)
        canvas.drawString(left, bottom, _UNPRINTABLE.sub("", data.generated_at))
        canvas.drawRightString(right, bottom, labels["page"] % {"n": doc.page})
        canvas.restoreState()

    return draw


def render(data: SaeReportData) -> bytes:
    """The SAE report as PDF bytes; deterministic (``invariant``), nothing written to disk."""
    labels = {**DEFAULT_LABELS, **data.labels}
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=data.title,
        author=data.site,
        subject=data.subject,
        creator="studyapp",
        initialFontName=_font(),
        invariant=1,
    )
    furniture = _page_furniture(data, labels)
    doc.build(_story(data, labels), onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()
