"""Safety: the run-in and its dose-limiting toxicity definition, the AE reporting clocks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from studyapp.protocol.invariants import require, unique


@dataclass(frozen=True)
class RunInRule:
    """Safety run-in: dosing one at a time, DLT window, and the stop rule (0/3, 1/6, >= 2)."""

    subjects: int
    min_days_between_first_doses: int
    dlt_window_first_day: int
    dlt_window_last_day: int
    expansion_subjects: int
    open_if_dlt_at_most: int
    open_after_expansion_if_dlt_at_most: int
    halt_if_dlt_at_least: int
    signoff_roles: tuple[str, ...]

    def __post_init__(self) -> None:
        require(self.subjects >= 1, "run_in.subjects must be >= 1")
        require(
            1 <= self.dlt_window_first_day <= self.dlt_window_last_day,
            "run_in.dlt_window_first_day must be >= 1 and <= dlt_window_last_day",
        )
        require(
            self.open_if_dlt_at_most < self.halt_if_dlt_at_least
            and self.open_after_expansion_if_dlt_at_most < self.halt_if_dlt_at_least,
            "run_in: open thresholds must be below halt_if_dlt_at_least",
        )
        require(len(self.signoff_roles) >= 1, "run_in.signoff_roles must name at least one role")


@dataclass(frozen=True)
class DltDefinition:
    """Parameters of the dose-limiting toxicity definition (DOMAIN.md section 6, [P])."""

    min_relatedness: str
    nonhematologic_min_grade: int
    irr_grade3_resolution_hours: int
    gi_grade3_control_hours: int
    lab_grade3_resolution_days: int
    irr_or_anaphylaxis_min_grade: int
    neutropenia_grade4_min_days: int
    bleeding_min_who_grade: int
    febrile_neutropenia: bool
    hys_law: bool
    #: Hy's law: ALT or AST >= this x ULN with total bilirubin >= that x ULN, same draw.
    hys_law_aminotransferase_uln: Decimal
    hys_law_bilirubin_uln: Decimal
    #: The labs test codes Hy's law reads: the aminotransferases and total bilirubin.
    hys_law_aminotransferase_tests: tuple[str, ...]
    hys_law_bilirubin_test: str
    #: The SOCs of an AE that stands for a Hy's law draw dated on its onset.
    hys_law_socs: tuple[str, ...]
    #: AE terms that are bleedings: these terms, and terms containing one of the words.
    bleeding_terms: tuple[str, ...]
    bleeding_term_words: tuple[str, ...]
    death: bool
    low_platelets_alone: bool
    #: Which CTCAE terms / SOCs each part of the definition means.
    hematologic_socs: tuple[str, ...]
    hematologic_terms: tuple[str, ...]
    irr_terms: tuple[str, ...]
    gi_socs: tuple[str, ...]
    lab_socs: tuple[str, ...]
    neutropenia_term: str
    febrile_neutropenia_term: str
    platelet_term: str
    #: The CTCAE term an AE recorded from an infusion (the dosing page's IRR link) starts with.
    irr_term: str

    def __post_init__(self) -> None:
        require(
            self.hys_law_aminotransferase_uln > 0 and self.hys_law_bilirubin_uln > 0,
            "dlt: the Hy's law ULN multiples must be > 0",
        )
        require(
            self.irr_term in self.irr_terms,
            f"dlt.irr_term must be one of dlt.irr_terms ({', '.join(self.irr_terms)}), "
            f"got {self.irr_term!r}",
        )


@dataclass(frozen=True)
class SafetyRule:
    """AE follow-up and reporting clocks (ICH E2A, ICH GCP, NMPA/CDE 2018)."""

    ae_task_min_grade: int
    sae_sponsor_hours: int
    susar_fatal_days: int
    susar_followup_extra_days: int
    susar_other_days: int
    #: An SAE report lists lab values from this many days before to this many after the onset.
    sae_lab_window_days: int
    #: Relationship to the study drug, from "not related" to "definite" (5-point scale).
    relatedness: tuple[str, ...]
    #: The first step of ``relatedness`` that counts as related (AEREL).
    related_from: str
    #: How a grade change of an ongoing AE is recorded: "new_record" (the only convention).
    grade_change: str
    #: Significant platelet worsening (DOMAIN.md section 6): below this count (10^9/L) ...
    platelet_worsening_below: Decimal
    #: ... and below this fraction of the baseline count (both strict).
    platelet_worsening_baseline_fraction: Decimal

    def __post_init__(self) -> None:
        require(1 <= self.ae_task_min_grade <= 5, "safety.ae_task_min_grade must be 1-5")
        require(self.platelet_worsening_below > 0, "safety.platelet_worsening_below must be > 0")
        require(
            0 < self.platelet_worsening_baseline_fraction < 1,
            "safety.platelet_worsening_baseline_fraction must be between 0 and 1",
        )
        require(len(self.relatedness) >= 2, "safety.relatedness needs at least two steps")
        unique(list(self.relatedness), "safety.relatedness entry")
        require(
            self.related_from in self.relatedness,
            "safety.related_from must be one of safety.relatedness",
        )
        require(self.grade_change == "new_record", 'safety.grade_change must be "new_record"')
        for name in (
            "sae_sponsor_hours",
            "susar_fatal_days",
            "susar_followup_extra_days",
            "susar_other_days",
            "sae_lab_window_days",
        ):
            require(getattr(self, name) >= 1, f"safety.{name} must be >= 1")
