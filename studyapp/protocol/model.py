"""The study protocol as frozen dataclasses.

Pure data with the invariants a protocol must hold (checked in ``__post_init__``), so a
``Protocol`` built by hand in a test is as trustworthy as one read by the loader. No I/O here:
``studyapp.clinical`` imports these classes for typing and reads every visit, window, dose and
threshold from them instead of writing them a second time in code.

Decimal is used for dosing and threshold quantities so that "exactly 10 %" stays exact.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: Comparison operators a machine-checkable eligibility criterion may use.
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")

#: ITP-BAT (SMOG) bleeding domains: Skin, visible Mucosae, Organs (Blood 2013;121:2596).
BLEEDING_DOMAINS = ("S", "M", "O")

#: Highest grade of the WHO bleeding scale (0 none ... 4 debilitating), a definition [C].
WHO_MAX_GRADE = 4

#: Highest grade an ITP-BAT item may have: 5 = fatal bleeding.
BLEEDING_ITEM_MAX_GRADE = 5


def _require(condition: bool, message: str) -> None:
    """Raise ValueError with *message* unless *condition* holds."""
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class StudyInfo:
    """Identity of the protocol; ``version`` is written into every audit record."""

    id: str
    title: str
    version: str
    registry_ids: tuple[str, ...] = ()
    #: Number of subjects the study plans to enrol (the dashboard's target).
    target_enrolment: int = 0


@dataclass(frozen=True)
class SiteInfo:
    """The (single) site and how its numbers look: screening ``S01-001``, subject ``ITP-001``.

    Both are prefix + zero-padded sequence, never derived from personal data (PRV-01).
    """

    code: str
    name: str
    screening_prefix: str
    screening_number_width: int
    subject_prefix: str = "ITP-"
    subject_number_width: int = 3
    #: Days from the screening date within which a candidate must be enrolled.
    screening_window_days: int = 28


@dataclass(frozen=True)
class ConsentFormVersion:
    """An approved informed-consent form version and the date it takes effect."""

    version: str
    effective_date: date
    description: str = ""


@dataclass(frozen=True)
class VisitDef:
    """One visit of the schedule.

    ``day`` is the planned study day (CDISC, no day 0) or None for visits that happen at any
    time (early termination, unscheduled). The window is in calendar days before/after the
    target date and is anchored to Day 1, never to the previous visit.
    """

    code: str
    visitnum: Decimal
    name: str
    day: int | None
    window_before: int
    window_after: int
    forms: tuple[str, ...]
    #: The visit added at any time with a reason (numbered after the previous visit).
    unscheduled: bool = False

    def __post_init__(self) -> None:
        _require(
            not (self.unscheduled and self.day is not None),
            f"visit {self.code}: an unscheduled visit cannot have a planned day",
        )
        _require(self.day != 0, f"visit {self.code}: day 0 does not exist in CDISC study days")
        _require(
            self.window_before >= 0 and self.window_after >= 0,
            f"visit {self.code}: window_before/window_after must be >= 0, got "
            f"{self.window_before}/{self.window_after}",
        )
        _require(
            self.day is not None or (self.window_before == 0 and self.window_after == 0),
            f"visit {self.code}: a visit without a planned day cannot have a window",
        )


@dataclass(frozen=True)
class DoseRule:
    """Weight-based dosing: mg/kg x weight, rounded half-up to ``rounding_mg``.

    The reference weight is re-based when a visit weight differs from it by more than
    ``reweigh_threshold_pct`` percent; a given dose outside +/- ``tolerance_pct`` of the
    calculated dose is a deviation.
    """

    drug: str
    route: str
    mg_per_kg: Decimal
    number_of_doses: int
    interval_days: int
    first_dose_day: int
    rounding_mg: Decimal
    reweigh_threshold_pct: Decimal
    tolerance_pct: Decimal
    concentration_mg_per_ml: Decimal
    split_first_dose_allowed: bool

    def __post_init__(self) -> None:
        for name in ("mg_per_kg", "rounding_mg", "concentration_mg_per_ml"):
            _require(getattr(self, name) > 0, f"dosing.{name} must be > 0")
        for name in ("reweigh_threshold_pct", "tolerance_pct"):
            _require(getattr(self, name) >= 0, f"dosing.{name} must be >= 0")
        _require(self.number_of_doses >= 1, "dosing.number_of_doses must be >= 1")
        _require(self.interval_days >= 1, "dosing.interval_days must be >= 1")
        _require(self.first_dose_day >= 1, "dosing.first_dose_day must be >= 1")

    @property
    def dose_days(self) -> tuple[int, ...]:
        """Planned study days of the doses, e.g. (1, 8, ..., 50)."""
        return tuple(
            self.first_dose_day + i * self.interval_days for i in range(self.number_of_doses)
        )


@dataclass(frozen=True)
class EligibilityCriterion:
    """An inclusion or exclusion criterion.

    ``check == "machine"`` criteria read ``field`` (``DOMAIN.FIELD`` of the CRF) and compare it
    with ``operator`` and ``value``; ``window`` (first, last study day) bounds the assessment
    date. ``check == "investigator"`` criteria are confirmed by the investigator. A criterion
    applies to subjects screened from ``effective_from`` up to ``effective_to`` inclusive.
    """

    code: str
    kind: str
    text: str
    check: str
    field: str | None = None
    operator: str | None = None
    value: Decimal | bool | str | None = None
    unit: str | None = None
    window: tuple[int, int] | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    def __post_init__(self) -> None:
        where = f"eligibility {self.code}"
        _require(
            self.kind in ("inclusion", "exclusion"),
            f"{where}: kind must be inclusion or exclusion, got {self.kind!r}",
        )
        _require(
            self.check in ("machine", "investigator"),
            f"{where}: check must be machine or investigator, got {self.check!r}",
        )
        if self.check == "machine":
            _require(
                self.field is not None and self.operator in OPERATORS and self.value is not None,
                f"{where}: a machine criterion needs field, operator "
                f"(one of {', '.join(OPERATORS)}) and value",
            )
        if self.effective_from and self.effective_to:
            _require(
                self.effective_from <= self.effective_to,
                f"{where}: effective_from is after effective_to",
            )


@dataclass(frozen=True)
class RangeLimits:
    """Edit-check limits of a measured value, in its (SI) unit, all inclusive.

    A value outside ``hard_low``..``hard_high`` cannot be right (impossible, rejected); a value
    outside ``plausible_low``..``plausible_high`` is unusual and must be confirmed. The plausible
    range lies inside the hard one.
    """

    hard_low: Decimal
    hard_high: Decimal
    plausible_low: Decimal
    plausible_high: Decimal

    def __post_init__(self) -> None:
        _require(
            self.hard_low <= self.plausible_low <= self.plausible_high <= self.hard_high,
            "limits: need hard_low <= plausible_low <= plausible_high <= hard_high, got "
            f"{self.hard_low} / {self.plausible_low} / {self.plausible_high} / {self.hard_high}",
        )


@dataclass(frozen=True)
class NormalRange:
    """A reference range in the test's SI unit, for a sex (``M``, ``F`` or ``ANY``)."""

    sex: str
    low: Decimal
    high: Decimal
    effective_from: date | None = None


