"""Laboratory forms (LB): blood count, chemistry and immunoglobulins of a visit.

One ``LabPanel`` per visit and form (CBC, CHEM, IG) holds the sample date and the status; one
``LabResult`` per test keeps the value and unit as entered (LBORRES/LBORRESU) and the value
converted to the SI unit (LBSTRESN/LBSTRESU, ``clinical.units``), the normal range in force for
the subject's sex on the sample date (LBSTNRLO/HI), the flag (LBNRIND) and the CTCAE v5.0 grade
(LBTOXGR, ``clinical.grading``). Tests, units, ranges, limits and decimals come from the
protocol's ``[[labs]]``; a blank value means the test was not done.

The same ``interpret`` serves the save, the page and the live preview, so a flag or grade shown
while typing is the one stored. A grade at or above ``safety.ae_task_min_grade`` asks the
investigator to record an adverse event or say why it is not one (``findings``, ``ae_prompts``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical import checks as rules
from studyapp.clinical.ctcae_tables import TABLES
from studyapp.clinical.grading import lab_grade
from studyapp.clinical.units import convert
from studyapp.db import site_today
from studyapp.errors import NotFound, StaleVersion, ValidationFailed
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import LabTestDef
from studyapp.subjects.models import Subject
from studyapp.visits import crf, summary
from studyapp.visits.calendar import CalendarRow
from studyapp.visits.checks import EditChecks
from studyapp.visits.models import LabPanel, LabResult, Visit

#: Lab form code -> the protocol's lab category (``LabTestDef.category``).
FORM_CATEGORIES = {"CBC": "CBC", "CHEM": "CHEMISTRY", "IG": "IMMUNOGLOBULINS"}
#: The disease marker: in ITP patients enter with platelet grade 3-4, so a low count is an AE
#: only on significant worsening (DOMAIN.md section 6); its prompt says so.
DISEASE_TEST = "PLAT"
#: Decimal places of LabResult's numeric columns; the SI value of an accepted entry fits them.
STORED_PLACES = 4


@dataclass(frozen=True)
class LabEntry:
    """A submitted lab form: sample date/time and, per test code, (value, unit) as typed."""

    lb_date: date | None
    lb_time: time | None
    values: Mapping[str, tuple[Decimal | None, str | None]]


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


@dataclass(frozen=True)
class Finding:
    """A result graded at or above the protocol's AE task grade (SI value and unit)."""

    testcd: str
    term: str
    grade: int
    value: Decimal
    unit: str
    on: date | None
    visitnum: str
    form: str
    result_id: int | None = None


@dataclass(frozen=True)
class Preview:
    """What the page shows next to a value as it is typed (the live cell)."""

    reading: Reading
    warning: str | None
    prompt: str | None


@dataclass
class LabPage:
    """A lab form of a visit: its tests, the saved panel and results by test code."""

    ctx: crf.VisitContext
    form: str
    tests: tuple[LabTestDef, ...]
    panel: LabPanel | None
    results: dict[str, LabResult]


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
    return str(_("%(lo)s–%(hi)s %(u)s", lo=number_text(low), hi=number_text(high), u=test.si_unit))


def number_text(value: Decimal) -> str:
    """A number without trailing zeros: 45.000 -> "45", 25.650 -> "25.65"."""
    number = Decimal(value)
    if number == number.to_integral():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


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


def sample_day(page: LabPage, lb_date: date | None) -> date:
    """The date ranges and grades are read on: the sample's, else the visit's, else today."""
    return lb_date or page.ctx.visit.visit_date or site_today()


# -- pages and saving -------------------------------------------------------------------------


def _require_form(row: CalendarRow, form: str) -> None:
    if form not in row.forms:
        raise NotFound(_("This visit has no %(form)s form.", form=form))


def panel_for(visit: Visit, form: str) -> LabPanel | None:
    if visit.id is None:
        return None
    return db.session.scalar(
        select(LabPanel).where(
            LabPanel.visit_id == visit.id, LabPanel.form == form, LabPanel.deleted_at.is_(None)
        )
    )


def results_of(panel: LabPanel | None) -> dict[str, LabResult]:
    if panel is None or panel.id is None:
        return {}
    rows = db.session.scalars(
        select(LabResult).where(LabResult.panel_id == panel.id, LabResult.deleted_at.is_(None))
    )
    return {r.testcd: r for r in rows}


