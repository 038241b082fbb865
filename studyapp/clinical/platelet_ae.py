"""When a low platelet count is an adverse event: significant worsening (DOMAIN.md section 6).

Patients enter this ITP trial with CTCAE grade 3-4 platelet counts, so a low count is an AE
only on significant worsening [P]: a count below the baseline count (section 4: the last count
on or before Day 1 pre-dose) that either

* has a CTCAE v5.0 grade higher than the baseline count's grade, or
* is below ``platelet_worsening_below`` (10 x10^9/L) and below
  ``platelet_worsening_baseline_fraction`` (0.5) x baseline (both strict).

A count at or above the baseline (the baseline itself included) never prompts. Hand-worked:
baseline 40 (G3) then 20 (G4): prompt; 24 then 8 (both G4, 8 < 10 and 8 < 12): prompt;
14 then 8 (8 > 7): no prompt; 14 then 6: prompt.
"""

from __future__ import annotations

from studyapp.clinical.grading import lab_grade
from studyapp.clinical.units import Number, si_unit, to_decimal
from studyapp.protocol.model import SafetyRule


def significant_platelet_worsening(
    count: Number,
    baseline: Number,
    *,
    testcd: str,
    rule: SafetyRule,
    lln: Number | None = None,
) -> bool:
    """True when platelet *count* is a significant worsening from *baseline* (module docstring).

    *count*, *baseline* and *lln* (the laboratory's lower limit, needed only to grade counts at
    or above the lowest absolute CTCAE bound) are in the SI unit of *testcd* (10^9/L).
    ValueError for a negative or non-finite value, or a grade that needs the missing LLN.
    """
    value = to_decimal(count, "count")
    base = to_decimal(baseline, "baseline")
    if value >= base:
        return False
    if (
        value < rule.platelet_worsening_below
        and value < rule.platelet_worsening_baseline_fraction * base
    ):
        return True
    unit = si_unit(testcd)
    count_grade = lab_grade(testcd, value, unit, lln, None) or 0
    return count_grade > (lab_grade(testcd, base, unit, lln, None) or 0)
