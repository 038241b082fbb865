"""The data dictionary of the CSV export: for each file and column, its label, type, unit and
codelist with the codes and their labels.

Labels come from the model's own comments (``#: ...`` above a column or ``# ...`` after it,
where the CDASH/SDTM name is written), so the dictionary says what the code says; a column
without a comment gets its name in words. Codelists are those of ``studyapp.codelists`` and,
for the values the protocol chooses (visits, lab tests, bleeding items, rescue types,
relationship steps, criteria), the protocol file.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, Integer, Numeric, Time

from studyapp import codelists
from studyapp.db import UTCDateTime
from studyapp.exports import tables
from studyapp.protocol.loader import get_protocol

HEADER = ("file", "variable", "label", "type", "unit", "codelist", "values")
LEAD_LABELS = {
    "subject": "Subject number (screening number before enrolment)",
    "visitnum": "Visit number (VISITNUM)",
    "visit": "Visit name (VISIT)",
}
_COLUMN = re.compile(r"^\s+(\w+): Mapped\[.*?(?:#\s*(.+))?$")
_DOC = re.compile(r"^\s+#:\s*(.+)$")
#: Where a column's unit is written, when not in ``<column>_unit``.
UNIT_COLUMNS = {
    "sysbp": "bp_unit",
    "diabp": "bp_unit",
    "orres": "orresu",
    "stresn": "stresu",
    "nrlo": "stresu",
    "nrhi": "stresu",
    "given_dose": "dose_unit",
    "planned_dose": "dose_unit",
    "dose": "dose_unit",
    "given_volume": "volume_unit",
    "planned_volume": "volume_unit",
    "reference_weight": "weight_unit",
    "dosing_weight": "weight_unit",
    "rate": "rate_unit",
    "premed_methylpred": "premed_unit",
    "premed_paracetamol": "premed_unit",
    "premed_antihistamine": "premed_unit",
}


@cache
def comments(model: type) -> dict[str, str]:
    """Column name -> the comment written with it in the model's source."""
    found: dict[str, str] = {}
    pending: list[str] = []
    for line in inspect.getsource(model).splitlines():
        if doc := _DOC.match(line):
            pending.append(doc.group(1).strip())
        elif column := _COLUMN.match(line):
            text = " ".join([*pending, column.group(2) or ""]).strip()
            if text:
                found[column.group(1)] = text
            pending = []
        else:
            pending = []
    return found


def type_name(column: Any) -> str:
    kinds = (
        (Boolean, "boolean (Y/N)"),
        (UTCDateTime, "datetime (UTC, ISO 8601)"),
        (Date, "date (ISO 8601)"),
        (Time, "time (local)"),
        (Integer, "integer"),
        (Numeric, "decimal"),
    )
    for kind, name in kinds:
        if isinstance(column.type, kind):
            return name
    return "text"


def _protocol_lists() -> dict[str, Callable[[], list[tuple[str, str]]]]:
    protocol = get_protocol()
    return {
        "visit.code": lambda: [(v.code, v.name) for v in protocol.visits],
        "lab_result.testcd": lambda: [(t.testcd, t.name) for t in protocol.labs],
        "lab_panel.form": lambda: sorted({(t.category, t.category) for t in protocol.labs}),
        "bleeding_item.item": lambda: [(i.code, i.name) for i in protocol.bleeding.items],
        "bleeding_assessment.who_grade": lambda: [
            (str(n), text) for n, text in enumerate(protocol.bleeding.who_grades)
        ],
        "medication.rescue_type": lambda: [(r, r) for r in protocol.rescue_types],
        "adverse_event.relatedness": lambda: [(r, r) for r in protocol.safety.relatedness],
        "eligibility_answer.code": lambda: [(c.code, c.text) for c in protocol.eligibility],
    }


CODELISTS = {
    "adverse_event.aeacn": codelists.ACN,
    "adverse_event.aeout": codelists.AE_OUTCOME,
    "adverse_event.aerel": codelists.AEREL,
    "adverse_event.dlt_decision": codelists.DLT_DECISION,
    "subject.disposition": codelists.DISPOSITION,
    "prior_therapy.category": codelists.THERAPY,
    "prior_therapy.best_response": codelists.PRIOR_RESPONSE,
    "prior_therapy.reason_stopped": codelists.STOP_REASON,
    "medication.category": codelists.CM_CATEGORY,
    "medication.route": codelists.ROUTE,
    "lab_result.nrind": codelists.NRIND,
}


def codelist(key: str) -> tuple[str, str]:
    """(codelist name, "code = label" pairs joined by " | ") of a column, or blanks."""
    if key in CODELISTS:
        found = CODELISTS[key]
        return found.name, " | ".join(f"{code} = {label}" for code, label in found.choices())
    maker = _protocol_lists().get(key)
    if maker is None:
        return "", ""
    return f"protocol: {key}", " | ".join(f"{code} = {label}" for code, label in maker())


def unit(model: type, name: str) -> str:
    table = model.__table__.c  # type: ignore[attr-defined]
    column = UNIT_COLUMNS.get(name, f"{name}_unit")
    return f"as in column {column}" if column in table and column != name else ""


def rows() -> Iterator[tuple[str, ...]]:
    """One row per column of every file of the CSV export."""
    for model in tables.models():
        file = f"{model.__tablename__}.csv"  # type: ignore[attr-defined]
        for lead in tables.LEAD:
            yield file, lead, LEAD_LABELS[lead], "text", "", "", ""
        labels = comments(model)
        for column in tables.columns(model):
            key = f"{model.__tablename__}.{column.name}"  # type: ignore[attr-defined]
            label = labels.get(column.name, column.name.replace("_", " ").capitalize())
            yield (
                file,
                column.name,
                label,
                type_name(column),
                unit(model, column.name),
                *codelist(key),
            )
