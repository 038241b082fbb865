"""Every label of the protocol file has its Chinese text, and the label rule picks by language."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from studyapp.protocol.labels import missing_chinese, pick, units_used
from studyapp.protocol.loader import get_protocol, protocol_from_dict
from tests.unit.test_protocol import raw


def test_every_protocol_label_and_unit_has_its_chinese_text() -> None:
    """Visits, criteria, labs, vital signs, bleeding items and WHO grades, premedications,
    the site and every unit: a label added without its ``_zh`` twin fails here."""
    assert missing_chinese(get_protocol()) == []


def test_the_labels_read_are_the_chinese_ones() -> None:
    p = get_protocol()
    assert p.visit("SCR").name_zh == "筛选期"
    assert p.lab("PLAT").name_zh == "血小板计数"
    assert p.premedication("METHYLPRED").name_zh == "甲泼尼龙"
    assert p.premedication("PARACETAMOL").name_zh == "对乙酰氨基酚"
    assert p.bleeding.item("EPISTAXIS").name_zh == "鼻出血"
    assert p.bleeding.who_grades_zh[0] == "无出血"
    assert p.unit_zh("10^9/L") == "×10⁹/L"
    assert {"10^9/L", "umol/L", "beats/min", "mg", "years"} <= set(units_used(p))


def _without(path: tuple[Any, ...]) -> list[str]:
    data = copy.deepcopy(raw())
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return missing_chinese(protocol_from_dict(data))


@pytest.mark.parametrize(
    ("path", "reported"),
    [
        (("visits", 0, "name_zh"), "visits[0].name_zh: missing (English: 'Screening')"),
        (("eligibility", 0, "text_zh"), "eligibility[0].text_zh: missing"),
        (("labs", 0, "name_zh"), "labs[0].name_zh: missing (English: 'Platelets')"),
        (("vital_signs", 5, "name_zh"), "vital_signs[5].name_zh: missing"),
        (("bleeding", "items", 4, "name_zh"), "bleeding.items[4].name_zh: missing"),
        (("bleeding", "who_grades_zh"), "bleeding.who_grades_zh: need one Chinese text"),
        (("premedications", 1, "name_zh"), "premedications[1].name_zh: missing"),
        (("site", "name_zh"), "site.name_zh: missing"),
        (("units_zh", "beats/min"), "units_zh: 'beats/min' missing"),
        (("units_zh", "years"), "units_zh: 'years' missing"),
    ],
)
def test_a_missing_chinese_text_is_reported_by_key_path(
    path: tuple[Any, ...], reported: str
) -> None:
    found = _without(path)
    assert len(found) == 1
    assert found[0].startswith(reported)


def test_a_label_kind_without_a_chinese_field_is_reported() -> None:
    """A new kind of entry with a ``name`` but no ``name_zh`` in its model fails too."""
    from dataclasses import dataclass

    from studyapp.protocol.labels import _missing_labels

    @dataclass(frozen=True)
    class Form:
        name: str

    assert _missing_labels("forms[0]", Form("Physical examination")) == [
        "forms[0].name: the model has no name_zh"
    ]


def test_an_empty_chinese_who_grade_is_reported() -> None:
    data = copy.deepcopy(raw())
    data["bleeding"]["who_grades_zh"][2] = ""
    assert missing_chinese(protocol_from_dict(data)) == [
        "bleeding.who_grades_zh: need one Chinese text per entry of who_grades"
    ]


def test_a_file_without_units_zh_loads_and_reports_every_unit() -> None:
    data = copy.deepcopy(raw())
    del data["units_zh"]
    protocol = protocol_from_dict(data)
    assert protocol.unit_zh("kg") == ""
    assert len(missing_chinese(protocol)) == len(units_used(protocol))


def test_who_grades_zh_must_match_the_grades() -> None:
    data = copy.deepcopy(raw())
    data["bleeding"]["who_grades_zh"] = ["无出血"]
    with pytest.raises(ValueError, match="who_grades_zh: need one per WHO grade"):
        protocol_from_dict(data)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh_Hans", "筛选期"), ("zh", "筛选期"), ("en", "Screening"), ("", "Screening")],
)
def test_pick_by_language(language: str, expected: str) -> None:
    assert pick("Screening", "筛选期", language) == expected


def test_pick_falls_back_to_english_without_chinese() -> None:
    assert pick("Screening", "", "zh_Hans") == "Screening"


def test_units_zh_values_must_be_text() -> None:
    data = copy.deepcopy(raw())
    data["units_zh"]["kg"] = 1
    with pytest.raises(ValueError, match=r"units_zh\.kg: expected a string"):
        protocol_from_dict(data)
