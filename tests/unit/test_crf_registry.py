"""The CRF registry: every form code of the protocol has exactly one entry."""

from __future__ import annotations

import pytest

from studyapp.crf import registry
from studyapp.protocol.loader import get_protocol

PROTOCOL_CODES = sorted({code for visit in get_protocol().visits for code in visit.forms})


@pytest.mark.parametrize("code", PROTOCOL_CODES)
def test_every_form_code_of_the_protocol_resolves_to_one_entry(code):
    entry = registry.form(code)
    assert entry.code == code
    assert registry.entries((code,)) == [entry.page]
    assert registry.page_of(code) is entry.page


def test_no_form_code_is_registered_twice():
    table = registry.by_code((registry.form("VS"), registry.form("CBC")))
    assert list(table) == ["VS", "CBC"]
    with pytest.raises(ValueError, match="CBC is registered twice"):
        registry.by_code((registry.form("CBC"), registry.form("VS"), registry.form("CBC")))


def test_the_registry_holds_no_code_the_protocol_lacks():
    # SCRVAL is a page key (screening values), never listed as a form code itself
    assert set(registry.FORMS) == set(PROTOCOL_CODES)


def test_codes_recorded_on_one_page_share_it_and_the_page_key_is_one_of_them():
    pages: dict[str, set[str]] = {}
    for code, entry in registry.FORMS.items():
        pages.setdefault(entry.page.key, set()).add(code)
    assert pages["VS"] == {"VS", "WEIGHT", "HEIGHT"}
    assert pages["EC"] == {"EC", "PREMED"}
    assert pages["AE"] == {"AE", "IRR"}
    assert pages["SCRVAL"] == {"DM", "ECOG", "PREG"}
    for key, codes in pages.items():
        assert len({registry.FORMS[c].page for c in codes}) == 1, key


def test_a_visit_lists_each_page_once_in_the_protocols_order():
    screening = get_protocol().visits[0].forms
    keys = [page.key for page in registry.entries(screening)]
    assert len(keys) == len(set(keys))
    assert keys.index("SCRVAL") < keys.index("VS") < keys.index("CBC")
    assert keys.count("VS") == 1  # VS, HEIGHT and WEIGHT are one page


def test_the_next_page_skips_pages_not_collected_and_subject_pages():
    forms = ("VS", "DM", "CBC", "AE", "BLEED")
    assert registry.next_entry(forms, "VS") == registry.page_of("CBC")
    assert registry.next_entry(forms, "CBC") == registry.page_of("BLEED")
    assert registry.next_entry(forms, "BLEED") is None
    assert registry.next_entry(forms, "AE") is None


def test_collected_forms_name_their_models_domain_and_sdv_fields():
    for code in ("VS", "WEIGHT", "CBC", "CHEM", "IG", "BLEED", "EC", "PREMED", "CM", "AE", "IRR"):
        entry = registry.form(code)
        assert entry.models, code
        assert entry.sdv_fields, code
        assert entry.domain, code
    for code in ("PE", "ECG", "VIROLOGY", "BLOODBANK", "APLTAB"):
        entry = registry.form(code)
        assert entry.endpoint == "visits.assessment", code
        assert entry.models, code
        assert entry.sdv_fields, code
        assert entry.domain, code
        assert entry.field_list().model is entry.model_classes()[0], code


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("VS", "VS"),
        ("WEIGHT", "VS"),
        ("PREMED", "EC"),
        ("IRR", "AE"),
        ("DM", "SCRVAL"),
        ("SCRVAL", "SCRVAL"),
        ("CHEM", "CHEM"),
        ("NOPE", None),
        ("", None),
    ],
)
def test_a_form_code_or_page_key_names_its_page(code, key):
    assert registry.page_key(code) == key


def test_a_stored_record_names_its_page_by_its_model_or_form_column():
    class LabPanel:
        form = "IG"

    class VitalSigns:
        pass

    LabPanel.__module__ = VitalSigns.__module__ = "studyapp.visits.models"
    assert registry.page_key_of(LabPanel()) == "IG"
    assert registry.page_key_of(VitalSigns()) == "VS"
    assert registry.page_key_of(object()) is None


def test_each_simple_form_field_is_a_column_and_each_number_has_its_unit_column():
    for entry in registry.FORMS.values():
        form = entry.field_list()
        if form is None:
            continue
        columns = set(form.model.__table__.columns.keys())
        assert form.date_field in columns, entry.code
        for field in form.fields:
            assert field.name in columns, (entry.code, field.name)
            if field.measure is not None:
                assert f"{field.name}_unit" in columns, (entry.code, field.name)
                assert field.measure(get_protocol()).unit, (entry.code, field.name)
