"""Table cells as plain text broken into lines by the font's widths.

ReportLab lays out a ``Paragraph`` cell by parsing markup and breaking it into fragments: in a
long listing (a casebook's audit trail) that is most of the time spent. A table cell given as a
plain string with newlines is drawn line by line at the table's leading, so the lines are found
here once, by measuring words with the embedded font: break at spaces; a word wider than the
cell (a long code, Chinese text without spaces) breaks between characters.
"""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth


def _split_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than *width*, broken between characters (at least one per line)."""
    parts: list[str] = []
    line = ""
    for char in word:
        if line and stringWidth(line + char, font, size) > width:
            parts.append(line)
            line = char
        else:
            line += char
    parts.append(line)
    return parts


def _wrap_line(text: str, font: str, size: float, width: float) -> list[str]:
    if stringWidth(text, font, size) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        if stringWidth(word, font, size) <= width:
            line = word
        else:
            *full, line = _split_word(word, font, size, width)
            lines += full
    lines.append(line)
    return lines


def wrapped(text: str, font: str, size: float, width: float) -> str:
    """*text* with a newline wherever it must break to fit *width* points in *font* at
    *size*; its own newlines are kept."""
    return "\n".join(
        line for part in text.split("\n") for line in _wrap_line(part, font, size, width)
    )
