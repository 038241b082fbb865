"""What is measured and its limits: lab tests with their normal ranges, vital signs, and the
bleeding scales (WHO grade, ITP-BAT items).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from studyapp.protocol.invariants import require, unique

#: ITP-BAT (SMOG) bleeding domains: Skin, visible Mucosae, Organs (Blood 2013;121:2596).
BLEEDING_DOMAINS = ("S", "M", "O")

#: Highest grade of the WHO bleeding scale (0 none ... 4 debilitating), a definition [C].
WHO_MAX_GRADE = 4

#: Highest grade an ITP-BAT item may have: 5 = fatal bleeding.
BLEEDING_ITEM_MAX_GRADE = 5


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
        require(
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
    #: The name in Simplified Chinese ("" when the file gives none).
    name_zh: str = ""

    def range_for(self, sex: str, on: date) -> NormalRange:
        """The normal range for *sex* in force on *on*: the sex's own, else ``ANY``."""
        in_force = [r for r in self.ranges if r.effective_from is None or r.effective_from <= on]
        for wanted in (sex, "ANY"):
            matching = [r for r in in_force if r.sex == wanted]
            if matching:
                return max(matching, key=lambda r: r.effective_from or date.min)
        raise ValueError(f"lab {self.testcd}: no normal range for sex {sex!r} on {on}")

    def __post_init__(self) -> None:
        require(self.decimals >= 0, f"lab {self.testcd}: decimals must be >= 0")
        require(self.limits.hard_low >= 0, f"lab {self.testcd}: hard_low must be >= 0")
        for r in self.ranges:
            require(r.low <= r.high, f"lab {self.testcd}: normal range low {r.low} > high {r.high}")
            require(
                r.sex in ("M", "F", "ANY"),
                f"lab {self.testcd}: range sex must be M, F or ANY, got {r.sex!r}",
            )
            require(
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
    #: The name in Simplified Chinese ("" when the file gives none).
    name_zh: str = ""

    def __post_init__(self) -> None:
        require(self.decimals >= 0, f"vital sign {self.code}: decimals must be >= 0")


@dataclass(frozen=True)
class BleedingItemDef:
    """One ITP-BAT item: its SMOG domain (``S``, ``M`` or ``O``), code, name and top grade."""

    domain: str
    code: str
    name: str
    max_grade: int
    #: The name in Simplified Chinese ("" when the file gives none).
    name_zh: str = ""

    def __post_init__(self) -> None:
        require(
            self.domain in BLEEDING_DOMAINS,
            f"bleeding item {self.code}: domain must be one of {', '.join(BLEEDING_DOMAINS)}, "
            f"got {self.domain!r}",
        )
        require(
            1 <= self.max_grade <= BLEEDING_ITEM_MAX_GRADE,
            f"bleeding item {self.code}: max_grade must be 1-{BLEEDING_ITEM_MAX_GRADE}, "
            f"got {self.max_grade}",
        )


@dataclass(frozen=True)
class BleedingScale:
    """Bleeding assessment: WHO grade wording (index = grade 0-4) and the ITP-BAT items."""

    who_grades: tuple[str, ...]
    items: tuple[BleedingItemDef, ...]
    #: ``who_grades`` in Simplified Chinese, same order (empty when the file gives none).
    who_grades_zh: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require(
            len(self.who_grades) == WHO_MAX_GRADE + 1,
            f"bleeding.who_grades: need {WHO_MAX_GRADE + 1} descriptions (grades 0-"
            f"{WHO_MAX_GRADE}), got {len(self.who_grades)}",
        )
        require(
            not self.who_grades_zh or len(self.who_grades_zh) == len(self.who_grades),
            f"bleeding.who_grades_zh: need one per WHO grade ({len(self.who_grades)}), "
            f"got {len(self.who_grades_zh)}",
        )
        require(bool(self.items), "bleeding.items: at least one item is needed")
        unique([i.code for i in self.items], "bleeding item code")
        missing = [d for d in BLEEDING_DOMAINS if d not in {i.domain for i in self.items}]
        require(not missing, f"bleeding.items: no item for domain(s) {', '.join(missing)}")

    def item(self, code: str) -> BleedingItemDef:
        """Return the item *code*; ValueError naming the known codes otherwise."""
        for i in self.items:
            if i.code == code:
                return i
        known = ", ".join(i.code for i in self.items)
        raise ValueError(f"unknown bleeding item {code!r}; known: {known}")


@dataclass(frozen=True)
class VirologyRule:
    """HBV monitoring (daratumumab can reactivate hepatitis B; DOMAIN.md sections 3 and 7).

    ``hbv_dna_threshold``: an HBV DNA at or above it (``hbv_dna_unit``, inclusive) is viraemia
    the investigator confirms; ``hbv_monitoring_months`` after the last infusion HBV is followed.
    """

    hbv_dna_unit: str
    hbv_dna_threshold: Decimal
    hbv_dna_hard_high: Decimal
    hbv_monitoring_months: int

    def __post_init__(self) -> None:
        require(self.hbv_dna_threshold > 0, "virology.hbv_dna_threshold must be > 0")
        require(
            self.hbv_dna_hard_high > self.hbv_dna_threshold,
            "virology.hbv_dna_hard_high must be above hbv_dna_threshold",
        )
        require(self.hbv_monitoring_months >= 0, "virology.hbv_monitoring_months must be >= 0")


@dataclass(frozen=True)
class BloodBankRule:
    """Blood bank interference: the indirect antiglobulin test may be falsely positive until
    ``interference_months`` calendar months after the last infusion (DOMAIN.md section 3)."""

    interference_months: int

    def __post_init__(self) -> None:
        require(self.interference_months >= 1, "blood_bank.interference_months must be >= 1")
