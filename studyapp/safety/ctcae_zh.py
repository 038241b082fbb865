"""CTCAE in the reader's language: the term keeps its English (the coding standard), the
system organ class and the grade's general meaning are shown in Chinese beside it.

The SOC names are data (``ctcae_soc_zh.csv``, the Chinese MedDRA names); the grade words are
CTCAE v5.0's general grade descriptions (grade 1 mild ... 5 death related to the AE), through
the message catalogue.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from studyapp.localized import language
from studyapp.protocol.labels import pick

SOC_PATH = Path(__file__).with_name("ctcae_soc_zh.csv")

#: CTCAE v5.0 general description of each grade ("Grade refers to the severity of the AE").
GRADE_WORDS = {
    1: _l("mild"),
    2: _l("moderate"),
    3: _l("severe or medically significant"),
    4: _l("life-threatening"),
    5: _l("death related to the AE"),
}


@functools.cache
def soc_names_zh() -> dict[str, str]:
    """English SOC -> its Chinese name, read once from ``ctcae_soc_zh.csv``."""
    with SOC_PATH.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {row["soc"]: row["soc_zh"] for row in rows}


def soc_label(soc: str | None) -> str:
    """The SOC for the reader: "血液及淋巴系统疾病 (Blood and lymphatic system disorders)" in
    Chinese, the English name alone otherwise (or when no Chinese name is known)."""
    if not soc:
        return ""
    chinese = soc_names_zh().get(soc, "")
    return pick(soc, f"{chinese} ({soc})" if chinese else "", language())


def grade_labels() -> dict[int, str]:
    """Every CTCAE grade with its words, for the page's script (grade -> label)."""
    return {grade: grade_label(grade) for grade in GRADE_WORDS}


def grade_label(grade: int | None) -> str:
    """ "Grade 3 (severe or medically significant)", in the reader's language."""
    if grade is None:
        return ""
    words = GRADE_WORDS.get(grade)
    if words is None:
        return _("Grade %(g)d", g=grade)
    return _("Grade %(g)d (%(words)s)", g=grade, words=words)
