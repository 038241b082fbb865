"""Reading a laboratory value against the protocol: units, checks, normal range, flag, grade.

Tests, units, ranges, limits and decimals come from the protocol's ``[[labs]]``. ``check_value``
refuses what the save refuses; ``interpret`` reads an accepted value: converted to the SI unit
(``clinical.units``), the normal range in force for the subject's sex on the sample date, the
flag (LBNRIND) and the CTCAE v5.0 grade (``clinical.grading``, against the subject's baseline
where the criteria need it). The same reading serves the save, the page and the live preview,
so a flag or grade shown while typing is the one stored. Also the form's field names and the
way numbers and units are written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.clinical import checks as rules
from studyapp.clinical.ctcae_tables import TABLES
from studyapp.clinical.grading import lab_grade
from studyapp.clinical.units import convert
from studyapp.crf.checks import EditChecks
from studyapp.errors import NotFound
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.localized import local_unit
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import LabTestDef
from studyapp.subjects.models import Subject
from studyapp.visits.models import LabPanel, LabResult

#: Lab form code -> the protocol's lab category (``LabTestDef.category``).
FORM_CATEGORIES = {"CBC": "CBC", "CHEM": "CHEMISTRY", "IG": "IMMUNOGLOBULINS"}
#: Decimal places of LabResult's numeric columns; the SI value of an accepted entry fits them.
STORED_PLACES = 4


@dataclass(frozen=True)
class Reading:
    """One value read against the protocol: SI value, normal range, flag and CTCAE grade."""

    test: LabTestDef
    value: Decimal
    unit: str
    si: Decimal
    low: Decimal
    high: Decimal
    nrind: str
    grade: int | None
    on: date

    @property
    def range_text(self) -> str:
        return range_text(self.test, self.low, self.high)


# -- protocol ---------------------------------------------------------------------------------


def tests_for(form: str) -> tuple[LabTestDef, ...]:
    """The protocol's tests of a lab form, in protocol order; NotFound for another code."""
    category = FORM_CATEGORIES.get(form)
    if category is None:
        raise NotFound(_("No such laboratory form."))
    return tuple(t for t in get_protocol().labs if t.category == category)


def unit_choices(test: LabTestDef) -> tuple[str, ...]:
    """The SI unit, then the other units the protocol accepts for the test."""
    return (test.si_unit, *(u for u in test.accepted_units if u != test.si_unit))


def value_field(testcd: str) -> str:
    return testcd.lower()


def unit_field(testcd: str) -> str:
    return f"{testcd.lower()}_unit"


def typed_places(test: LabTestDef, unit: str) -> int:
    """Decimal places allowed for a value typed in *unit*: as fine as the SI value's.

    The protocol's ``decimals`` apply to the SI unit; a unit 10x larger allows one more place
    (Hb 9.5 g/dL = 95 g/L), a unit 1000x smaller three fewer (45000 /uL = 45 x10^9/L).
    """
    factor = convert(Decimal(1), unit, test.si_unit, test.testcd)
    return max(0, test.decimals + math.ceil(factor.log10()))


def range_text(test: LabTestDef, low: Decimal, high: Decimal) -> str:
    unit = local_unit(test.si_unit)
    return str(_("%(lo)s–%(hi)s %(u)s", lo=plain_number(low), hi=plain_number(high), u=unit))


def unit_text(unit: str) -> str:
    """A unit after a number: 10^9/L reads "x10^9/L"."""
    return f"x{unit}" if unit.startswith("10^") else unit


# -- reading values ---------------------------------------------------------------------------


def uses_baseline(testcd: str) -> bool:
    """True when the CTCAE criteria of the test depend on the baseline (ALT, AST, BILI, CREAT)."""
    table = TABLES.get(testcd)
    if table is None:
        return False
    return table.abnormal_baseline is not None or any(c.basis == "BL" for c in table.cuts)


def baseline_value(subject: Subject, testcd: str) -> Decimal | None:
    """The subject's baseline of a test: its latest SI result sampled on or before Day 1."""
    if subject.day1_date is None:
        return None
    value = db.session.scalars(
        select(LabResult.stresn)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .where(
            LabResult.subject_id == subject.id,
            LabResult.testcd == testcd,
            LabResult.stresn.is_not(None),
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
            LabPanel.lb_date <= subject.day1_date,
        )
        .order_by(LabPanel.lb_date.desc(), LabResult.id.desc())
    ).first()
    return None if value is None else Decimal(value)


def grading_baseline(subject: Subject, test: LabTestDef, on: date) -> Decimal | None:
    """The baseline a post-dose value is graded against; None for pre-dose samples."""
    if not test.ctcae_graded or not uses_baseline(test.testcd):
        return None
    if subject.day1_date is None or on <= subject.day1_date:
        return None
    return baseline_value(subject, test.testcd)


def check_value(
    checks: EditChecks, test: LabTestDef, value: Decimal | None, unit: str | None
) -> Decimal | None:
    """Unit among the choices, limits on the SI value, decimals on the value typed.

    Returns the SI value, or None when the value is blank or refused.
    """
    if value is None:
        return None
    field = value_field(test.testcd)
    if unit not in unit_choices(test):
        checks.error(
            unit_field(test.testcd),
            _("Choose one of the units: %(units)s.", units=", ".join(unit_choices(test))),
        )
        return None
    if not Decimal(value).is_finite():
        checks.error(field, _("Enter a number."))
        return None
    si = convert(value, unit, test.si_unit, test.testcd)
    checks.number(field, si, test.limits, test.si_unit, STORED_PLACES)
    places = typed_places(test, unit)
    if field not in checks.errors and not rules.decimals_ok(Decimal(value), places):
        checks.error(field, _("At most %(n)d decimal places in %(u)s.", n=places, u=unit))
    return None if field in checks.errors else si


def interpret(
    subject: Subject, test: LabTestDef, value: Decimal, unit: str, si: Decimal, on: date
) -> Reading:
    """Normal range (sex, sample date), NRIND and CTCAE grade of an accepted value."""
    normal = test.range_for(subject.sex, on)
    grade = None
    if test.ctcae_graded:
        base = grading_baseline(subject, test, on)
        grade = lab_grade(test.testcd, si, test.si_unit, normal.low, normal.high, base)
    return Reading(
        test=test,
        value=Decimal(value),
        unit=unit,
        si=si,
        low=normal.low,
        high=normal.high,
        nrind=rules.normal_range_flag(si, normal.low, normal.high),
        grade=grade,
        on=on,
    )


def read(
    subject: Subject, test: LabTestDef, value: Decimal | None, unit: str | None, on: date
) -> Reading | None:
    """The reading of a value as typed, or None when it is blank or would be refused."""
    checks = EditChecks(completing=False)
    si = check_value(checks, test, value, unit)
    if si is None or value is None or unit is None:
        return None
    return interpret(subject, test, value, unit, si, on)
