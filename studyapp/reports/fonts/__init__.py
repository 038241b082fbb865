"""The embedded font of the study PDFs: WenQuanYi Micro Hei (TrueType outlines, Chinese and
Latin), shipped beside this module with its licence (see README.md here).

``register()`` makes it known to ReportLab once and answers its name; ReportLab embeds only
the glyphs a document uses, so a PDF stays small.
"""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_FILE = Path(__file__).with_name("wqy-microhei.ttc")
FONT = "WenQuanYiMicroHei"


@functools.cache
def register() -> str:
    """Register the font with ReportLab (once per process) and answer its name."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT
