"""Page furniture shared by long PDFs: a running header and a "Page N of M" footer.

ReportLab knows the number of pages only once the story is laid out. Rather than keep every
page until then, each page is finished when it is shown: its header and footer are drawn, its
"Page N of M" is a form (a PDF XObject) the page refers to by name, and its content goes to a
spool (``pdf_output``); the canvas defines the forms when the document is saved, once M is
known (PDF allows the forward reference), and writes the file object by object.
``numbered_canvas`` answers a canvas class bound to one document's header texts; pass it as
``canvasmaker`` to ``doc.build``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from studyapp.reports.pdf_output import Spool, save

#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F) and those outside the BMP,
#: which the embedded font's encoding cannot carry: dropped from every text drawn.
UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)

GRID = colors.HexColor("#9a9a9a")
MUTED = colors.HexColor("#555555")
#: The baseline of the footer text.
FOOTER_Y = 10 * mm


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
            self._spool = Spool()

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            draw_furniture(self, furniture)
            self.doForm(_page_form(self._pageNumber))
            super().showPage()
            self._spool.keep(self._doc.Pages.pages[-1])

        def save(self) -> None:
            if self._code:
                self.showPage()
            for number in range(1, self._pageNumber):
                self.beginForm(_page_form(number))
                draw_page_number(self, furniture, number, self._pageNumber - 1)
                self.endForm()
            try:
                save(self._doc, self, self._filename)
            finally:
                self._spool.close()

    return NumberedCanvas


def _page_form(number: int) -> str:
    return f"page-of-{number}"


def draw_furniture(canvas: Canvas, furniture: Furniture) -> None:
    """Header (three texts over a rule) and footer (a rule over the text; the page number
    is ``draw_page_number``'s); an empty text is left out."""
    width, height = canvas._pagesize
    left, right = furniture.margin, width - furniture.margin
    canvas.saveState()
    canvas.setFont(furniture.font, 8)
    canvas.setFillColor(MUTED)
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.4)
    top = height - 12 * mm
    texts = (
        (canvas.drawString, left, top, furniture.left),
        (canvas.drawCentredString, width / 2, top, furniture.middle),
        (canvas.drawRightString, right, top, furniture.right),
        (canvas.drawString, left, FOOTER_Y, furniture.footer),
    )
    for draw, x, y, text in texts:
        if text:
            draw(x, y, printable(text))
    canvas.line(left, top - 2 * mm, right, top - 2 * mm)
    canvas.line(left, FOOTER_Y + 3.5 * mm, right, FOOTER_Y + 3.5 * mm)
    canvas.restoreState()


def draw_page_number(canvas: Canvas, furniture: Furniture, number: int, total: int) -> None:
    """ "Page N of M" at the right of the footer."""
    right = canvas._pagesize[0] - furniture.margin
    canvas.setFont(furniture.font, 8)
    canvas.setFillColor(MUTED)
    page = furniture.page_of % {"n": number, "m": total}
    canvas.drawRightString(right, FOOTER_Y, printable(page))