@dataclass(frozen=True)
class LabTestDef:
    """A laboratory test: CDISC LBTESTCD, SI (standard) unit and other accepted units.

    ``limits`` (hard and plausible, in the SI unit, never negative) bound any value, whatever
    the normal range; ``decimals`` is the number of decimal places allowed for a value entered
    in the SI unit. Every normal range lies inside the hard limits.
    """

    testcd: str
    name: str
    category: str
    si_unit: str
    accepted_units: tuple[str, ...]
    ranges: tuple[NormalRange, ...]
    ctcae_graded: bool
    limits: RangeLimits
    decimals: int

    def range_for(self, sex: str, on: date) -> NormalRange:
        """The normal range for *sex* in force on *on*: the sex's own, else ``ANY``."""
        in_force = [r for r in self.ranges if r.effective_from is None or r.effective_from <= on]
        for wanted in (sex, "ANY"):
            matching = [r for r in in_force if r.sex == wanted]
            if matching:
                return max(matching, key=lambda r: r.effective_from or date.min)
        raise ValueError(f"lab {self.testcd}: no normal range for sex {sex!r} on {on}")

    def __post_init__(self) -> None:
        _require(self.decimals >= 0, f"lab {self.testcd}: decimals must be >= 0")
        _require(self.limits.hard_low >= 0, f"lab {self.testcd}: hard_low must be >= 0")
        for r in self.ranges:
            _require(
                r.low <= r.high, f"lab {self.testcd}: normal range low {r.low} > high {r.high}"
            )
            _require(
                r.sex in ("M", "F", "ANY"),
                f"lab {self.testcd}: range sex must be M, F or ANY, got {r.sex!r}",
            )
            _require(
                self.limits.hard_low <= r.low and r.high <= self.limits.hard_high,
                f"lab {self.testcd}: normal range {r.low}-{r.high} is outside the hard limits "
                f"{self.limits.hard_low}-{self.limits.hard_high}",
            )


