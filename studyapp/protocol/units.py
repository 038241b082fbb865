"""Laboratory units and their conversion factors to each test's SI unit (DOMAIN.md section 7).

The factors are physical and analytical constants [C], not protocol choices: they are data
here so that the protocol loader can refuse a unit that cannot be converted, and the clinical
rules (``studyapp.clinical.units``) convert with them. The protocol chooses which of these
units a site may enter (``LabTestDef.accepted_units``). Units are CDISC UNIT submission
values; test codes are CDISC LBTESTCD values.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

_COUNT = MappingProxyType({"10^9/L": Decimal(1), "10^3/uL": Decimal(1), "/uL": Decimal("0.001")})
_MASS_DL = MappingProxyType({"g/L": Decimal(1), "g/dL": Decimal(10)})
_ENZYME = MappingProxyType({"U/L": Decimal(1)})
_IG = MappingProxyType({"g/L": Decimal(1), "mg/dL": Decimal("0.01")})

#: testcd -> {unit: factor to the SI unit}; the SI unit is the one with factor 1 listed first.
FACTORS: MappingProxyType[str, MappingProxyType[str, Decimal]] = MappingProxyType(
    {
        "PLAT": _COUNT,
        "WBC": _COUNT,
        "NEUT": _COUNT,
        "LYM": _COUNT,
        "HGB": _MASS_DL,
        "ALB": _MASS_DL,
        "ALT": _ENZYME,
        "AST": _ENZYME,
        "BILI": MappingProxyType({"umol/L": Decimal(1), "mg/dL": Decimal("17.1")}),
        "CREAT": MappingProxyType({"umol/L": Decimal(1), "mg/dL": Decimal("88.4")}),
        "IGG": _IG,
        "IGA": _IG,
        "IGM": _IG,
    }
)


def known_units(testcd: str) -> tuple[str, ...]:
    """Units accepted for *testcd*, SI unit first; ValueError for an unknown test code."""
    try:
        return tuple(FACTORS[testcd])
    except KeyError:
        raise ValueError(f"unknown test code {testcd!r}; known: {', '.join(FACTORS)}") from None
