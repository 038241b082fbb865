"""The builders of the protocol's parts, one per TOML table, and the whole ``Protocol``.

Each builder reads its table's keys with their types (``toml_table.Table``); the dataclasses
then check their own invariants, and an error is prefixed with the key path.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from studyapp.protocol.model import (
    BleedingItemDef,
    BleedingScale,
    BloodBankRule,
    ConsentFormVersion,
    DltDefinition,
    DoseRule,
    EligibilityCriterion,
    InfusionRule,
    LabTestDef,
    NormalRange,
    PremedicationDef,
    Protocol,
    RangeLimits,
    ResponseRule,
    RunInRule,
    SafetyRule,
    SiteInfo,
    StudyInfo,
    VirologyRule,
    VisitDef,
    VitalSignDef,
)
from studyapp.protocol.toml_table import Table, build_from, to_decimal
from studyapp.protocol.units import known_units


def _study(t: Table) -> StudyInfo:
    return StudyInfo(
        t.text("id"),
        t.text("title"),
        t.text("version"),
        t.texts("registry_ids", ()),
        t.integer("target_enrolment"),
    )


def _site(t: Table) -> SiteInfo:
    return SiteInfo(
        t.text("code"),
        t.text("name"),
        t.text("screening_prefix"),
        t.integer("screening_number_width"),
        t.text("subject_prefix"),
        t.integer("subject_number_width"),
        t.integer("screening_window_days"),
        t.text("country", ""),
        t.text("name_zh", ""),
    )


def _consent(t: Table) -> ConsentFormVersion:
    return ConsentFormVersion(t.text("version"), t.day("effective_date"), t.text("description", ""))


def _visit(t: Table) -> VisitDef:
    return VisitDef(
        code=t.text("code"),
        visitnum=t.number("visitnum"),
        name=t.text("name"),
        day=t.integer("day", None),
        window_before=t.integer("window_before", 0),
        window_after=t.integer("window_after", 0),
        forms=t.texts("forms"),
        unscheduled=t.flag("unscheduled", False),
        name_zh=t.text("name_zh", ""),
    )


def _dosing(t: Table) -> DoseRule:
    return DoseRule(
        drug=t.text("drug"),
        route=t.text("route"),
        mg_per_kg=t.number("mg_per_kg"),
        number_of_doses=t.integer("number_of_doses"),
        interval_days=t.integer("interval_days"),
        first_dose_day=t.integer("first_dose_day"),
        rounding_mg=t.number("rounding_mg"),
        reweigh_threshold_pct=t.number("reweigh_threshold_pct"),
        tolerance_pct=t.number("tolerance_pct"),
        concentration_mg_per_ml=t.number("concentration_mg_per_ml"),
        split_first_dose_allowed=t.flag("split_first_dose_allowed"),
    )


#: Criterion values that stand for the lab's normal range limits instead of a number.
LIMIT_REFERENCES = ("ULN", "LLN")


def _criterion_value(t: Table) -> Decimal | bool | str | None:
    operator = t.data.get("operator")
    raw = t.value("value", object, "a number, string or boolean", None)
    if raw in LIMIT_REFERENCES and operator not in ("==", "!="):
        return str(raw)  # compared with the lab's normal range limit
    if raw is None or operator in ("==", "!="):
        return raw if isinstance(raw, bool | str | None) else to_decimal(raw, t.key_path("value"))
    return to_decimal(raw, t.key_path("value"))


def _window(t: Table) -> tuple[int, int] | None:
    raw = t.value("window", list, "[first_day, last_day]", None)
    if raw is None:
        return None
    ok = len(raw) == 2 and all(isinstance(d, int) and not isinstance(d, bool) for d in raw)
    if not ok or raw[0] > raw[1] or 0 in raw:
        raise ValueError(
            f"{t.key_path('window')}: expected [first_day, last_day] study days (no day 0), "
            f"first <= last, got {raw!r}"
        )
    return (raw[0], raw[1])


def _criterion(t: Table) -> EligibilityCriterion:
    return EligibilityCriterion(
        code=t.text("code"),
        kind=t.text("kind"),
        text=t.text("text"),
        check=t.text("check"),
        field=t.text("field", None),
        operator=t.text("operator", None),
        value=_criterion_value(t),
        unit=t.text("unit", None),
        window=_window(t),
        effective_from=t.day("effective_from", None),
        effective_to=t.day("effective_to", None),
        text_zh=t.text("text_zh", ""),
    )


def _range(t: Table) -> NormalRange:
    return NormalRange(
        t.text("sex"), t.number("low"), t.number("high"), t.day("effective_from", None)
    )


def _limits(t: Table, hard_low_default: Any = ...) -> RangeLimits:
    """Hard and plausible limits written as flat keys of a lab or vital-sign entry."""
    return RangeLimits(
        hard_low=t.number("hard_low", hard_low_default),
        hard_high=t.number("hard_high"),
        plausible_low=t.number("plausible_low"),
        plausible_high=t.number("plausible_high"),
    )


def _lab(t: Table) -> LabTestDef:
    testcd = t.text("testcd")
    si_unit = t.text("si_unit")
    accepted = t.texts("accepted_units")
    known = known_units(testcd)
    for unit in (si_unit, *accepted):
        if unit not in known:
            raise ValueError(
                f"{t.path}: unit {unit!r} of {testcd} has no conversion; known: {', '.join(known)}"
            )
    return LabTestDef(
        testcd=testcd,
        name=t.text("name"),
        category=t.text("category"),
        si_unit=si_unit,
        accepted_units=accepted,
        ranges=tuple(build_from(r, _range) for r in t.tables("ranges")),
        ctcae_graded=t.flag("ctcae_graded"),
        limits=_limits(t, hard_low_default="0"),
        decimals=t.integer("decimals"),
        name_zh=t.text("name_zh", ""),
    )


def _vital(t: Table) -> VitalSignDef:
    return VitalSignDef(
        code=t.text("code"),
        name=t.text("name"),
        unit=t.text("unit"),
        limits=_limits(t),
        decimals=t.integer("decimals"),
        name_zh=t.text("name_zh", ""),
    )


def _virology(t: Table) -> VirologyRule:
    return VirologyRule(
        hbv_dna_unit=t.text("hbv_dna_unit"),
        hbv_dna_threshold=t.number("hbv_dna_threshold"),
        hbv_dna_hard_high=t.number("hbv_dna_hard_high"),
        hbv_monitoring_months=t.integer("hbv_monitoring_months"),
    )


def _blood_bank(t: Table) -> BloodBankRule:
    return BloodBankRule(interference_months=t.integer("interference_months"))


def _bleeding_item(t: Table) -> BleedingItemDef:
    return BleedingItemDef(
        domain=t.text("domain"),
        code=t.text("code"),
        name=t.text("name"),
        max_grade=t.integer("max_grade"),
        name_zh=t.text("name_zh", ""),
    )


def _bleeding(t: Table) -> BleedingScale:
    return BleedingScale(
        who_grades=t.texts("who_grades"),
        items=tuple(build_from(i, _bleeding_item) for i in t.tables("items")),
        who_grades_zh=t.texts("who_grades_zh", ()),
    )


def _infusion(t: Table) -> InfusionRule:
    return InfusionRule(
        first_volume_ml=t.number("first_volume_ml"),
        later_volume_ml=t.number("later_volume_ml"),
        first_start_rate_ml_h=t.number("first_start_rate_ml_h"),
        later_start_rate_ml_h=t.number("later_start_rate_ml_h"),
        rate_increment_ml_h=t.number("rate_increment_ml_h"),
        increment_minutes=t.integer("increment_minutes"),
        max_rate_ml_h=t.number("max_rate_ml_h"),
    )


def _premedication(t: Table) -> PremedicationDef:
    return PremedicationDef(
        code=t.text("code"),
        name=t.text("name"),
        route=t.text("route"),
        dose_low=t.number("dose_low"),
        dose_high=t.number("dose_high"),
        unit=t.text("unit"),
        hours_before_low=t.integer("hours_before_low"),
        hours_before_high=t.integer("hours_before_high"),
        name_zh=t.text("name_zh", ""),
    )


def _rescue_types(t: Table) -> tuple[str, ...]:
    return t.texts("rescue_types")


def _run_in(t: Table) -> RunInRule:
    return RunInRule(
        subjects=t.integer("subjects"),
        min_days_between_first_doses=t.integer("min_days_between_first_doses"),
        dlt_window_first_day=t.integer("dlt_window_first_day"),
        dlt_window_last_day=t.integer("dlt_window_last_day"),
        expansion_subjects=t.integer("expansion_subjects"),
        open_if_dlt_at_most=t.integer("open_if_dlt_at_most"),
        open_after_expansion_if_dlt_at_most=t.integer("open_after_expansion_if_dlt_at_most"),
        halt_if_dlt_at_least=t.integer("halt_if_dlt_at_least"),
        signoff_roles=t.texts("signoff_roles"),
    )


def _dlt(t: Table) -> DltDefinition:
    return DltDefinition(
        min_relatedness=t.text("min_relatedness"),
        nonhematologic_min_grade=t.integer("nonhematologic_min_grade"),
        irr_grade3_resolution_hours=t.integer("irr_grade3_resolution_hours"),
        gi_grade3_control_hours=t.integer("gi_grade3_control_hours"),
        lab_grade3_resolution_days=t.integer("lab_grade3_resolution_days"),
        irr_or_anaphylaxis_min_grade=t.integer("irr_or_anaphylaxis_min_grade"),
        neutropenia_grade4_min_days=t.integer("neutropenia_grade4_min_days"),
        bleeding_min_who_grade=t.integer("bleeding_min_who_grade"),
        febrile_neutropenia=t.flag("febrile_neutropenia"),
        hys_law=t.flag("hys_law"),
        hys_law_aminotransferase_uln=t.number("hys_law_aminotransferase_uln"),
        hys_law_bilirubin_uln=t.number("hys_law_bilirubin_uln"),
        hys_law_aminotransferase_tests=t.texts("hys_law_aminotransferase_tests"),
        hys_law_bilirubin_test=t.text("hys_law_bilirubin_test"),
        hys_law_socs=t.texts("hys_law_socs"),
        bleeding_terms=t.texts("bleeding_terms"),
        bleeding_term_words=t.texts("bleeding_term_words"),
        death=t.flag("death"),
        low_platelets_alone=t.flag("low_platelets_alone"),
        hematologic_socs=t.texts("hematologic_socs"),
        hematologic_terms=t.texts("hematologic_terms"),
        irr_terms=t.texts("irr_terms"),
        gi_socs=t.texts("gi_socs"),
        lab_socs=t.texts("lab_socs"),
        neutropenia_term=t.text("neutropenia_term"),
        febrile_neutropenia_term=t.text("febrile_neutropenia_term"),
        platelet_term=t.text("platelet_term"),
        irr_term=t.text("irr_term"),
    )


def _response(t: Table) -> ResponseRule:
    return ResponseRule(
        platelet_test=t.text("platelet_test"),
        cr_threshold=t.number("cr_threshold"),
        r_threshold=t.number("r_threshold"),
        r_baseline_multiple=t.number("r_baseline_multiple"),
        confirmation_days=t.integer("confirmation_days"),
        loss_confirmation_days=t.integer("loss_confirmation_days"),
        rescue_exclusion_days=t.integer("rescue_exclusion_days"),
        bleeding_min_who_grade=t.integer("bleeding_min_who_grade"),
        durable_threshold=t.number("durable_threshold"),
        durable_k=t.integer("durable_k"),
        durable_n=t.integer("durable_n"),
        durable_after_visit=t.text("durable_after_visit"),
    )


def _sdv_plan(t: Table) -> tuple[str, ...]:
    return build_from(t.table("sdv"), lambda sdv: sdv.texts("full"))


def _safety(t: Table) -> SafetyRule:
    keys = (
        "ae_task_min_grade",
        "sae_sponsor_hours",
        "susar_fatal_days",
        "susar_followup_extra_days",
        "susar_other_days",
        "sae_lab_window_days",
    )
    return SafetyRule(
        **{k: t.integer(k) for k in keys},
        relatedness=t.texts("relatedness"),
        related_from=t.text("related_from"),
        grade_change=t.text("grade_change"),
        platelet_worsening_below=t.number("platelet_worsening_below"),
        platelet_worsening_baseline_fraction=t.number("platelet_worsening_baseline_fraction"),
    )


def _units_zh(top: Table) -> tuple[tuple[str, str], ...]:
    """``[units_zh]``: unit -> its Chinese display; optional, every value a string."""
    raw = top.value("units_zh", dict, "a table of unit = its Chinese display", {})
    table = Table(raw, "units_zh")
    return tuple((unit, table.text(unit)) for unit in list(table.data))


def protocol_from_dict(data: dict[str, Any]) -> Protocol:
    """Build and validate a Protocol from parsed TOML; ValueError names the offending key."""
    top = Table(data, "")
    protocol = Protocol(
        study=build_from(top.table("study"), _study),
        site=build_from(top.table("site"), _site),
        consent_forms=tuple(build_from(t, _consent) for t in top.tables("consent_forms")),
        visits=tuple(build_from(t, _visit) for t in top.tables("visits")),
        dosing=build_from(top.table("dosing"), _dosing),
        eligibility=tuple(build_from(t, _criterion) for t in top.tables("eligibility")),
        labs=tuple(build_from(t, _lab) for t in top.tables("labs")),
        run_in=build_from(top.table("run_in"), _run_in),
        dlt=build_from(top.table("dlt"), _dlt),
        response=build_from(top.table("response"), _response),
        safety=build_from(top.table("safety"), _safety),
        vital_signs=tuple(build_from(t, _vital) for t in top.tables("vital_signs")),
        bleeding=build_from(top.table("bleeding"), _bleeding),
        infusion=build_from(top.table("infusion"), _infusion),
        premedications=tuple(build_from(t, _premedication) for t in top.tables("premedications")),
        rescue_types=build_from(top.table("medications"), _rescue_types),
        sdv_full=build_from(top.table("monitoring"), _sdv_plan),
        units_zh=_units_zh(top),
        ecg_measures=tuple(build_from(t, _vital) for t in top.tables("ecg_measures")),
        virology=build_from(top.table("virology"), _virology),
        blood_bank=build_from(top.table("blood_bank"), _blood_bank),
    )
    top.done()
    return protocol