def page(actor: User, subject_id: int, visitnum: str, form: str) -> LabPage:
    """A lab form of a visit for reading (the visit must list the form)."""
    tests = tests_for(form)
    ctx = crf.load(actor, subject_id, visitnum)
    _require_form(ctx.row, form)
    panel = panel_for(ctx.visit, form)
    return LabPage(ctx, form, tests, panel, results_of(panel))


def stored_values(result: LabResult | None) -> tuple[Decimal | None, str | None]:
    """(value, unit) of a saved result as entered, without trailing zeros."""
    if result is None or result.orres is None:
        return None, None
    return Decimal(number_text(result.orres)), result.orresu


def _check_version(lab: LabPage, version: int | None) -> None:
    try:
        crf.check_version(lab.panel, version)
    except StaleVersion as exc:
        for testcd, result in lab.results.items():
            value, unit = stored_values(result)
            exc.current[value_field(testcd)] = None if value is None else str(value)
            exc.current[unit_field(testcd)] = unit
        raise


def _check(lab: LabPage, entry: LabEntry, checks: EditChecks) -> dict[str, Decimal | None]:
    crf.date_checks(checks, "lb_date", entry.lb_date, lab.ctx, _("Sample date"))
    si_values = {
        t.testcd: check_value(checks, t, *entry.values.get(t.testcd, (None, None)))
        for t in lab.tests
    }
    typed = [entry.values.get(t.testcd, (None, None))[0] for t in lab.tests]
    if checks.completing and all(v is None for v in typed):
        checks.error("results", _("Enter at least one result, or save as draft."))
    return si_values


