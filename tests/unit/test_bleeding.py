"""ITP-BAT SMOG domain grades and the WHO bleeding grade (DOMAIN.md section 5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.clinical.bleeding import SmogScore, check_who_grade, smog
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import BleedingItemDef, BleedingScale

SCALE = get_protocol().bleeding


@pytest.mark.parametrize(
    ("grades", "label"),
    [
        ({}, "S0M0O0"),  # nothing recorded: no bleeding
        ({"PETECHIAE": 0, "EPISTAXIS": 0, "GI": 0}, "S0M0O0"),
        ({"PETECHIAE": 2, "EPISTAXIS": 1}, "S2M1O0"),  # DOMAIN.md example
        ({"PETECHIAE": 1, "ECCHYMOSES": 2, "SC_HAEMATOMA": 1}, "S2M0O0"),  # highest item wins
        ({"GUM": 3, "SUBCONJ": 2, "BITES": 1}, "S0M3O0"),
        ({"HAEMATURIA": 2, "MENORRHAGIA": 3, "JOINT": 1}, "S0M0O3"),
        ({"INTRACRANIAL": 5}, "S0M0O5"),  # 5 = fatal
        ({"MINOR_WOUNDS": 2, "ORAL_BLISTERS": 3, "OCULAR": 4}, "S2M3O4"),
    ],
)
def test_smog(grades: dict[str, int], label: str) -> None:
    assert smog(grades, SCALE).label == label


def test_smog_fields() -> None:
    score = smog({"PETECHIAE": 2, "EPISTAXIS": 1, "LUNG": 3}, SCALE)
    assert score == SmogScore(skin=2, mucosa=1, organ=3)
    assert SmogScore(0, 0, 0).label == "S0M0O0"


@pytest.mark.parametrize(
    ("grades", "message"),
    [
        ({"PETECHIA": 1}, r"unknown bleeding item 'PETECHIA'; known: PETECHIAE"),
        ({"PETECHIAE": 3}, r"bleeding item PETECHIAE: grade must be an integer 0-2, got 3"),
        ({"SUBCONJ": 3}, r"SUBCONJ: grade must be an integer 0-2, got 3"),
        ({"EPISTAXIS": 4}, r"EPISTAXIS: grade must be an integer 0-3, got 4"),
        ({"GI": 6}, r"GI: grade must be an integer 0-5, got 6"),
        ({"GI": -1}, r"GI: grade must be an integer 0-5, got -1"),
        ({"GI": True}, r"GI: grade must be an integer 0-5, got True"),
        ({"GI": 1.0}, r"GI: grade must be an integer 0-5, got 1.0"),
        ({"GI": "1"}, r"GI: grade must be an integer 0-5, got '1'"),
        ({"GI": None}, r"GI: grade must be an integer 0-5, got None"),
    ],
)
def test_smog_rejects(grades: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        smog(grades, SCALE)  # type: ignore[arg-type]


def test_smog_reads_items_and_maxima_from_the_scale() -> None:
    scale = BleedingScale(
        ("0", "1", "2", "3", "4"),
        (
            BleedingItemDef("S", "BRUISE", "Bruise", 3),
            BleedingItemDef("M", "NOSE", "Nose", 1),
            BleedingItemDef("O", "GUT", "Gut", 4),
        ),
    )
    assert smog({"BRUISE": 3, "GUT": 4}, scale).label == "S3M0O4"
    with pytest.raises(ValueError, match="unknown bleeding item 'PETECHIAE'"):
        smog({"PETECHIAE": 1}, scale)
    with pytest.raises(ValueError, match="NOSE: grade must be an integer 0-1"):
        smog({"NOSE": 2}, scale)


@st.composite
def item_grades(draw: st.DrawFn) -> dict[str, int]:
    items = draw(st.lists(st.sampled_from(SCALE.items), unique=True))
    return {i.code: draw(st.integers(0, i.max_grade)) for i in items}


@given(item_grades())
def test_domain_grade_is_the_highest_item_grade(grades: dict[str, int]) -> None:
    score = smog(grades, SCALE)
    for domain, value in (("S", score.skin), ("M", score.mucosa), ("O", score.organ)):
        in_domain = [g for code, g in grades.items() if SCALE.item(code).domain == domain]
        assert value == max(in_domain, default=0)
        top = max(i.max_grade for i in SCALE.items if i.domain == domain)
        assert 0 <= value <= top


@pytest.mark.parametrize("grade", [0, 1, 2, 3, 4])
def test_check_who_grade_accepts_0_to_4(grade: int) -> None:
    assert check_who_grade(grade) == grade
    assert SCALE.who_grades[grade]  # every grade has its wording in the protocol


@pytest.mark.parametrize("grade", [-1, 5, True, False, 1.0, "2", None])
def test_check_who_grade_rejects(grade: object) -> None:
    with pytest.raises(ValueError, match=r"WHO bleeding grade must be an integer 0-4, got"):
        check_who_grade(grade)  # type: ignore[arg-type]
