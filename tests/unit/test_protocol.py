"""The protocol file loads, holds the study, and a bad file is rejected naming the key."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from studyapp.protocol.loader import DEFAULT_PATH, get_protocol, load_protocol, protocol_from_dict
from studyapp.protocol.model import (
    BLEEDING_DOMAINS,
    OPERATORS,
    BleedingItemDef,
    BleedingScale,
    EligibilityCriterion,
    NormalRange,
    RangeLimits,
    VisitDef,
    VitalSignDef,
)

D = Decimal


def raw() -> dict[str, Any]:
    with DEFAULT_PATH.open("rb") as fh:
        return tomllib.load(fh)


def test_packaged_protocol_identity() -> None:
    p = get_protocol()
    assert p is get_protocol()  # cached
    assert (p.id, p.version) == ("NCT05562882", "1.0")
    assert "daratumumab" in p.title.lower()
    assert p.site.screening_prefix == "S01-"
    assert [c.version for c in p.consent_forms] == ["1.0", "2.0"]


def test_packaged_protocol_values_from_domain() -> None:
    p = get_protocol()
    assert p.dosing.mg_per_kg == Decimal(16)
    assert p.dosing.dose_days == (1, 8, 15, 22, 29, 36, 43, 50)
    assert [v.day for v in p.visits if v.day] == [
        -1,
        1,
        8,
        15,
        22,
        29,
        36,
        43,
        50,
        57,
        71,
        85,
        99,
        113,
        141,
        169,
    ]
    assert p.visit("FU141").window_before == 7
    assert p.visit("EOT").window_after == 3
    assert p.visit("ET").day is None
    assert (p.run_in.subjects, p.run_in.dlt_window_last_day, p.run_in.halt_if_dlt_at_least) == (
        3,
        28,
        2,
    )
    assert p.response.rescue_exclusion_days == 28
    assert p.response.cr_threshold == 100
    assert p.safety.sae_sponsor_hours == 24
    assert p.lab("PLAT").si_unit == "10^9/L"
    assert "/uL" in p.lab("PLAT").accepted_units
    assert p.lab("BILI").accepted_units == ("mg/dL",)


def test_eligibility_machine_and_investigator() -> None:
    p = get_protocol()
    by_code = {c.code: c for c in p.eligibility}
    assert by_code["IN03"].value == Decimal(30)
    assert by_code["IN03"].window == (-2, 1)
    assert by_code["IN10"].value == "POSITIVE"
    assert str(by_code["IN10"].effective_to) == "2023-02-15"
    assert by_code["EX01"].value is True
    assert by_code["IN06"].check == "investigator"
    assert by_code["IN08A"].value == "ULN"  # compared with the lab's upper limit
    assert by_code["IN05"].value == Decimal(1)


def test_vital_signs_from_domain() -> None:
    p = get_protocol()
    assert [v.code for v in p.vital_signs] == [
        "WEIGHT",
        "HEIGHT",
        "SYSBP",
        "DIABP",
        "PULSE",
        "TEMP",
    ]
    weight = p.vital("WEIGHT")
    assert (weight.unit, weight.decimals) == ("kg", 1)
    assert weight.limits == RangeLimits(D(20), D(300), D(35), D(150))
    assert p.vital("HEIGHT").limits == RangeLimits(D(100), D(250), D(140), D(200))
    assert p.vital("SYSBP").limits == RangeLimits(D(50), D(300), D(80), D(200))
    assert p.vital("DIABP").limits == RangeLimits(D(20), D(200), D(40), D(120))
    assert p.vital("PULSE").unit == "beats/min"
    assert p.vital("PULSE").limits == RangeLimits(D(20), D(250), D(40), D(140))
    temp = p.vital("TEMP")
    assert (temp.unit, temp.decimals) == ("C", 1)
    assert temp.limits == RangeLimits(D(30), D(45), D(35), D(40))
    assert [v.decimals for v in p.vital_signs] == [1, 1, 0, 0, 0, 1]


def test_lab_limits_and_decimals() -> None:
    p = get_protocol()
    plat = p.lab("PLAT")
    assert plat.limits == RangeLimits(D(0), D(2000), D(1), D(1000))  # hard_low defaults to 0
    assert plat.decimals == 0
    assert p.lab("HGB").limits == RangeLimits(D(10), D(250), D(40), D(200))
    assert p.lab("WBC").limits.plausible_low == D("0.5")
    assert p.lab("BILI").limits == RangeLimits(D(0), D(1000), D(1), D(300))
    assert p.lab("CREAT").limits.plausible_high == D(700)
    assert p.lab("IGA").limits.plausible_low == D("0.05")
    decimals = {t.testcd: t.decimals for t in p.labs}
    assert decimals == {
        "PLAT": 0,
        "WBC": 2,
        "NEUT": 2,
        "LYM": 2,
        "HGB": 0,
        "ALT": 0,
        "AST": 0,
        "BILI": 1,
        "CREAT": 0,
        "ALB": 1,
        "IGG": 2,
        "IGA": 2,
        "IGM": 2,
    }
    for lab in p.labs:  # every normal range lies inside the plausible limits too
        for r in lab.ranges:
            assert lab.limits.plausible_low <= r.low <= r.high <= lab.limits.plausible_high


def test_bleeding_scale_from_domain() -> None:
    scale = get_protocol().bleeding
    assert len(scale.who_grades) == 5
    assert scale.who_grades[0] == "No bleeding"
    assert "transfusion" in scale.who_grades[3]
    by_domain = {d: [i.code for i in scale.items if i.domain == d] for d in BLEEDING_DOMAINS}
    assert by_domain == {
        "S": ["PETECHIAE", "ECCHYMOSES", "SC_HAEMATOMA", "MINOR_WOUNDS"],
        "M": ["EPISTAXIS", "GUM", "ORAL_BLISTERS", "BITES", "SUBCONJ"],
        "O": [
            "GI",
            "LUNG",
            "HAEMATURIA",
            "MENORRHAGIA",
            "MUSCLE",
            "JOINT",
            "OCULAR",
            "INTRACRANIAL",
        ],
    }
    assert {i.max_grade for i in scale.items if i.domain == "S"} == {2}
    assert scale.item("EPISTAXIS").max_grade == 3
    assert scale.item("SUBCONJ").max_grade == 2
    assert {i.max_grade for i in scale.items if i.domain == "O"} == {5}  # 5 = fatal
    with pytest.raises(ValueError, match=r"unknown bleeding item 'X'; known: PETECHIAE"):
        scale.item("X")


def test_infusion_premedication_and_rescue_from_domain() -> None:
    p = get_protocol()
    i = p.infusion
    assert (i.first_volume_ml, i.later_volume_ml) == (D(1000), D(500))
    assert (i.first_start_rate_ml_h, i.later_start_rate_ml_h) == (D(50), D(100))
    assert (i.rate_increment_ml_h, i.increment_minutes, i.max_rate_ml_h) == (D(50), 60, D(200))
    assert [m.code for m in p.premedications] == ["METHYLPRED", "PARACETAMOL", "ANTIHISTAMINE"]
    methyl = p.premedication("METHYLPRED")
    assert (methyl.route, methyl.dose_low, methyl.dose_high, methyl.unit) == (
        "INTRAVENOUS",
        D(60),
        D(100),
        "mg",
    )
    assert (p.premedication("PARACETAMOL").dose_low, p.premedication("PARACETAMOL").route) == (
        D(650),
        "ORAL",
    )
    assert p.premedication("ANTIHISTAMINE").dose_high == D(50)
    assert {(m.hours_before_low, m.hours_before_high) for m in p.premedications} == {(1, 3)}
    assert p.rescue_types == (
        "IVIG",
        "CORTICOSTEROID",
        "PLATELET_TRANSFUSION",
        "TPO_RA_INCREASE",
        "OTHER",
    )


def test_site_numbers_and_target() -> None:
    p = get_protocol()
    assert (p.site.subject_prefix, p.site.subject_number_width) == ("ITP-", 3)
    assert p.site.screening_window_days == 28
    assert p.study.target_enrolment == 20


def test_load_from_path(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_bytes(DEFAULT_PATH.read_bytes())
    assert load_protocol(file).version == "1.0"
    assert load_protocol(str(file)).id == "NCT05562882"


def test_unknown_lookup_names_known() -> None:
    p = get_protocol()
    with pytest.raises(ValueError, match=r"unknown visit code 'X'.*SCR"):
        p.visit("X")
    with pytest.raises(ValueError, match=r"unknown lab test 'X'.*PLAT"):
        p.lab("X")
    with pytest.raises(ValueError, match=r"unknown vital sign 'X'; known: WEIGHT, HEIGHT"):
        p.vital("X")
    with pytest.raises(ValueError, match=r"unknown premedication 'X'; known: METHYLPRED"):
        p.premedication("X")
    with pytest.raises(ValueError, match=r"unknown ECG measurement 'X'; known: HR, PRAG"):
        p.ecg_measure("X")


def test_the_early_termination_visit_is_the_one_without_a_day_that_is_not_unscheduled() -> None:
    p = get_protocol()
    found = p.early_termination_visit
    assert found is not None
    assert (str(found.visitnum), found.day, found.unscheduled) == ("99", None, False)
    data = raw()
    data["visits"] = [v for v in data["visits"] if str(v.get("visitnum")) != "99"]
    assert protocol_from_dict(data).early_termination_visit is None


def test_invalid_toml(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("[study\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_protocol(file)


def test_error_is_prefixed_with_file_name(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("")
    with pytest.raises(ValueError, match=r"^bad.toml: study: missing"):
        load_protocol(file)


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()

BAD_FILES = [
    (("study", "version"), 1, r"study.version: expected a string, got 1"),
    (("study", "version"), _DELETE, r"study.version: missing; expected a string"),
    (("study", "versoin"), "1", r"study: unknown key\(s\) versoin"),
    (("typo",), 1, r"top level: unknown key\(s\) typo"),
    (("study",), [], r"study: expected a table"),
    (("site", "screening_number_width"), True, r"site.screening_number_width: expected an integer"),
    (
        ("visits", 2, "window_before"),
        -1,
        r"visits\[2\]: visit D8: window_before/window_after must be >= 0",
    ),
    (("visits", 2, "day"), 0, r"visits\[2\]: visit D8: day 0 does not exist"),
    (("visits", 2, "day"), 30, r"visits out of order: D15 \(day 15.*after D8 \(day 30"),
    (("visits", 2, "visitnum"), "0.5", r"visits out of order"),
    (("visits", 2, "visitnum"), "1", r"duplicate visit visitnum '1'"),
    (("visits", 2, "code"), "D1", r"duplicate visit code 'D1'"),
    (
        ("visits", 2, "window_after"),
        6,
        r"visit windows overlap: D8 ends on day 14 but D15 starts on day 14",
    ),
    (
        ("visits", 0, "window_after"),
        1,
        r"visit windows overlap: SCR ends on day 1 but D1 starts on day 1",
    ),
    (("visits", 2, "forms"), ["CBC", 1], r"visits\[2\].forms: expected a list of strings"),
    (("visits", 2, "visitnum"), "abc", r"visits\[2\].visitnum: expected a number, got 'abc'"),
    (("visits", 2, "visitnum"), "nan", r"visits\[2\].visitnum: expected a finite number"),
    (("visits", 2, "visitnum"), float("inf"), r"visits\[2\].visitnum: expected a finite number"),
    (("visits", 2, "visitnum"), True, r"visits\[2\].visitnum: expected a number, got True"),
    (
        ("visits", 16, "window_after"),
        2,
        r"visit ET: a visit without a planned day cannot have a window",
    ),
    (("visits",), [], r"visits: at least one visit"),
    (("dosing", "mg_per_kg"), "0", r"^dosing.mg_per_kg must be > 0"),
    (("dosing", "tolerance_pct"), -1, r"dosing.tolerance_pct must be >= 0"),
    (("dosing", "number_of_doses"), 0, r"dosing.number_of_doses must be >= 1"),
    (("dosing", "interval_days"), 0, r"dosing.interval_days must be >= 1"),
    (("dosing", "first_dose_day"), 0, r"dosing.first_dose_day must be >= 1"),
    (("dosing", "interval_days"), 8, r"dose days \[9, 17.*have no visit"),
    (("dosing", "split_first_dose_allowed"), "yes", r"expected true or false"),
    (("consent_forms",), [], r"consent_forms: at least one version"),
    (("consent_forms", 1, "version"), "1.0", r"duplicate consent_forms version '1.0'"),
    (
        ("consent_forms", 0, "effective_date"),
        "2022-10-15",
        r"consent_forms\[0\].effective_date: expected a date",
    ),
    (
        ("eligibility", 0, "kind"),
        "maybe",
        r"eligibility\[0\]: eligibility IN01: kind must be inclusion or exclusion",
    ),
    (("eligibility", 0, "check"), "auto", r"check must be machine or investigator"),
    (("eligibility", 0, "operator"), "=>", r"needs field, operator \(one of <, <="),
    (
        ("eligibility", 0, "value"),
        "eighteen",
        r"eligibility\[0\].value: expected a number, got 'eighteen'",
    ),
    (("eligibility", 0, "value"), [18], r"eligibility\[0\].value: expected a number, got \[18\]"),
    (("eligibility", 0, "effective_from"), __import__("datetime").date(2030, 1, 1), None),
    (
        ("eligibility", 2, "window"),
        [1, -2],
        r"eligibility\[2\].window: expected \[first_day, last_day\]",
    ),
    (("eligibility", 2, "window"), [0, 1], r"window: expected"),
    (("eligibility", 2, "window"), [1], r"window: expected"),
    (("eligibility", 2, "window"), [True, 2], r"window: expected"),
    (("eligibility", 1, "code"), "IN01", r"duplicate eligibility code 'IN01'"),
    (
        ("labs", 0, "si_unit"),
        "mmol/L",
        r"labs\[0\]: unit 'mmol/L' of PLAT has no conversion; known: 10\^9/L",
    ),
    (("labs", 0, "testcd"), "XYZ", r"labs\[0\]: unknown test code 'XYZ'"),
    (("labs", 1, "testcd"), "PLAT", r"duplicate labs testcd 'PLAT'"),
    (("labs", 0, "ranges", 0, "low"), "500", r"lab PLAT: normal range low 500 > high 400"),
    (("labs", 0, "ranges", 0, "sex"), "X", r"range sex must be M, F or ANY"),
    (("labs", 0, "ranges", 0, "extra"), 1, r"labs\[0\].ranges\[0\]: unknown key\(s\) extra"),
    (("run_in", "subjects"), 0, r"run_in.subjects must be >= 1"),
    (("run_in", "dlt_window_first_day"), 30, r"dlt_window_first_day must be >= 1 and <="),
    (("run_in", "open_if_dlt_at_most"), 2, r"open thresholds must be below"),
    (("run_in", "signoff_roles"), [], r"signoff_roles must name at least one role"),
    (("dlt", "hys_law"), 1, r"dlt.hys_law: expected true or false"),
    (("response", "r_threshold"), "100", r"need 0 < r_threshold < cr_threshold"),
    (("response", "r_baseline_multiple"), 0, r"r_baseline_multiple must be > 0"),
    (("response", "confirmation_days"), 0, r"confirmation_days must be >= 1"),
    (("response", "loss_confirmation_days"), 0, r"loss_confirmation_days must be >= 1"),
    (("response", "rescue_exclusion_days"), -1, r"rescue_exclusion_days must be >= 0"),
    (("response", "bleeding_min_who_grade"), 5, r"bleeding_min_who_grade must be 1-4"),
    (("response", "bleeding_min_who_grade"), 0, r"bleeding_min_who_grade must be 1-4"),
    (("response", "durable_k"), 7, r"need 1 <= durable_k <= durable_n"),
    (("response", "durable_after_visit"), "UNS", r"durable_after_visit 'UNS' is not a planned"),
    (("safety", "platelet_worsening_below"), "0", r"platelet_worsening_below must be > 0"),
    (("safety", "platelet_worsening_baseline_fraction"), "1", r"fraction must be between 0 and 1"),
    (("dlt", "hys_law_bilirubin_uln"), "0", r"Hy's law ULN multiples must be > 0"),
    (("dlt", "hys_law_bilirubin_test"), "NOPE", r"Hy's law tests \['NOPE'\] are not labs"),
    (("safety", "ae_task_min_grade"), 0, r"ae_task_min_grade must be 1-5"),
    (("safety", "sae_sponsor_hours"), 0, r"safety.sae_sponsor_hours must be >= 1"),
    # lab edit-check limits
    (
        ("labs", 0, "plausible_high"),
        "3000",
        r"labs\[0\]: limits: need hard_low <= plausible_low <= plausible_high <= hard_high, "
        r"got 0 / 1 / 3000 / 2000",
    ),
    (("labs", 4, "hard_low"), "50", r"labs\[4\]: limits: need hard_low <= plausible_low"),
    (("labs", 0, "hard_low"), "-1", r"labs\[0\]: lab PLAT: hard_low must be >= 0"),
    (("labs", 0, "hard_low"), "low", r"labs\[0\].hard_low: expected a number, got 'low'"),
    (("labs", 0, "hard_high"), _DELETE, r"labs\[0\].hard_high: missing; expected a number"),
    (
        ("labs", 0, "ranges", 0, "high"),
        "2500",
        r"lab PLAT: normal range 150-2500 is outside the hard limits 0-2000",
    ),
    (("labs", 0, "decimals"), _DELETE, r"labs\[0\].decimals: missing; expected an integer"),
    (("labs", 0, "decimals"), -1, r"lab PLAT: decimals must be >= 0"),
    (("labs", 0, "decimals"), "0", r"labs\[0\].decimals: expected an integer"),
    # vital signs
    (
        ("vital_signs", 0, "plausible_low"),
        "10",
        r"vital_signs\[0\]: limits: need hard_low <= plausible_low.*got 20 / 10 / 150 / 300",
    ),
    (("vital_signs", 0, "hard_high"), "100", r"vital_signs\[0\]: limits: need"),
    (("vital_signs", 0, "hard_low"), _DELETE, r"vital_signs\[0\].hard_low: missing"),
    (("vital_signs", 0, "decimals"), -1, r"vital sign WEIGHT: decimals must be >= 0"),
    (("vital_signs", 0, "decimals"), 1.5, r"vital_signs\[0\].decimals: expected an integer"),
    (("vital_signs", 0, "unit"), _DELETE, r"vital_signs\[0\].unit: missing; expected a string"),
    (("vital_signs", 0, "extra"), 1, r"vital_signs\[0\]: unknown key\(s\) extra"),
    (("vital_signs", 1, "code"), "WEIGHT", r"duplicate vital_signs code 'WEIGHT'"),
    (("vital_signs",), _DELETE, r"vital_signs: missing; expected an array of tables"),
    # bleeding
    (("bleeding", "who_grades"), ["none"], r"bleeding.who_grades: need 5 descriptions.*got 1"),
    (("bleeding", "who_grades"), [0, 1, 2, 3, 4], r"bleeding.who_grades: expected a list of"),
    (("bleeding", "items"), [], r"bleeding.items: at least one item is needed"),
    (("bleeding", "items", 0), "PETECHIAE", r"bleeding.items\[0\]: expected a table, got str"),
    (
        ("bleeding", "items"),
        [{"domain": "O", "code": "GI", "name": "GI", "max_grade": 5}],
        r"bleeding.items: no item for domain\(s\) S, M",
    ),
    (
        ("bleeding", "items", 0, "domain"),
        "SKIN",
        r"bleeding.items\[0\]: bleeding item PETECHIAE: domain must be one of S, M, O",
    ),
    (("bleeding", "items", 0, "max_grade"), 6, r"PETECHIAE: max_grade must be 1-5, got 6"),
    (("bleeding", "items", 0, "max_grade"), 0, r"PETECHIAE: max_grade must be 1-5, got 0"),
    (("bleeding", "items", 0, "max_grade"), "2", r"bleeding.items\[0\].max_grade: expected"),
    (("bleeding", "items", 1, "code"), "PETECHIAE", r"duplicate bleeding item code 'PETECHIAE'"),
    (("bleeding", "items", 1, "grade"), 2, r"bleeding.items\[1\]: unknown key\(s\) grade"),
    (("bleeding", "scale"), "WHO", r"bleeding: unknown key\(s\) scale"),
    (("bleeding",), _DELETE, r"bleeding: missing; expected a table"),
    # infusion
    (("infusion", "first_volume_ml"), "0", r"infusion.first_volume_ml must be > 0"),
    (("infusion", "rate_increment_ml_h"), "-50", r"infusion.rate_increment_ml_h must be > 0"),
    (("infusion", "increment_minutes"), 0, r"infusion.increment_minutes must be >= 1"),
    (("infusion", "increment_minutes"), "60", r"infusion.increment_minutes: expected an integer"),
    (("infusion", "later_start_rate_ml_h"), "250", r"start rates must not exceed max_rate_ml_h"),
    (("infusion", "max_rate_ml_h"), _DELETE, r"infusion.max_rate_ml_h: missing"),
    (("infusion", "max_rate"), "200", r"infusion: unknown key\(s\) max_rate"),
    # premedications
    (
        ("premedications", 0, "dose_low"),
        "150",
        r"premedications\[0\]: premedication METHYLPRED: need 0 < dose_low <= dose_high, "
        r"got 150 / 100",
    ),
    (("premedications", 0, "dose_low"), "0", r"need 0 < dose_low <= dose_high"),
    (("premedications", 0, "hours_before_low"), 4, r"need 0 <= hours_before_low <= hours_bef"),
    (("premedications", 0, "hours_before_low"), -1, r"need 0 <= hours_before_low"),
    (("premedications", 0, "hours_before_high"), _DELETE, r"hours_before_high: missing"),
    (("premedications", 0, "dose"), "100", r"premedications\[0\]: unknown key\(s\) dose"),
    (("premedications", 1, "code"), "METHYLPRED", r"duplicate premedications code 'METHYLPRED'"),
    # medications
    (("medications", "rescue_types"), [], r"medications.rescue_types: at least one type"),
    (
        ("medications", "rescue_types"),
        ["IVIG", "IVIG"],
        r"duplicate medications.rescue_types entry 'IVIG'",
    ),
    (("medications", "rescue_types"), "IVIG", r"medications.rescue_types: expected a list"),
    (("medications", "premedication"), [], r"medications: unknown key\(s\) premedication"),
    (("medications",), _DELETE, r"medications: missing; expected a table"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_FILES)
def test_bad_file_names_key_and_problem(
    path: tuple[Any, ...], value: Any, message: str | None
) -> None:
    data = raw()
    _set(data, path, value)
    if message is None:  # effective_from after effective_to is only checked when both are set
        data["eligibility"][0]["effective_to"] = __import__("datetime").date(2029, 1, 1)
        message = r"effective_from is after effective_to"
    with pytest.raises(ValueError, match=message):
        protocol_from_dict(data)


def test_limits_may_touch() -> None:
    data = raw()
    data["vital_signs"][5]["plausible_high"] = "35"  # TEMP: plausible_low == plausible_high
    data["vital_signs"][5]["hard_high"] = "35"  # and == hard_high
    data["labs"][0]["hard_low"] = "1"  # PLAT: hard_low == plausible_low
    p = protocol_from_dict(data)
    assert p.vital("TEMP").limits == RangeLimits(D(30), D(35), D(35), D(35))
    assert p.lab("PLAT").limits.hard_low == D(1)


def test_raw_file_is_not_mutated_between_tests() -> None:
    assert protocol_from_dict(copy.deepcopy(raw())) == get_protocol()


def test_model_invariants_hold_for_hand_built_objects() -> None:
    with pytest.raises(ValueError, match="day 0"):
        VisitDef("X", Decimal(1), "x", 0, 0, 0, ())
    with pytest.raises(ValueError, match="low 2 > high 1"):
        replace(get_protocol().lab("PLAT"), ranges=(NormalRange("ANY", Decimal(2), Decimal(1)),))
    ok = EligibilityCriterion("C", "inclusion", "t", "machine", "DM.AGE", ">=", Decimal(18))
    assert ok.operator in OPERATORS
    with pytest.raises(ValueError, match=r"need hard_low <= plausible_low"):
        RangeLimits(D(0), D(10), D(5), D(4))
    assert RangeLimits(D(5), D(5), D(5), D(5)).hard_high == D(5)  # a single point is allowed
    with pytest.raises(ValueError, match="decimals must be >= 0"):
        VitalSignDef("X", "x", "kg", RangeLimits(D(0), D(1), D(0), D(1)), -1)
    with pytest.raises(ValueError, match="max_grade must be 1-5"):
        BleedingItemDef("O", "X", "x", 6)
    item = BleedingItemDef("S", "X", "x", 2)
    with pytest.raises(ValueError, match="need 5 descriptions"):
        BleedingScale(("a",) * 4, (item,))


def test_equality_criterion_with_numeric_value_is_decimal() -> None:
    data = raw()
    data["eligibility"][9]["value"] = 1.5  # EX01 uses "=="
    criterion = protocol_from_dict(data).eligibility[9]
    assert criterion.value == Decimal("1.5")


def test_normal_range_by_sex_and_date() -> None:
    from datetime import date

    from studyapp.protocol.model import LabTestDef, NormalRange

    limits = RangeLimits(D(0), D(250), D(40), D(200))
    lab = LabTestDef(
        "HGB",
        "Hemoglobin",
        "CBC",
        "g/L",
        (),
        (
            NormalRange("M", Decimal(130), Decimal(175)),
            NormalRange("F", Decimal(115), Decimal(150)),
            NormalRange("F", Decimal(120), Decimal(155), date(2026, 1, 1)),
        ),
        True,
        limits,
        0,
    )
    assert lab.range_for("M", date(2026, 5, 1)).low == Decimal(130)
    assert lab.range_for("F", date(2025, 5, 1)).low == Decimal(115)
    assert lab.range_for("F", date(2026, 5, 1)).low == Decimal(120)
    plat = get_protocol().lab("PLAT")
    assert plat.range_for("F", date(2026, 5, 1)).high == Decimal(400)
    with pytest.raises(ValueError, match="no normal range for sex 'X'"):
        LabTestDef("X", "x", "CBC", "g/L", (), (lab.ranges[0],), False, limits, 0).range_for(
            "X", date(2026, 1, 1)
        )


def test_safety_and_dlt_terms_from_the_file() -> None:
    p = get_protocol()
    assert p.safety.relatedness == (
        "not_related",
        "unlikely",
        "possibly",
        "probably",
        "definite",
    )
    assert (p.safety.related_from, p.safety.grade_change) == ("possibly", "new_record")
    assert p.dlt.hematologic_socs == ("Blood and lymphatic system disorders",)
    assert "Neutrophil count decreased" in p.dlt.hematologic_terms
    assert "Infusion related reaction" in p.dlt.irr_terms
    assert (p.dlt.gi_socs, p.dlt.lab_socs) == (("Gastrointestinal disorders",), ("Investigations",))
    assert (p.dlt.neutropenia_term, p.dlt.febrile_neutropenia_term, p.dlt.platelet_term) == (
        "Neutrophil count decreased",
        "Febrile neutropenia",
        "Platelet count decreased",
    )


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("safety", "related_from"), "maybe", r"related_from must be one of safety.relatedness"),
        (("safety", "related_from"), _DELETE, r"safety.related_from: missing; expected a string"),
        (("safety", "relatedness"), ["possibly"], r"relatedness needs at least two steps"),
        (
            ("safety", "relatedness"),
            ["not_related", "possibly", "possibly"],
            r"duplicate safety.relatedness entry 'possibly'",
        ),
        (("safety", "relatedness"), "possibly", r"safety.relatedness: expected a list"),
        (("safety", "relatedness"), [1, 2], r"safety.relatedness: expected a list of strings"),
        (("safety", "grade_change"), "edit", r'safety.grade_change must be "new_record"'),
        (("safety", "grade_change"), _DELETE, r"safety.grade_change: missing"),
        (("dlt", "irr_terms"), "Anaphylaxis", r"dlt.irr_terms: expected a list of strings"),
        (("dlt", "hematologic_socs"), _DELETE, r"dlt.hematologic_socs: missing"),
        (("dlt", "platelet_term"), ["x"], r"dlt.platelet_term: expected a string"),
        (("dlt", "neutropenia_term"), _DELETE, r"dlt.neutropenia_term: missing"),
    ],
)
def test_bad_safety_and_dlt_keys(path: tuple[Any, ...], value: Any, message: str) -> None:
    data = raw()
    _set(data, path, value)
    with pytest.raises(ValueError, match=message):
        protocol_from_dict(data)
