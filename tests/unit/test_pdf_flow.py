"""Long PDFs made as they are laid out (reports/pdf_flow.py, pdf_output.py, pdf_pages.py): the
story is read from its generator a few flowables ahead of the layout, and the file written
object by object is the one ReportLab would have written."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from studyapp.reports import pdf_pages
from studyapp.reports.fonts import register
from studyapp.reports.pdf_flow import AHEAD, LazyStory
from studyapp.reports.pdf_pages import Furniture, numbered_canvas


class Counting(SimpleDocTemplate):
    """A document that counts the flowables it has laid out."""

    drawn = 0

    def afterFlowable(self, flowable):  # noqa: N802 (ReportLab's name)
        self.drawn += 1


def test_the_story_is_made_as_the_layout_reaches_it_and_read_once():
    doc = Counting(io.BytesIO(), pagesize=A4)
    style = ParagraphStyle("p", fontSize=10, leading=12)
    ahead = []

    def paragraphs():
        for i in range(500):
            ahead.append(i - doc.drawn)  # made, not yet laid out
            yield Paragraph(f"Line {i}", style)

    story = LazyStory(paragraphs())
    doc.build(story)
    assert len(ahead) == 500
    assert doc.page > 5
    assert max(ahead) <= AHEAD
    assert len(story) == 0


def build(out: io.BytesIO) -> None:
    page_of = "第 %(n)d 页，共 %(m)d 页"
    furniture = Furniture("STUDY-1", "受试者", "Confidential", "", page_of, register())
    doc = SimpleDocTemplate(out, pagesize=A4, invariant=1, initialFontName=register())
    style = ParagraphStyle("p", fontName=register(), fontSize=10, leading=12)
    story = [Paragraph(f"第 {i} 行 line {i}", style) for i in range(300)]
    doc.build(story, canvasmaker=numbered_canvas(furniture))


def test_the_file_written_object_by_object_is_the_one_reportlab_writes(monkeypatch):
    streamed = io.BytesIO()
    build(streamed)
    monkeypatch.setattr(pdf_pages, "save", lambda doc, canvas, out: doc.SaveToFile(out, canvas))
    monkeypatch.setattr(pdf_pages.Spool, "keep", lambda spool, page: None)
    whole = io.BytesIO()
    build(whole)
    assert streamed.getvalue().startswith(b"%PDF-")
    assert streamed.getvalue() == whole.getvalue()
