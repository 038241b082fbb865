"""CTCAE in Chinese: every SOC of the term list has its Chinese name (the term stays English)."""

from __future__ import annotations

from studyapp.safety import ctcae
from studyapp.safety.ctcae_zh import GRADE_WORDS, soc_names_zh


def test_every_ctcae_soc_has_a_chinese_name() -> None:
    socs = set(ctcae.load().socs())
    names = soc_names_zh()
    assert socs - set(names) == set()
    assert set(names) - socs == set()  # no stale row
    assert all(names.values())
    assert names["Blood and lymphatic system disorders"] == "血液及淋巴系统疾病"
    assert names["Investigations"] == "各类检查"


def test_every_ctcae_grade_has_its_words() -> None:
    assert set(GRADE_WORDS) == {1, 2, 3, 4, 5}
