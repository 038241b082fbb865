"""Dosing: the weight-based dose, the infusion volumes and rates, the premedications."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from studyapp.protocol.invariants import require


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
            require(getattr(self, name) > 0, f"dosing.{name} must be > 0")
        for name in ("reweigh_threshold_pct", "tolerance_pct"):
            require(getattr(self, name) >= 0, f"dosing.{name} must be >= 0")
        require(self.number_of_doses >= 1, "dosing.number_of_doses must be >= 1")
        require(self.interval_days >= 1, "dosing.interval_days must be >= 1")
        require(self.first_dose_day >= 1, "dosing.first_dose_day must be >= 1")

    @property
    def dose_days(self) -> tuple[int, ...]:
        """Planned study days of the doses, e.g. (1, 8, ..., 50)."""
        return tuple(
            self.first_dose_day + i * self.interval_days for i in range(self.number_of_doses)
        )


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
            require(getattr(self, name) > 0, f"infusion.{name} must be > 0")
        require(self.increment_minutes >= 1, "infusion.increment_minutes must be >= 1")
        require(
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
    #: The name in Simplified Chinese ("" when the file gives none).
    name_zh: str = ""

    def __post_init__(self) -> None:
        where = f"premedication {self.code}"
        require(
            0 < self.dose_low <= self.dose_high,
            f"{where}: need 0 < dose_low <= dose_high, got {self.dose_low} / {self.dose_high}",
        )
        require(
            0 <= self.hours_before_low <= self.hours_before_high,
            f"{where}: need 0 <= hours_before_low <= hours_before_high, got "
            f"{self.hours_before_low} / {self.hours_before_high}",
        )
