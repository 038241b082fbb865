"""Findings: LB (laboratory: the result as entered and in the SI unit, with ranges, the range
indicator and the CTCAE grade), VS (vital signs) and XB, the custom findings domain of the
bleeding assessments (WHO grade, ITP-BAT SMOG domain grades and items; DOMAIN.md section 8)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from studyapp.clinical import units
from studyapp.clinical.study_day import full_date
from studyapp.exports.csvfile import number_text
from studyapp.exports.sdtm.common import SubjectRef, dtc
from studyapp.exports.sdtm.simple import simple_rows
from studyapp.exports.sdtm.spec import NUM, Domain, variables
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.visits.models import (
    BleedingAssessment,
    BleedingItem,
    LabPanel,
    LabResult,
    VitalSigns,
)

#: Original-unit reference ranges are converted back from the SI ones to this precision.
PLACES = Decimal("0.0001")


def text(number: Decimal | int | None) -> str | None:
    return None if number is None else number_text(number)


def original(limit: Decimal | None, result: LabResult) -> Decimal | None:
    """A reference limit in the unit the result was entered in (from the unit table)."""
    if limit is None or result.orresu is None or result.stresu is None:
        return None
    try:
        return units.convert(limit, result.stresu, result.orresu, result.testcd).quantize(PLACES)
    except ValueError:
        return None


def _lab(result: LabResult) -> dict[str, Any]:
    try:
        test = get_protocol().lab(result.testcd)
        name, category = test.name, test.category
    except ValueError:
        name, category = result.testcd, None
    return {
        "LBTESTCD": result.testcd,
        "LBTEST": name,
        "LBCAT": category,
        "LBORRES": text(result.orres),
        "LBORRESU": result.orresu,
        "LBORNRLO": text(original(result.nrlo, result)),
        "LBORNRHI": text(original(result.nrhi, result)),
        "LBSTRESC": text(result.stresn),
        "LBSTRESN": result.stresn,
        "LBSTRESU": result.stresu,
        "LBSTNRLO": result.nrlo,
        "LBSTNRHI": result.nrhi,
        "LBNRIND": result.nrind,
        "LBTOXGR": str(result.toxgr) if result.toxgr is not None else None,
    }


def lb_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = (
        select(LabResult, LabPanel)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .where(LabResult.subject_id == ref.subject.id)
        .where(LabResult.deleted_at.is_(None), LabPanel.deleted_at.is_(None))
        .order_by(LabPanel.lb_date, LabPanel.id, LabResult.id)
    )
    rows = [
        {**_lab(result), **ref.visit(result.visit_id), "LBDTC": dtc(panel.lb_date, panel.lb_time)}
        for result, panel in db.session.execute(query)
        if result.visit_id in ref.visits  # not a visit after the cut-off
    ]
    rows += simple_rows(ref, "LB")  # virology, blood bank, anti-platelet antibodies
    rows.sort(key=lambda r: ((r["LBDTC"] or "")[:10], r["VISITNUM"] or 0))
    flag_baseline(rows, ref.rfstdtc)
    yield from rows


def flag_baseline(rows: list[dict[str, Any]], rfstdtc: str | None) -> None:
    """LBLOBXFL: per test, the last result dated on or before the first dose day (the
    baseline rule of the subject page: the last count on or before Day 1)."""
    start = full_date(rfstdtc)
    if start is None:
        return
    last: dict[str, dict[str, Any]] = {}
    for row in rows:
        when = full_date(row["LBDTC"])
        if when is not None and when <= start and row["LBSTRESN"] is not None:
            last[row["LBTESTCD"]] = row
    for row in last.values():
        row["LBLOBXFL"] = "Y"


LB = Domain(
    "LB",
    "Laboratory Test Results",
    variables(
        "LB",
        ("LBTESTCD", "Lab Test or Examination Short Name"),
        ("LBTEST", "Lab Test or Examination Name"),
        ("LBCAT", "Category for Lab Test"),
        ("LBORRES", "Result or Finding in Original Units"),
        ("LBORRESU", "Original Units"),
        ("LBORNRLO", "Reference Range Lower Limit in Orig Unit"),
        ("LBORNRHI", "Reference Range Upper Limit in Orig Unit"),
        ("LBSTRESC", "Character Result/Finding in Std Format"),
        ("LBSTRESN", "Numeric Result/Finding in Standard Units", NUM),
        ("LBSTRESU", "Standard Units"),
        ("LBSTNRLO", "Reference Range Lower Limit-Std Units", NUM),
        ("LBSTNRHI", "Reference Range Upper Limit-Std Units", NUM),
        ("LBNRIND", "Reference Range Indicator"),
        ("LBTOXGR", "Standard Toxicity Grade"),
        ("LBLOBXFL", "Last Observation Before Exposure Flag"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("LBDTC", "Date/Time of Specimen Collection"),
        ("LBDY", "Study Day of Specimen Collection", NUM),
    ),
    lb_rows,
    days={"LBDY": "LBDTC"},
    epoch_from="LBDTC",
)

BMI = ("BMI", "Body Mass Index")


def _vitals(row: VitalSigns) -> Iterator[tuple[str, str, Any, str | None]]:
    """(test code, name, value, unit) of each vital sign the row holds."""
    for sign in get_protocol().vital_signs:
        column = sign.code.lower()
        unit_column = f"{column}_unit" if hasattr(row, f"{column}_unit") else "bp_unit"
        unit = getattr(row, unit_column, None)
        yield sign.code, sign.name, getattr(row, column, None), unit
    yield BMI[0], BMI[1], row.bmi, row.bmi_unit


def vs_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = (
        select(VitalSigns)
        .where(VitalSigns.subject_id == ref.subject.id, VitalSigns.deleted_at.is_(None))
        .order_by(VitalSigns.vs_date, VitalSigns.id)
    )
    for row in db.session.scalars(query):
        if row.visit_id not in ref.visits:
            continue
        for code, name, value, unit in _vitals(row):
            if value is None:
                continue
            yield {
                "VSTESTCD": code,
                "VSTEST": name,
                "VSORRES": text(value),
                "VSORRESU": unit,
                "VSSTRESC": text(value),
                "VSSTRESN": value,
                "VSSTRESU": unit,
                **ref.visit(row.visit_id),
                "VSDTC": dtc(row.vs_date, row.vs_time),
            }


VS = Domain(
    "VS",
    "Vital Signs",
    variables(
        "VS",
        ("VSTESTCD", "Vital Signs Test Short Name"),
        ("VSTEST", "Vital Signs Test Name"),
        ("VSORRES", "Result or Finding in Original Units"),
        ("VSORRESU", "Original Units"),
        ("VSSTRESC", "Character Result/Finding in Std Format"),
        ("VSSTRESN", "Numeric Result/Finding in Standard Units", NUM),
        ("VSSTRESU", "Standard Units"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("VSDTC", "Date/Time of Measurements"),
        ("VSDY", "Study Day of Vital Signs", NUM),
    ),
    vs_rows,
    days={"VSDY": "VSDTC"},
    epoch_from="VSDTC",
)

WHO = ("WHOGRADE", "WHO Bleeding Grade", "WHO")
SMOG = ("SMOG", "ITP-BAT SMOG Score", "ITP-BAT")
SMOG_DOMAINS = {"S": "skin_grade", "M": "mucosa_grade", "O": "organ_grade"}


def _finding(code: str, name: str, cat: str, value: Any, scat: str | None = None) -> dict[str, Any]:
    numeric = value if isinstance(value, int) else None
    return {
        "XBTESTCD": code,
        "XBTEST": name,
        "XBCAT": cat,
        "XBSCAT": scat,
        "XBORRES": text(value) if numeric is not None else value,
        "XBSTRESC": text(value) if numeric is not None else value,
        "XBSTRESN": numeric,
    }


def _assessment(row: BleedingAssessment) -> Iterator[dict[str, Any]]:
    scale = get_protocol().bleeding
    if row.who_grade is not None:
        yield _finding(*WHO, row.who_grade)
    if row.smog is not None:
        yield _finding(*SMOG, row.smog)
    for domain, column in SMOG_DOMAINS.items():
        grade = getattr(row, column)
        if grade is not None:
            yield _finding(
                f"SMOG{domain}", f"ITP-BAT {domain} Domain Grade", SMOG[2], grade, domain
            )
    names = {item.code: item for item in scale.items}
    items = select(BleedingItem).where(
        BleedingItem.assessment_id == row.id, BleedingItem.deleted_at.is_(None)
    )
    for item in db.session.scalars(items.order_by(BleedingItem.id)):
        found = names.get(item.item)
        yield _finding(
            item.item[:8],
            found.name if found else item.item,
            SMOG[2],
            item.grade,
            found.domain if found else None,
        )


def xb_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = (
        select(BleedingAssessment)
        .where(BleedingAssessment.subject_id == ref.subject.id)
        .where(BleedingAssessment.deleted_at.is_(None))
        .order_by(BleedingAssessment.assessed_date, BleedingAssessment.id)
    )
    for row in db.session.scalars(query):
        if row.visit_id not in ref.visits:
            continue
        for finding in _assessment(row):
            yield {**finding, **ref.visit(row.visit_id), "XBDTC": dtc(row.assessed_date)}


XB = Domain(
    "XB",
    "Bleeding Assessment",
    variables(
        "XB",
        ("XBTESTCD", "Bleeding Test Short Name"),
        ("XBTEST", "Bleeding Test Name"),
        ("XBCAT", "Category (Scale)"),
        ("XBSCAT", "Subcategory (SMOG Domain)"),
        ("XBORRES", "Result or Finding in Original Units"),
        ("XBSTRESC", "Character Result/Finding in Std Format"),
        ("XBSTRESN", "Numeric Result/Finding in Standard Units", NUM),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("XBDTC", "Date/Time of Assessment"),
        ("XBDY", "Study Day of Assessment", NUM),
    ),
    xb_rows,
    days={"XBDY": "XBDTC"},
    epoch_from="XBDTC",
)

DOMAINS = (LB, VS, XB)