def save(
    actor: User,
    subject_id: int,
    visitnum: str,
    form: str,
    entry: LabEntry,
    *,
    visit_date: date | None = None,
    version: int | None = None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> LabPanel:
    """Save a lab form of a visit: the panel, then one result per test typed.

    A cleared value of a saved result empties it (a change: needs a reason, audited). When only
    results change, the panel is touched so that its version moves (optimistic lock).
    """
    tests = tests_for(form)
    ctx = crf.open_for_entry(actor, subject_id, visitnum, visit_date)
    _require_form(ctx.row, form)
    panel = panel_for(ctx.visit, form)
    lab = LabPage(ctx, form, tests, panel, results_of(panel))
    _check_version(lab, version)
    checks = EditChecks(completing=completing)
    si_values = _check(lab, entry, checks)
    warnings = checks.finish(confirmed)
    set_reason(reason)
    existed = panel is not None
    if panel is None:
        panel = crf.new_record(LabPanel, ctx, form=form)
    panel.lb_date, panel.lb_time = entry.lb_date, entry.lb_time
    panel.confirmed_warnings = warnings
    panel.status = crf.status_for(completing)
    if panel.id is None:
        db.session.flush()
    on = sample_day(lab, entry.lb_date)
    changed = False
    for test in tests:
        value, unit = entry.values.get(test.testcd, (None, None))
        si = si_values[test.testcd]
        reading = None
        if si is not None and value is not None and unit is not None:
            reading = interpret(ctx.subject, test, value, unit, si, on)
        changed |= _apply(lab, panel, test, reading)
    if changed and existed:
        panel.touch()
    db.session.commit()
    return panel


#: The columns a result's value fills; all empty when a saved value is cleared.
RESULT_COLUMNS = ("orres", "orresu", "stresn", "stresu", "nrlo", "nrhi", "nrind", "toxgr")


def _state(result: LabResult) -> tuple[object, ...]:
    return tuple(getattr(result, name) for name in RESULT_COLUMNS)


def _apply(lab: LabPage, panel: LabPanel, test: LabTestDef, reading: Reading | None) -> bool:
    """Write one test's result; True when it changed."""
    result = lab.results.get(test.testcd)
    if reading is None and result is None:
        return False
    if result is None:
        result = LabResult(
            subject_id=lab.ctx.subject.id,
            visit_id=lab.ctx.visit.id,
            panel_id=panel.id,
            testcd=test.testcd,
        )
        db.session.add(result)
    before = _state(result)
    if reading is None:
        for name in RESULT_COLUMNS:
            setattr(result, name, None)
    else:
        result.orres, result.orresu = reading.value, reading.unit
        result.stresn, result.stresu = reading.si, test.si_unit
        result.nrlo, result.nrhi = reading.low, reading.high
        result.nrind, result.toxgr = reading.nrind, reading.grade
    return _state(result) != before


# -- adverse event prompts --------------------------------------------------------------------


def ae_min_grade() -> int:
    return get_protocol().safety.ae_task_min_grade


def findings(
    subject_id: int,
    *,
    visit_id: int | None = None,
    form: str | None = None,
    min_grade: int | None = None,
) -> list[Finding]:
    """Saved results graded >= *min_grade* (default: the protocol's AE task grade).

    For the lab page (a visit's form), the subject page and the safety module (all of a
    subject's findings, by sample date).
    """
    query = (
        select(LabResult, LabPanel.lb_date, LabPanel.form, Visit.visitnum)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .join(Visit, Visit.id == LabResult.visit_id)
        .where(
            LabResult.subject_id == subject_id,
            LabResult.toxgr >= (ae_min_grade() if min_grade is None else min_grade),
            LabResult.stresn.is_not(None),
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
        )
        .order_by(LabPanel.lb_date.asc().nulls_last(), LabResult.id)
    )
    if visit_id is not None:
        query = query.where(LabResult.visit_id == visit_id)
    if form is not None:
        query = query.where(LabPanel.form == form)
    return [
        Finding(
            testcd=r.testcd,
            term=TABLES[r.testcd].term,
            grade=r.toxgr,
            value=Decimal(r.stresn),
            unit=r.stresu or "",
            on=on,
            visitnum=num,
            form=code,
            result_id=r.id,
        )
        for r, on, code, num in db.session.execute(query).all()
    ]


def finding_of(reading: Reading, visitnum: str, form: str) -> Finding | None:
    """The finding a reading would make once saved, if its grade calls for an AE review."""
    if reading.grade is None or reading.grade < ae_min_grade():
        return None
    return Finding(
        testcd=reading.test.testcd,
        term=TABLES[reading.test.testcd].term,
        grade=reading.grade,
        value=reading.si,
        unit=reading.test.si_unit,
        on=reading.on,
        visitnum=visitnum,
        form=form,
    )


def ae_prompt(finding: Finding, platelet_baseline: Decimal | None = None) -> str:
    """The prompt of one finding; for platelets, why a low count is not always an AE.

    e.g. "Grade 3 platelet count decreased (45 x10^9/L on 2026-03-16): record an adverse
    event, or document why it is not one."
    """
    text: str = _(
        "Grade %(g)d %(term)s (%(v)s %(u)s on %(d)s): record an adverse event, "
        "or document why it is not one.",
        g=finding.grade,
        term=finding.term[0].lower() + finding.term[1:],
        v=number_text(finding.value),
        u=unit_text(finding.unit),
        d=finding.on.isoformat() if finding.on else _("no sample date"),
    )
    if finding.testcd != DISEASE_TEST:
        return text
    if platelet_baseline is None:
        note = _(
            "Patients enter this trial with low platelets: a low count is an adverse event "
            "only on significant worsening from baseline."
        )
    else:
        note = _(
            "Baseline platelets %(b)s %(u)s: patients enter with low platelets, so a low count "
            "is an adverse event only on significant worsening from baseline.",
            b=number_text(platelet_baseline),
            u=unit_text(finding.unit),
        )
    return f"{text} {note}"


def ae_prompts(subject: Subject, found: list[Finding]) -> list[str]:
    """The investigator's prompts for *found*, the platelet ones with the baseline count."""
    base = None
    if any(f.testcd == DISEASE_TEST for f in found):
        base, _source = summary.baseline(subject, summary.platelet_counts(subject))
    return [ae_prompt(f, base) for f in found]


def preview(
    actor: User,
    subject_id: int,
    visitnum: str,
    form: str,
    testcd: str,
    value: Decimal,
    unit: str | None,
    on: date | None,
) -> Preview:
    """The live cell of a value being typed; ValidationFailed when the save would refuse it."""
    lab = page(actor, subject_id, visitnum, form)
    test = next((t for t in lab.tests if t.testcd == testcd), None)
    if test is None:
        raise ValidationFailed(_("This form has no test %(t)s.", t=testcd[:8]))
    checks = EditChecks(completing=False)
    si = check_value(checks, test, value, unit)
    if si is None or unit is None:
        messages = [m for found in checks.errors.values() for m in found]
        raise ValidationFailed(" ".join(messages), field_errors=checks.errors)
    saved_on = lab.panel.lb_date if lab.panel else None
    reading = interpret(lab.ctx.subject, test, value, unit, si, on or sample_day(lab, saved_on))
    warnings = checks.warnings.get(value_field(testcd))
    finding = finding_of(reading, visitnum, form)
    return Preview(
        reading=reading,
        warning=" ".join(warnings) if warnings else None,
        prompt=ae_prompts(lab.ctx.subject, [finding])[0] if finding else None,
    )