@dataclass(frozen=True)
class VitalSignDef:
    """A vital sign or body measurement: CDISC VSTESTCD, unit (CDISC UNIT), edit-check limits.

    ``decimals`` is the number of decimal places allowed when the value is entered.
    """

    code: str
    name: str
    unit: str
    limits: RangeLimits
    decimals: int

    def __post_init__(self) -> None:
        _require(self.decimals >= 0, f"vital sign {self.code}: decimals must be >= 0")


@dataclass(frozen=True)
class BleedingItemDef:
    """One ITP-BAT item: its SMOG domain (``S``, ``M`` or ``O``), code, name and top grade."""

    domain: str
    code: str
    name: str
    max_grade: int

    def __post_init__(self) -> None:
        _require(
            self.domain in BLEEDING_DOMAINS,
            f"bleeding item {self.code}: domain must be one of {', '.join(BLEEDING_DOMAINS)}, "
            f"got {self.domain!r}",
        )
        _require(
            1 <= self.max_grade <= BLEEDING_ITEM_MAX_GRADE,
            f"bleeding item {self.code}: max_grade must be 1-{BLEEDING_ITEM_MAX_GRADE}, "
            f"got {self.max_grade}",
        )


@dataclass(frozen=True)
class BleedingScale:
    """Bleeding assessment: WHO grade wording (index = grade 0-4) and the ITP-BAT items."""

    who_grades: tuple[str, ...]
    items: tuple[BleedingItemDef, ...]

    def __post_init__(self) -> None:
        _require(
            len(self.who_grades) == WHO_MAX_GRADE + 1,
            f"bleeding.who_grades: need {WHO_MAX_GRADE + 1} descriptions (grades 0-"
            f"{WHO_MAX_GRADE}), got {len(self.who_grades)}",
        )
        _require(bool(self.items), "bleeding.items: at least one item is needed")
        _unique([i.code for i in self.items], "bleeding item code")
        missing = [d for d in BLEEDING_DOMAINS if d not in {i.domain for i in self.items}]
        _require(not missing, f"bleeding.items: no item for domain(s) {', '.join(missing)}")

    def item(self, code: str) -> BleedingItemDef:
        """Return the item *code*; ValueError naming the known codes otherwise."""
        for i in self.items:
            if i.code == code:
                return i
        known = ", ".join(i.code for i in self.items)
        raise ValueError(f"unknown bleeding item {code!r}; known: {known}")


@dataclass(frozen=True)
class InfusionRule:
    """Infusion volumes and rates (daratumumab label, DOMAIN.md section 3) in mL and mL/h.

    Every infusion starts at a start rate and goes up by ``rate_increment_ml_h`` every
    ``increment_minutes`` minutes, if tolerated, up to ``max_rate_ml_h``. Which volume and start
    rate a dose gets is ``studyapp.clinical.dosing.infusion_plan``.
    """

    first_volume_ml: Decimal
    later_volume_ml: Decimal
    first_start_rate_ml_h: Decimal
    later_start_rate_ml_h: Decimal
    rate_increment_ml_h: Decimal
    increment_minutes: int
    max_rate_ml_h: Decimal

    def __post_init__(self) -> None:
        for name in (
            "first_volume_ml",
            "later_volume_ml",
            "first_start_rate_ml_h",
            "later_start_rate_ml_h",
            "rate_increment_ml_h",
            "max_rate_ml_h",
        ):
            _require(getattr(self, name) > 0, f"infusion.{name} must be > 0")
        _require(self.increment_minutes >= 1, "infusion.increment_minutes must be >= 1")
        _require(
            max(self.first_start_rate_ml_h, self.later_start_rate_ml_h) <= self.max_rate_ml_h,
            "infusion: start rates must not exceed max_rate_ml_h",
        )


