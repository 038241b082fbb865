"""The study protocol as frozen dataclasses.

Pure data with the invariants a protocol must hold (checked in ``__post_init__``), so a
``Protocol`` built by hand in a test is as trustworthy as one read by the loader. No I/O here:
``studyapp.clinical`` imports these classes for typing and reads every visit, window, dose and
threshold from them instead of writing them a second time in code.

Decimal is used for dosing and threshold quantities so that "exactly 10 %" stays exact.

The parts live in their own modules (``schedule``, ``dosing``, ``measures``, ``criteria``,
``safety``); this module gathers them with the study's identity and the ``Protocol`` itself,
so ``from studyapp.protocol.model import X`` works for every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from studyapp.protocol.criteria import OPERATORS, EligibilityCriterion, ResponseRule
from studyapp.protocol.dosing import DoseRule, InfusionRule, PremedicationDef
from studyapp.protocol.invariants import require, unique
from studyapp.protocol.measures import (
    BLEEDING_DOMAINS,
    BLEEDING_ITEM_MAX_GRADE,
    WHO_MAX_GRADE,
    BleedingItemDef,
    BleedingScale,
    BloodBankRule,
    LabTestDef,
    NormalRange,
    RangeLimits,
    VirologyRule,
    VitalSignDef,
)
from studyapp.protocol.safety import DltDefinition, RunInRule, SafetyRule
from studyapp.protocol.schedule import VisitDef, check_visits

__all__ = [
    "BLEEDING_DOMAINS",
    "BLEEDING_ITEM_MAX_GRADE",
    "OPERATORS",
    "WHO_MAX_GRADE",
    "BleedingItemDef",
    "BleedingScale",
    "BloodBankRule",
    "ConsentFormVersion",
    "DltDefinition",
    "DoseRule",
    "EligibilityCriterion",
    "InfusionRule",
    "LabTestDef",
    "NormalRange",
    "PremedicationDef",
    "Protocol",
    "RangeLimits",
    "ResponseRule",
    "RunInRule",
    "SafetyRule",
    "SiteInfo",
    "StudyInfo",
    "VirologyRule",
    "VisitDef",
    "VitalSignDef",
    "check_visits",
]


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
    #: ISO 3166-1 alpha-3 code of the site's country (SDTM DM.COUNTRY).
    country: str = ""
    #: The name in Simplified Chinese ("" when the file gives none).
    name_zh: str = ""


@dataclass(frozen=True)
class ConsentFormVersion:
    """An approved informed-consent form version and the date it takes effect."""

    version: str
    effective_date: date
    description: str = ""


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
    #: Form codes whose SDV fields a monitor verifies at 100 % (``[monitoring.sdv] full``).
    #: ECG measurements (EG): unit and edit-check limits (``[[ecg_measures]]``).
    ecg_measures: tuple[VitalSignDef, ...]
    #: HBV monitoring (``[virology]``).
    virology: VirologyRule
    #: Blood bank interference (``[blood_bank]``).
    blood_bank: BloodBankRule
    sdv_full: tuple[str, ...] = ()
    #: (unit, its Simplified Chinese display) for the units the file uses (``[units_zh]``).
    units_zh: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        check_visits(self.visits)
        unscheduled = [v.code for v in self.visits if v.unscheduled]
        require(
            len(unscheduled) <= 1,
            f"visits: at most one visit may have unscheduled = true, got {', '.join(unscheduled)}",
        )
        planned_days = {v.day for v in self.visits}
        missing = [d for d in self.dosing.dose_days if d not in planned_days]
        require(not missing, f"dosing: dose days {missing} have no visit planned on that day")
        require(len(self.consent_forms) >= 1, "consent_forms: at least one version is needed")
        unique([c.version for c in self.consent_forms], "consent_forms version")
        unique([c.code for c in self.eligibility], "eligibility code")
        unique([t.testcd for t in self.labs], "labs testcd")
        require(
            self.response.platelet_test in {t.testcd for t in self.labs},
            f"response.platelet_test {self.response.platelet_test!r} is not a labs testcd; "
            f"known: {', '.join(t.testcd for t in self.labs)}",
        )
        hys = (*self.dlt.hys_law_aminotransferase_tests, self.dlt.hys_law_bilirubin_test)
        unknown = [t for t in hys if t not in {lab.testcd for lab in self.labs}]
        require(not unknown, f"dlt: Hy's law tests {unknown} are not labs testcd")
        after = self.response.durable_after_visit
        require(
            any(v.code == after and v.day is not None for v in self.visits),
            f"response.durable_after_visit {after!r} is not a planned visit code",
        )
        unique([v.code for v in self.vital_signs], "vital_signs code")
        unique([m.code for m in self.ecg_measures], "ecg_measures code")
        unique([m.code for m in self.premedications], "premedications code")
        require(bool(self.rescue_types), "medications.rescue_types: at least one type is needed")
        unique(list(self.rescue_types), "medications.rescue_types entry")
        unique(list(self.sdv_full), "monitoring.sdv.full entry")
        known_forms = {code for v in self.visits for code in v.forms}
        strange = [code for code in self.sdv_full if code not in known_forms]
        require(not strange, f"monitoring.sdv.full: {strange} are forms of no visit")

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

    @property
    def early_termination_visit(self) -> VisitDef | None:
        """The visit of a subject who leaves early: no planned day and not the unscheduled one
        (VISITNUM 99); None when the protocol has none."""
        for v in self.visits:
            if v.day is None and not v.unscheduled:
                return v
        return None

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

    def unit_zh(self, unit: str) -> str:
        """The Chinese display of *unit* ("" when the file gives none)."""
        return dict(self.units_zh).get(unit, "")

    def ecg_measure(self, code: str) -> VitalSignDef:
        """Return the ECG measurement *code*; ValueError naming the known codes otherwise."""
        for m in self.ecg_measures:
            if m.code == code:
                return m
        known = ", ".join(m.code for m in self.ecg_measures)
        raise ValueError(f"unknown ECG measurement {code!r}; known: {known}")

    def premedication(self, code: str) -> PremedicationDef:
        """Return the premedication *code*; ValueError naming the known codes otherwise."""
        for m in self.premedications:
            if m.code == code:
                return m
        known = ", ".join(m.code for m in self.premedications)
        raise ValueError(f"unknown premedication {code!r}; known: {known}")
