"""Significant platelet worsening (DOMAIN.md section 6): hand-worked cases and their edges."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from studyapp.clinical.platelet_ae import significant_platelet_worsening
from studyapp.protocol.loader import get_protocol

PROTOCOL = get_protocol()
RULE = PROTOCOL.safety
PLAT = PROTOCOL.response.platelet_test


def worse(count: float, baseline: float, lln: float | None = None) -> bool:
    return significant_platelet_worsening(count, baseline, testcd=PLAT, rule=RULE, lln=lln)


@pytest.mark.parametrize(
    ("baseline", "count", "expected"),
    [
        # DOMAIN.md section 6, as written
        (40, 20, True),  # G3 -> G4
        (24, 8, True),  # both G4; 8 < 10 and 8 < 12
        (14, 8, False),  # both G4; 8 > 7 (half of 14)
        (14, 6, True),  # 6 < 10 and 6 < 7
        # the grade rule at the CTCAE boundaries (25 -> G3, 24 -> G4; 50 -> G2, 49 -> G3)
        (25, 24, True),
        (26, 25, False),  # both G3
        (50, 49, True),
        (50, 25, True),  # G2 -> G3
        (49, 25, False),  # both G3
        # the absolute rule: strictly below 10 and strictly below half the baseline
        (20, 9.9, True),
        (20, 10, False),  # not below 10, both G4
        (19, 9.5, False),  # exactly half: not below
        (19, 9.4, True),
        (12, 5.9, True),  # the day after half
        (12, 6, False),
        # a count at or above baseline never prompts, however low
        (8, 8, False),
        (8, 9, False),
        (0, 0, False),
        (40, 40, False),
    ],
)
def test_significant_worsening(baseline: float, count: float, expected: bool) -> None:
    assert worse(count, baseline) is expected


def test_grade_1_needs_the_lln_and_uses_it() -> None:
    assert worse(80, 120, lln=100) is True  # G1 (below LLN) from normal
    assert worse(110, 120, lln=100) is False  # both normal
    assert worse(76, 80, lln=100) is False  # both G1
    with pytest.raises(ValueError, match="lln"):
        worse(80, 120)


def test_the_thresholds_come_from_the_protocol() -> None:
    strict = replace(
        RULE,
        platelet_worsening_below=Decimal(5),
        platelet_worsening_baseline_fraction=Decimal("0.25"),
    )
    assert significant_platelet_worsening(6, 14, testcd=PLAT, rule=strict) is False
    assert significant_platelet_worsening(3, 14, testcd=PLAT, rule=strict) is True


@pytest.mark.parametrize("bad", [-1, float("nan"), "8", True])
def test_bad_values_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="count"):
        significant_platelet_worsening(bad, 14, testcd=PLAT, rule=RULE)  # type: ignore[arg-type]