@dataclass(frozen=True)
class PremedicationDef:
    """A premedication given before each infusion: dose range in ``unit`` and timing window.

    ``hours_before_low``..``hours_before_high`` (inclusive) is how long before the start of the
    infusion it is given; each drug carries its own window (1-3 h for all three here).
    """

    code: str
    name: str
    route: str
    dose_low: Decimal
    dose_high: Decimal
    unit: str
    hours_before_low: int
    hours_before_high: int

    def __post_init__(self) -> None:
        where = f"premedication {self.code}"
        _require(
            0 < self.dose_low <= self.dose_high,
            f"{where}: need 0 < dose_low <= dose_high, got {self.dose_low} / {self.dose_high}",
        )
        _require(
            0 <= self.hours_before_low <= self.hours_before_high,
            f"{where}: need 0 <= hours_before_low <= hours_before_high, got "
            f"{self.hours_before_low} / {self.hours_before_high}",
        )


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
        _require(self.subjects >= 1, "run_in.subjects must be >= 1")
        _require(
            1 <= self.dlt_window_first_day <= self.dlt_window_last_day,
            "run_in.dlt_window_first_day must be >= 1 and <= dlt_window_last_day",
        )
        _require(
            self.open_if_dlt_at_most < self.halt_if_dlt_at_least
            and self.open_after_expansion_if_dlt_at_most < self.halt_if_dlt_at_least,
            "run_in: open thresholds must be below halt_if_dlt_at_least",
        )
        _require(len(self.signoff_roles) >= 1, "run_in.signoff_roles must name at least one role")


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
        _require(
            self.irr_term in self.irr_terms,
            f"dlt.irr_term must be one of dlt.irr_terms ({', '.join(self.irr_terms)}), "
            f"got {self.irr_term!r}",
        )


