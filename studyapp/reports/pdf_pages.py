"""Page furniture shared by long PDFs: a running header and a "Page N of M" footer.

ReportLab knows the number of pages only once the story is laid out, so the canvas keeps
every page's state and draws header and footer when the document is saved (two passes over
the pages, one layout). ``numbered_canvas`` answers a canvas class bound to one document's
header texts; pass it as ``canvasmaker`` to ``doc.build``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F) and those outside the BMP,
#: which the embedded font's encoding cannot carry: dropped from every text drawn.
UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)

GRID = colors.HexColor("#9a9a9a")
MUTED = colors.HexColor("#555555")


def printable(text: str) -> str:
    """The text without the characters the PDF font cannot draw."""
    return UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class Furniture:
    """What every page shows: three header texts, the footer's left text and the
    page-number pattern (with %(n)d and %(m)d, already translated)."""

    left: str
    middle: str
    right: str
    footer: str
    page_of: str  # e.g. "Page %(n)d of %(m)d"
    font: str
    margin: float = 18 * mm


def numbered_canvas(furniture: Furniture) -> type[Canvas]:
    """A canvas class that draws *furniture* on each page with "Page N of M"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                draw_furniture(self, furniture, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def draw_furniture(canvas: Canvas, furniture: Furniture, number: int, total: int) -> None:
    """Header (three texts over a rule) and footer (a rule over the text and page N of M)."""
    width, height = canvas._pagesize
    left, right = furniture.margin, width - furniture.margin
    canvas.saveState()
    canvas.setFont(furniture.font, 8)
    canvas.setFillColor(MUTED)
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.4)
    top = height - 12 * mm
    canvas.drawString(left, top, printable(furniture.left))
    canvas.drawCentredString(width / 2, top, printable(furniture.middle))
    canvas.drawRightString(right, top, printable(furniture.right))
    canvas.line(left, top - 2 * mm, right, top - 2 * mm)
    bottom = 10 * mm
    canvas.line(left, bottom + 3.5 * mm, right, bottom + 3.5 * mm)
    canvas.drawString(left, bottom, printable(furniture.footer))
    page = furniture.page_of % {"n": number, "m": total}
    canvas.drawRightString(right, bottom, printable(page))
    canvas.restoreState()
