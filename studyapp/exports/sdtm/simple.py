"""Findings of the simple visit forms (``visits.assessments``): PE (physical examination), EG
(ECG) and, added to LB, the virology, blood bank and anti-platelet antibody results.

Registry-driven: every form code with a field list goes to its registry domain, one row per
answered field (the date field dates the row). The test code is the column name (at most 8
characters), the test name its English label, a coded answer its CDISC code, a number its
value with its unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from studyapp.crf import registry
from studyapp.exports.csvfile import number_text
from studyapp.exports.sdtm.common import SubjectRef, dtc
from studyapp.exports.sdtm.spec import MAX_CHAR, NUM, Domain, variables
from studyapp.extensions import db


def _result(value: Any) -> tuple[str | None, Decimal | int | None]:
    """(character result, numeric result) of a stored answer."""
    if isinstance(value, bool):
        return ("Y" if value else "N"), None
    if isinstance(value, Decimal | int):
        return number_text(value), value
    return (str(value)[:MAX_CHAR] if value is not None else None), None


def simple_rows(ref: SubjectRef, domain: str) -> Iterator[dict[str, Any]]:
    """The rows of *domain* from every simple form the registry sends there."""
    for entry in registry.FORMS.values():
        form = entry.field_list()
        if form is None or entry.domain != domain:
            continue
        model: Any = form.model
        query = select(model).where(model.subject_id == ref.subject.id, model.deleted_at.is_(None))
        for row in db.session.scalars(query.order_by(model.id)):
            if row.visit_id in ref.visits:
                yield from _findings(ref, entry.code, form, row, domain)


def _findings(ref: SubjectRef, code: str, form: Any, row: Any, domain: str) -> Iterator[dict]:
    with force_locale("en"):
        names = {f.name: str(f.label) for f in form.fields}
    for field in form.fields:
        value = getattr(row, field.name)
        if field.name == form.date_field or value is None:
            continue
        text, number = _result(value)
        unit = getattr(row, f"{field.name}_unit", None)
        yield {
            f"{domain}TESTCD": field.name.replace("_", "").upper()[:8],
            f"{domain}TEST": names[field.name],
            f"{domain}CAT": code,
            f"{domain}ORRES": text,
            f"{domain}ORRESU": unit,
            f"{domain}STRESC": text,
            f"{domain}STRESN": number,
            f"{domain}STRESU": unit,
            **ref.visit(row.visit_id),
            f"{domain}DTC": dtc(getattr(row, form.date_field)),
        }


def _domain(code: str, label: str, what: str) -> Domain:
    return Domain(
        code,
        label,
        variables(
            code,
            ("--TESTCD", f"{what} Short Name"),
            ("--TEST", f"{what} Name"),
            ("--CAT", "Category (CRF Form Code)"),
            ("--ORRES", "Result or Finding in Original Units"),
            ("--ORRESU", "Original Units"),
            ("--STRESC", "Character Result/Finding in Std Format"),
            ("--STRESN", "Numeric Result/Finding in Standard Units", NUM),
            ("--STRESU", "Standard Units"),
            ("VISITNUM", "Visit Number", NUM),
            ("VISIT", "Visit Name"),
            ("EPOCH", "Epoch"),
            ("--DTC", "Date/Time of Collection"),
            ("--DY", "Study Day of Collection", NUM),
        ),
        lambda ref: simple_rows(ref, code),
        days={f"{code}DY": f"{code}DTC"},
        epoch_from=f"{code}DTC",
    )


PE = _domain("PE", "Physical Examination", "Examination")
EG = _domain("EG", "ECG Test Results", "ECG Test")

DOMAINS = (PE, EG)
