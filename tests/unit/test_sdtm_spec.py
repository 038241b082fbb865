"""SDTM dataset declarations fit SAS XPT v5 (names <= 8, labels <= 40, Char values <= 200
bytes) and carry the identifiers every domain needs (studyapp.exports.sdtm)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studyapp.exports.sdtm import writer
from studyapp.exports.sdtm.spec import NUM, Domain, Var, variables


def test_every_domain_fits_xpt_v5_and_starts_with_its_identifiers():
    codes = [d.code for d in writer.DOMAINS]
    assert codes == [
        "DM",
        "SV",
        "DS",
        "IE",
        "MH",
        "CM",
        "AE",
        "EC",
        "EX",
        "LB",
        "VS",
        "XB",
        "PE",
        "EG",
    ]
    for domain in writer.DOMAINS:
        assert domain.names[:3] == ["STUDYID", "DOMAIN", "USUBJID"]
        assert (domain.seq_name in domain.names) == domain.seq
        assert all(len(v.name) <= 8 and len(v.label) <= 40 for v in domain.variables)
        for day, dtc in domain.days.items():
            assert day.endswith("DY")
            assert dtc.endswith("DTC")
        if domain.epoch_from:
            assert "EPOCH" in domain.names


@pytest.mark.parametrize(
    ("name", "label"),
    [("TOOLONGNM", "x"), ("lower", "x"), ("AETERM", "x" * 41)],
)
def test_a_variable_that_does_not_fit_is_refused(name, label):
    with pytest.raises(ValueError, match="SDTM variable"):
        Var(name, label)


def test_a_study_day_of_an_undeclared_date_is_refused():
    with pytest.raises(ValueError, match="not declared"):
        Domain(
            "ZZ",
            "Test",
            variables("ZZ", ("ZZDY", "Day", NUM)),
            lambda ref: [],
            days={"ZZDY": "ZZDTC"},
        )


def test_char_values_are_cut_to_200_bytes_on_a_character_boundary():
    text = "血" * 100  # 300 bytes in UTF-8
    cut = writer.clip(text)
    assert len(cut.encode("utf-8")) <= 200
    assert cut == "血" * 66
    assert writer.clip("short") == "short"


def test_cells_are_the_same_for_both_files():
    assert writer.value(NUM, Decimal("25.6500")) == Decimal("25.6500")
    assert writer.value(NUM, None) is None
    assert writer.value("Char", None) == ""
    assert writer.value("Char", Decimal("25.6500")) == "25.65"
    assert writer.value("Char", True) == "Y"
