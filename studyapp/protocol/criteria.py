"""The criteria a subject is judged by: eligibility at screening, response on treatment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from studyapp.protocol.invariants import require

#: Comparison operators a machine-checkable eligibility criterion may use.
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")


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
    #: The text in Simplified Chinese ("" when the file gives none).
    text_zh: str = ""

    def __post_init__(self) -> None:
        where = f"eligibility {self.code}"
        require(
            self.kind in ("inclusion", "exclusion"),
            f"{where}: kind must be inclusion or exclusion, got {self.kind!r}",
        )
        require(
            self.check in ("machine", "investigator"),
            f"{where}: check must be machine or investigator, got {self.check!r}",
        )
        if self.check == "machine":
            require(
                self.field is not None and self.operator in OPERATORS and self.value is not None,
                f"{where}: a machine criterion needs field, operator "
                f"(one of {', '.join(OPERATORS)}) and value",
            )
        if self.effective_from and self.effective_to:
            require(
                self.effective_from <= self.effective_to,
                f"{where}: effective_from is after effective_to",
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
    #: Durable response reads the counts dated after this visit (code; end of treatment [P]).
    durable_after_visit: str

    def __post_init__(self) -> None:
        require(
            0 < self.r_threshold < self.cr_threshold,
            "response: need 0 < r_threshold < cr_threshold",
        )
        require(self.r_baseline_multiple > 0, "response.r_baseline_multiple must be > 0")
        require(self.confirmation_days >= 1, "response.confirmation_days must be >= 1")
        require(self.loss_confirmation_days >= 1, "response.loss_confirmation_days must be >= 1")
        require(self.rescue_exclusion_days >= 0, "response.rescue_exclusion_days must be >= 0")
        require(
            1 <= self.bleeding_min_who_grade <= 4, "response.bleeding_min_who_grade must be 1-4"
        )
        require(1 <= self.durable_k <= self.durable_n, "response: need 1 <= durable_k <= durable_n")
