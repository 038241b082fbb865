"""The ODM data dictionary: measurement units, codelists, and which column uses which.

Units come from the protocol (lab SI and accepted units, vital-sign units, premedication
units) and from the dosing and vital-signs services (mg, mL, mL/h, kg/m2). Codelists are the
stored codelists of ``studyapp.codelists`` and the ones the protocol chooses (lab tests,
bleeding items, relationship steps, rescue types); each decode is given in English and, where
the message catalogue translates it, in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from flask_babel import force_locale
from flask_babel import gettext as _

from studyapp import codelists
from studyapp.protocol.loader import get_protocol
from studyapp.subjects import labels
from studyapp.visits.dosing.checks import DOSE_UNIT, RATE_UNIT, VOLUME_UNIT
from studyapp.visits.vitals.service import BMI_UNIT, MEASURES, UNIT_COLUMNS

CHINESE = "zh_Hans"
#: Number column -> the column holding its unit, beyond the vital-signs page's own table.
_UNIT_OF = {
    "orres": "orresu",
    "stresn": "stresu",
    "nrlo": "stresu",
    "nrhi": "stresu",
    "bmi": "bmi_unit",
    "reference_weight": "weight_unit",
    "dosing_weight": "weight_unit",
    "planned_dose": "dose_unit",
    "given_dose": "dose_unit",
    "planned_volume": "volume_unit",
    "given_volume": "volume_unit",
    "premed_methylpred": "premed_unit",
    "premed_paracetamol": "premed_unit",
    "premed_antihistamine": "premed_unit",
    "rate": "rate_unit",
}
#: (table, column) -> name of its codelist.
CODELIST_OF = {
    ("adverse_event", "aeacn"): codelists.ACN.name,
    ("adverse_event", "aeout"): codelists.AE_OUTCOME.name,
    ("adverse_event", "aerel"): codelists.AEREL.name,
    ("adverse_event", "dlt_decision"): codelists.DLT_DECISION.name,
    ("adverse_event", "relatedness"): "relatedness",
    ("medication", "category"): codelists.CM_CATEGORY.name,
    ("medication", "route"): codelists.ROUTE.name,
    ("medication", "rescue_type"): "rescue",
    ("lab_result", "nrind"): codelists.NRIND.name,
    ("lab_result", "testcd"): "lbtestcd",
    ("bleeding_item", "item"): "bleeding_item",
    ("prior_therapy", "category"): codelists.THERAPY.name,
    ("prior_therapy", "best_response"): codelists.PRIOR_RESPONSE.name,
    ("prior_therapy", "reason_stopped"): codelists.STOP_REASON.name,
    ("subject", "disposition"): codelists.DISPOSITION.name,
}


@dataclass(frozen=True)
class Term:
    code: str
    english: str
    chinese: str | None


@dataclass(frozen=True)
class CodeList:
    name: str
    terms: tuple[Term, ...]

    @property
    def oid(self) -> str:
        return f"CL.{self.name.upper()}"


def unit_oid(symbol: str) -> str:
    return "MU." + re.sub(r"[^A-Za-z0-9]+", "_", symbol).strip("_")


def unit_column(column: str) -> str:
    return _UNIT_OF.get(column) or UNIT_COLUMNS.get(column) or f"{column}_unit"


@cache
def units() -> tuple[str, ...]:
    """Every unit symbol the study uses, each once, in a stable order."""
    p = get_protocol()
    found: list[str] = []
    for test in p.labs:
        found += [test.si_unit, *test.accepted_units]
    found += [v.unit for v in p.vital_signs] + [m.unit for m in p.premedications]
    found += [DOSE_UNIT, VOLUME_UNIT, RATE_UNIT, BMI_UNIT]
    return tuple(dict.fromkeys(found))


def lab_units(si_only: bool = False) -> tuple[str, ...]:
    out: list[str] = []
    for test in get_protocol().labs:
        out += [test.si_unit] if si_only else [test.si_unit, *test.accepted_units]
    return tuple(dict.fromkeys(out))


def item_units(table: str, column: str) -> tuple[str, ...]:
    """The units the protocol defines for a number column (ItemDef MeasurementUnitRef)."""
    if column == "orres":
        return lab_units()
    if column in ("stresn", "nrlo", "nrhi"):
        return lab_units(si_only=True)
    vital = vital_sign(column)
    return (vital.unit,) if vital is not None else ()


def vital_sign(column: str):  # type: ignore[no-untyped-def]
    """The protocol's vital sign a VitalSigns column records (limits, unit), if any."""
    code = MEASURES.get(column)
    return next((v for v in get_protocol().vital_signs if v.code == code), None)


def limits(column: str) -> tuple[tuple[str, str, Decimal], ...]:
    """RangeCheck (SoftHard, Comparator, value) of a column the protocol bounds."""
    vital = vital_sign(column)
    if vital is None:
        return ()
    lim = vital.limits
    return (
        ("Hard", "GE", lim.hard_low),
        ("Hard", "LE", lim.hard_high),
        ("Soft", "GE", lim.plausible_low),
        ("Soft", "LE", lim.plausible_high),
    )


def _chinese(label: object, english: str) -> str | None:
    with force_locale(CHINESE):
        translated = str(label) if not isinstance(label, str) else _(label)
    return translated if translated != english else None


def both(label: object) -> tuple[str, str | None]:
    """A label in English, and in Chinese where the catalogue translates it."""
    with force_locale("en"):
        english = str(label)
    return english, _chinese(label, english)


def _terms(pairs: Iterable[tuple[str, object]]) -> tuple[Term, ...]:
    return tuple(Term(code, *both(label)) for code, label in pairs)


def all_codelists() -> tuple[CodeList, ...]:
    """The codelists the items use, with English and Chinese decodes."""
    p = get_protocol()
    chosen = {
        "relatedness": [(c, labels.RELATEDNESS.get(c, c)) for c in p.safety.relatedness],
        "rescue": [(c, labels.RESCUE.get(c, c)) for c in p.rescue_types],
        "lbtestcd": [(t.testcd, t.name) for t in p.labs],
        "bleeding_item": [(i.code, i.name) for i in p.bleeding.items],
    }
    used = set(CODELIST_OF.values())
    stored = [CodeList(c.name, _terms(c.items)) for c in codelists.ALL.values() if c.name in used]
    return (*stored, *(CodeList(name, _terms(pairs)) for name, pairs in chosen.items()))
