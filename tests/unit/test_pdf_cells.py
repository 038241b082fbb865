"""Table cells broken into lines by the font's widths (``reports.cells``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from studyapp.reports.cells import wrapped
from studyapp.reports.fonts import register

SIZE = 8


def width(text: str) -> float:
    return stringWidth(text, register(), SIZE)


def test_text_that_fits_stays_on_one_line():
    assert wrapped("Weight (kg)", register(), SIZE, 200) == "Weight (kg)"


def test_words_break_at_spaces_and_keep_their_order():
    text = "Infusion interrupted for a grade 2 infusion-related reaction, restarted at half rate"
    lines = wrapped(text, register(), SIZE, 80).split("\n")
    assert len(lines) > 2
    assert " ".join(lines) == text
    assert all(width(line) <= 80 for line in lines)


def test_a_word_wider_than_the_cell_breaks_between_characters():
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    lines = wrapped(digest, register(), SIZE, 60).split("\n")
    assert "".join(lines) == digest
    assert all(width(line) <= 60 for line in lines)


def test_chinese_text_without_spaces_breaks_to_fit():
    text = "受试者在第三次输注期间出现输注相关反应，暂停输注后症状缓解，以半速重新开始输注"
    lines = wrapped(text, register(), SIZE, 70).split("\n")
    assert len(lines) > 1
    assert "".join(lines) == text
    assert all(width(line) <= 70 for line in lines)


def test_the_text_own_line_breaks_are_kept():
    assert wrapped("first\nsecond", register(), SIZE, 200) == "first\nsecond"


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=80))
def test_nothing_is_lost_and_no_line_is_wider_than_the_cell_unless_one_character(text):
    lines = wrapped(text, register(), SIZE, 40).split("\n")
    assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert all(width(line) <= 40 or len(line) == 1 for line in lines)