@dataclass(frozen=True)
class ResponseRule:
    """ITP response parameters (IWG 2009, Rodeghiero et al., Blood 2009;113:2386).

    Counts in 10^9/L. Thresholds are inclusive. A count on day d is not evaluable when
    1 <= d - r <= ``rescue_exclusion_days`` for a rescue day r.
    """

    #: The lab test (``labs`` testcd) that measures the platelet count the response reads;
    #: the disease marker too (an AE only on significant worsening, DOMAIN.md section 6).
    platelet_test: str
    cr_threshold: Decimal
    r_threshold: Decimal
    r_baseline_multiple: Decimal
    confirmation_days: int
    loss_confirmation_days: int
    rescue_exclusion_days: int
    bleeding_min_who_grade: int
    durable_threshold: Decimal
    durable_k: int
    durable_n: int

    def __post_init__(self) -> None:
        _require(
            0 < self.r_threshold < self.cr_threshold,
            "response: need 0 < r_threshold < cr_threshold",
        )
        _require(self.r_baseline_multiple > 0, "response.r_baseline_multiple must be > 0")
        _require(self.confirmation_days >= 1, "response.confirmation_days must be >= 1")
        _require(self.loss_confirmation_days >= 1, "response.loss_confirmation_days must be >= 1")
        _require(self.rescue_exclusion_days >= 0, "response.rescue_exclusion_days must be >= 0")
        _require(
            1 <= self.bleeding_min_who_grade <= 4, "response.bleeding_min_who_grade must be 1-4"
        )
        _require(
            1 <= self.durable_k <= self.durable_n, "response: need 1 <= durable_k <= durable_n"
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

    def __post_init__(self) -> None:
        _require(1 <= self.ae_task_min_grade <= 5, "safety.ae_task_min_grade must be 1-5")
        _require(len(self.relatedness) >= 2, "safety.relatedness needs at least two steps")
        _unique(list(self.relatedness), "safety.relatedness entry")
        _require(
            self.related_from in self.relatedness,
            "safety.related_from must be one of safety.relatedness",
        )
        _require(self.grade_change == "new_record", 'safety.grade_change must be "new_record"')
        for name in (
            "sae_sponsor_hours",
            "susar_fatal_days",
            "susar_followup_extra_days",
            "susar_other_days",
            "sae_lab_window_days",
        ):
            _require(getattr(self, name) >= 1, f"safety.{name} must be >= 1")


@dataclass(frozen=True)
class Protocol:
    """The whole study definition; see ``itp_daratumumab.toml``."""

    study: StudyInfo
    site: SiteInfo
    consent_forms: tuple[ConsentFormVersion, ...]
    visits: tuple[VisitDef, ...]
    dosing: DoseRule
    eligibility: tuple[EligibilityCriterion, ...]
    labs: tuple[LabTestDef, ...]
    run_in: RunInRule
    dlt: DltDefinition
    response: ResponseRule
    safety: SafetyRule
    vital_signs: tuple[VitalSignDef, ...]
    bleeding: BleedingScale
    infusion: InfusionRule
    premedications: tuple[PremedicationDef, ...]
    #: Kinds of rescue therapy (CMCAT RESCUE) that make later counts non-evaluable.
    rescue_types: tuple[str, ...]

    def __post_init__(self) -> None:
        check_visits(self.visits)
        unscheduled = [v.code for v in self.visits if v.unscheduled]
        _require(
            len(unscheduled) <= 1,
            f"visits: at most one visit may have unscheduled = true, got {', '.join(unscheduled)}",
        )
        planned_days = {v.day for v in self.visits}
        missing = [d for d in self.dosing.dose_days if d not in planned_days]
        _require(not missing, f"dosing: dose days {missing} have no visit planned on that day")
        _require(len(self.consent_forms) >= 1, "consent_forms: at least one version is needed")
        _unique([c.version for c in self.consent_forms], "consent_forms version")
        _unique([c.code for c in self.eligibility], "eligibility code")
        _unique([t.testcd for t in self.labs], "labs testcd")
        _require(
            self.response.platelet_test in {t.testcd for t in self.labs},
            f"response.platelet_test {self.response.platelet_test!r} is not a labs testcd; "
            f"known: {', '.join(t.testcd for t in self.labs)}",
        )
        _unique([v.code for v in self.vital_signs], "vital_signs code")
        _unique([m.code for m in self.premedications], "premedications code")
        _require(bool(self.rescue_types), "medications.rescue_types: at least one type is needed")
        _unique(list(self.rescue_types), "medications.rescue_types entry")

    @property
    def id(self) -> str:
        """The study identifier (NCT number)."""
        return self.study.id

    @property
    def title(self) -> str:
        """The study title."""
        return self.study.title

    @property
    def version(self) -> str:
        """The protocol version recorded by the audit trail."""
        return self.study.version

    def visit(self, code: str) -> VisitDef:
        """Return the visit with *code*; ValueError naming the known codes otherwise."""
        for v in self.visits:
            if v.code == code:
                return v
        known = ", ".join(v.code for v in self.visits)
        raise ValueError(f"unknown visit code {code!r}; known: {known}")

    @property
    def unscheduled_visit(self) -> VisitDef:
        """The visit the site adds at any time (``unscheduled = true`` in the file)."""
        for v in self.visits:
            if v.unscheduled:
                return v
        raise ValueError("the protocol has no visit with unscheduled = true")

    def lab(self, testcd: str) -> LabTestDef:
        """Return the lab test *testcd*; ValueError naming the known codes otherwise."""
        for t in self.labs:
            if t.testcd == testcd:
                return t
        known = ", ".join(t.testcd for t in self.labs)
        raise ValueError(f"unknown lab test {testcd!r}; known: {known}")

    def vital(self, code: str) -> VitalSignDef:
        """Return the vital sign *code*; ValueError naming the known codes otherwise."""
        for v in self.vital_signs:
            if v.code == code:
                return v
        known = ", ".join(v.code for v in self.vital_signs)
        raise ValueError(f"unknown vital sign {code!r}; known: {known}")

    def premedication(self, code: str) -> PremedicationDef:
        """Return the premedication *code*; ValueError naming the known codes otherwise."""
        for m in self.premedications:
            if m.code == code:
                return m
        known = ", ".join(m.code for m in self.premedications)
        raise ValueError(f"unknown premedication {code!r}; known: {known}")


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        _require(v not in seen, f"duplicate {what} {v!r}")
        seen.add(v)


def check_visits(visits: tuple[VisitDef, ...]) -> None:
    """Reject a visit list that is out of order or whose windows overlap.

    Rule that makes a date unambiguous: planned visits (those with a day) must be in strictly
    increasing day and VISITNUM order, and each window must end before the next one starts,
    so any calendar date falls in at most one planned window. Unplanned visits (no day) may
    appear anywhere but need unique codes and VISITNUMs.
    """
    _unique([v.code for v in visits], "visit code")
    _unique([str(v.visitnum) for v in visits], "visit visitnum")
    _require(bool(visits), "visits: at least one visit is needed")
    planned = [(v, v.day) for v in visits if v.day is not None]
    for (prev, prev_day), (nxt, next_day) in itertools.pairwise(planned):
        _require(
            prev_day < next_day and prev.visitnum < nxt.visitnum,
            f"visits out of order: {nxt.code} (day {next_day}, VISITNUM {nxt.visitnum}) comes "
            f"after {prev.code} (day {prev_day}, VISITNUM {prev.visitnum}); list planned visits "
            "by increasing day and VISITNUM",
        )
        prev_last = _offset(prev_day, prev.window_after)
        next_first = _offset(next_day, -nxt.window_before)
        _require(
            prev_last < next_first,
            f"visit windows overlap: {prev.code} ends on day {prev_last} but {nxt.code} starts "
            f"on day {next_first}; narrow one of the windows",
        )


def _offset(day: int, days: int) -> int:
    """Study day *days* calendar days after study *day*, skipping the missing day 0.

    Works on a continuous axis (Day 1 -> 0, Day -1 -> -1) and maps back, so that comparing
    offsets is comparing calendar dates.
    """
    axis = (day - 1 if day > 0 else day) + days
    return axis + 1 if axis >= 0 else axis
