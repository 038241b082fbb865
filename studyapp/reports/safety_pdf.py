"""The PDF of the study safety report: ``render`` lays out a ``SafetyReportData``.

Pure layout (ReportLab platypus on A4): the caller gathers, computes, formats and translates
everything (``studyapp.exports.safety_report``), this module only places it. A title page, then
sections of paragraphs, tables and charts. Every page carries a running header (study,
"Confidential") and a footer "Page N of M", numbered in a second pass once the page count is
known. Tables repeat their header row on each page they run onto. Every text is escaped for
Paragraph markup, characters the font cannot carry are dropped, and everything is set in the
embedded TrueType font (``fonts.register``), which covers Chinese and Latin.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RlTable

from studyapp.reports.charts import Chart
from studyapp.reports.fonts import register
from studyapp.reports.pdf_shapes import to_drawing

MARGIN = 18 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN

#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F) and those outside the BMP:
#: dropped before escaping (as in ``sae_pdf``).
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)
_GRID = colors.HexColor("#9a9a9a")
_SHADE = colors.HexColor("#e4e8ee")
_MUTED = colors.HexColor("#555555")
_INK = colors.HexColor("#1f3a5f")


@dataclass(frozen=True)
class Para:
    """A paragraph; ``style`` is ``body``, ``note`` (muted) or ``subheading``."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Table:
    """A table under a header row repeated on every page; ``widths`` are relative (optional);
    ``empty`` is shown instead when there are no rows."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    empty: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart with a caption above it, kept on one page."""

    caption: str
    chart: Chart


Block = Para | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class SafetyReportData:
    """Everything the report shows, already formatted and translated."""

    study_id: str
    title: str
    subtitle: str
    title_rows: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    confidential: str = "Confidential"
    #: The footer, a %-template with ``n`` (this page) and ``m`` (the page count).
    page_of: str = "Page %(n)d of %(m)d"
    none: str = "None"


def clean(text: str) -> str:
    """*text* without the characters a PDF string cannot carry."""
    return _UNPRINTABLE.sub("", text)


def markup(text: str) -> str:
    """Paragraph markup showing *text* literally, its newlines as line breaks."""
    return escape(clean(text.replace("\r\n", "\n").replace("\r", "\n"))).replace("\n", "<br/>")


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    font = register()

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(f"safety-{name}", fontName=font, fontSize=size, **extra)

    return {
        "title": style("title", 20, leading=26, spaceAfter=6, textColor=_INK),
        "subtitle": style("subtitle", 12, leading=16, spaceAfter=14),
        "heading": style("heading", 13, leading=17, spaceBefore=8, spaceAfter=6, textColor=_INK),
        "subheading": style("subheading", 10.5, leading=14, spaceBefore=6, spaceAfter=3),
        "body": style("body", 9.5, leading=13, spaceAfter=4),
        "note": style("note", 8.5, leading=11, spaceAfter=4, textColor=_MUTED),
        "cell": style("cell", 8, leading=10),
        "head": style("head", 8, leading=10, textColor=_INK),
    }


def _para(text: str, style: str) -> Paragraph:
    return Paragraph(markup(text), _styles()[style])


def _widths(table: Table, columns: int) -> list[float]:
    weights = list(table.widths) if len(table.widths) == columns else [1.0] * columns
    total = sum(weights)
    return [BODY_WIDTH * w / total for w in weights]


def _table(table: Table, none: str) -> Any:
    """A thin-grid table, the header shaded and repeated on each page; *empty* without rows."""
    if not table.rows:
        return _para(table.empty or none, "note")
    columns = max(len(table.header), *(len(row) for row in table.rows))
    pad = ("",) * columns
    widths = _widths(table, columns)
    cells = [[_para(t, "head") for t in (*table.header, *pad)[:columns]]]
    cells += [
        [_cell(t, w) for t, w in zip((*row, *pad)[:columns], widths, strict=True)]
        for row in table.rows
    ]
    grid = RlTable(cells, colWidths=widths, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), register()),
                ("FONTSIZE", (0, 0), (-1, -1), _CELL_SIZE),
                ("LEADING", (0, 0), (-1, -1), _CELL_SIZE + 2),
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
                ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return grid


_CELL_SIZE = 8
#: Left and right padding of a table cell, in points.
_CELL_PAD = 6


def _cell(text: str, width: float) -> Any:
    """A body cell: plain text when it fits on one line (light, the usual case of long
    listings), else a wrapping paragraph."""
    plain = clean(text)
    fits = "\n" not in plain and stringWidth(plain, register(), _CELL_SIZE) <= width - _CELL_PAD
    return plain if fits else _para(text, "cell")


def _block(block: Block, none: str) -> list[Any]:
    if isinstance(block, Para):
        return [_para(block.text, block.style)]
    if isinstance(block, Table):
        return [_table(block, none), Spacer(1, 3 * mm)]
    drawing = to_drawing(block.chart, BODY_WIDTH)
    return [KeepTogether([_para(block.caption, "subheading"), drawing, Spacer(1, 4 * mm)])]


def _pairs(rows: tuple[tuple[str, str], ...]) -> Any:
    """Label/value pairs as a two-column table, labels shaded."""
    cells = [[_para(label, "head"), _para(value, "cell")] for label, value in rows]
    grid = RlTable(cells, colWidths=[BODY_WIDTH / 3, 2 * BODY_WIDTH / 3])
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), register()),
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
                ("BACKGROUND", (0, 0), (0, -1), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return grid


def story(data: SafetyReportData) -> list[Any]:
    """The flowables, top to bottom: the title page, then each section."""
    out: list[Any] = [Spacer(1, 40 * mm), _para(data.title, "title")]
    out.append(_para(data.subtitle, "subtitle"))
    if data.title_rows:
        out.append(_pairs(data.title_rows))
    out.append(PageBreak())
    for section in data.sections:
        out += [CondPageBreak(40 * mm), _para(section.title, "heading")]
        for block in section.blocks:
            out += _block(block, data.none)
    return out


def _furniture(canvas: Canvas, data: SafetyReportData, page: int, total: int) -> None:
    """Header (study, confidential) and footer (page N of M) of one page."""
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    canvas.saveState()
    canvas.setFont(register(), 8)
    canvas.setFillColor(_MUTED)
    canvas.setStrokeColor(_GRID)
    canvas.setLineWidth(0.4)
    top = PAGE_HEIGHT - 12 * mm
    canvas.drawString(left, top, clean(data.study_id))
    canvas.drawRightString(right, top, clean(data.confidential))
    canvas.line(left, top - 2 * mm, right, top - 2 * mm)
    bottom = 10 * mm
    canvas.line(left, bottom + 3.5 * mm, right, bottom + 3.5 * mm)
    canvas.drawRightString(right, bottom, clean(data.page_of % {"n": page, "m": total}))
    canvas.restoreState()


def _canvas_maker(data: SafetyReportData) -> type[Canvas]:
    """A canvas that holds its pages back until the end, then numbers them "N of M"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                _furniture(self, data, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def render(data: SafetyReportData) -> bytes:
    """The safety report as PDF bytes; deterministic (``invariant``): same data, same bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=clean(data.title),
        subject=clean(data.subtitle),
        author=clean(data.study_id),
        creator="studyapp",
        initialFontName=register(),
        invariant=1,
    )
    doc.build(story(data), canvasmaker=_canvas_maker(data))
    return buffer.getvalue()
