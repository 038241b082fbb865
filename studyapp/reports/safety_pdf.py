"""The PDF of the study safety report: ``render`` lays out a ``SafetyReportData``.

Pure layout (ReportLab platypus on A4): the caller gathers, computes, formats and translates
everything (``studyapp.exports.safety_report``), this module only places it. A title page, then
sections of paragraphs, tables and charts. Every page carries a running header (study,
"Confidential") and a footer "Page N of M" (``pdf_pages``). Tables repeat their header row on
each page they run onto. Every text is escaped for Paragraph markup, characters the font
cannot carry are dropped, and everything is set in the embedded TrueType font
(``fonts.register``), which covers Chinese and Latin.

Memory stays flat however long the report: sections, their blocks and a table's rows may be
generators, read once, as the layout reaches them (``pdf_flow.LazyStory``); a long table is
laid out a page at a time (``pdf_flow.RowRun``), a chart is drawn when its block comes, and
each page is finished when it is shown.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
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

from studyapp.reports.cells import wrapped
from studyapp.reports.charts import Chart
from studyapp.reports.fonts import register
from studyapp.reports.pdf_flow import LazyStory, RowRun
from studyapp.reports.pdf_pages import Furniture, numbered_canvas
from studyapp.reports.pdf_shapes import to_drawing

MARGIN = 18 * mm
PAGE_WIDTH = A4[0]
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN

#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F) and those outside the BMP:
#: dropped before escaping (as in ``sae_pdf``).
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)
_GRID = colors.HexColor("#9a9a9a")
_SHADE = colors.HexColor("#e4e8ee")
_NOTE = colors.HexColor("#555555")
_INK = colors.HexColor("#1f3a5f")


@dataclass(frozen=True)
class Para:
    """A paragraph; ``style`` is ``body``, ``note`` (muted) or ``subheading``."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Table:
    """A table under a header row repeated on every page; ``widths`` are relative (optional);
    ``empty`` is shown instead when there are no rows. *rows* may be an iterator (read once,
    as the layout reaches it); a row has at most as many cells as the header."""

    header: tuple[str, ...]
    rows: Iterable[tuple[str, ...]]
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
    """A heading over blocks; *blocks* may be a generator, run when the layout reaches it.

    The layout reads a few flowables ahead (and a table's first row when it reads the
    table): a block must not depend on rows of an earlier block not yet laid out.
    """

    title: str
    blocks: Iterable[Block]


@dataclass(frozen=True)
class SafetyReportData:
    """Everything the report shows, already formatted and translated; *sections* may be a
    generator (read once)."""

    study_id: str
    title: str
    subtitle: str
    title_rows: tuple[tuple[str, str], ...]
    sections: Iterable[Section]
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
        "note": style("note", 8.5, leading=11, spaceAfter=4, textColor=_NOTE),
        "cell": style("cell", 8, leading=10),
        "head": style("head", 8, leading=10, textColor=_INK),
    }


def _para(text: str, style: str) -> Paragraph:
    return Paragraph(markup(text), _styles()[style])


def _widths(table: Table, columns: int) -> list[float]:
    weights = list(table.widths) if len(table.widths) == columns else [1.0] * columns
    total = sum(weights)
    return [BODY_WIDTH * w / total for w in weights]


def _table(table: Table, none: str) -> list[Any]:
    """A thin-grid table, the header shaded and repeated on each page; *empty* without rows."""
    rows = iter(table.rows)
    first = next(rows, None)
    if first is None:
        return [_para(table.empty or none, "note")]
    columns = len(table.header)
    widths = _widths(table, columns)

    def cells(row: tuple[str, ...]) -> list[Any]:
        if len(row) > columns:
            raise ValueError(f"a row of {len(row)} cells under a header of {columns}")
        padded = (*row, *("",) * (columns - len(row)))
        return [_cell(t, w) for t, w in zip(padded, widths, strict=True)]

    def make(cells: list[list[Any]], header: int) -> Any:
        return _grid(cells, widths, header)

    header = [_para(t, "head") for t in table.header]
    body = (cells(row) for row in itertools.chain((first,), rows))
    return [RowRun(header, body, make), Spacer(1, 3 * mm)]


def _grid(cells: list[list[Any]], widths: list[float], header: int) -> Any:
    """A piece of a table: *header* rows at the top, shaded and repeated where it splits."""
    grid = RlTable(cells, colWidths=widths, repeatRows=header)
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), register()),
        ("FONTSIZE", (0, 0), (-1, -1), _CELL_SIZE),
        ("LEADING", (0, 0), (-1, -1), _CELL_SIZE + 2),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, header - 1), _SHADE))
    grid.setStyle(TableStyle(commands))
    return grid


_CELL_SIZE = 8
#: Left and right padding of a table cell, in points.
_CELL_PAD = 6


def _cell(text: str, width: float) -> Any:
    """A body cell: plain text broken into lines that fit (much lighter to lay out than a
    paragraph: long listings are most of the report)."""
    return wrapped(clean(text), register(), _CELL_SIZE, width - _CELL_PAD)


def _block(block: Block, none: str) -> list[Any]:
    if isinstance(block, Para):
        return [_para(block.text, block.style)]
    if isinstance(block, Table):
        return _table(block, none)
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


def story(data: SafetyReportData) -> Iterator[Any]:
    """The flowables, top to bottom: the title page, then each section (made as read)."""
    yield from (Spacer(1, 40 * mm), _para(data.title, "title"), _para(data.subtitle, "subtitle"))
    if data.title_rows:
        yield _pairs(data.title_rows)
    yield PageBreak()
    for section in data.sections:
        yield from (CondPageBreak(40 * mm), _para(section.title, "heading"))
        for block in section.blocks:
            yield from _block(block, data.none)


def render(data: SafetyReportData, out: BinaryIO) -> None:
    """Write the safety report as PDF to *out*; deterministic (``invariant``): same data,
    same bytes."""
    font = register()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=clean(data.title),
        subject=clean(data.subtitle),
        author=clean(data.study_id),
        creator="studyapp",
        initialFontName=font,
        invariant=1,
    )
    furniture = Furniture(
        left=data.study_id,
        middle="",
        right=data.confidential,
        footer="",
        page_of=data.page_of,
        font=font,
        margin=MARGIN,
    )
    doc.build(LazyStory(story(data)), canvasmaker=numbered_canvas(furniture))
