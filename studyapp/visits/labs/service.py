"""Laboratory forms (LB): blood count, chemistry and immunoglobulins of a visit.

One ``LabPanel`` per visit and form (CBC, CHEM, IG) holds the sample date and the status; one
``LabResult`` per test keeps the value and unit as entered (LBORRES/LBORRESU) and the value
converted to the SI unit (LBSTRESN/LBSTRESU), the normal range in force for the subject's sex on
the sample date (LBSTNRLO/HI), the flag (LBNRIND) and the CTCAE v5.0 grade (LBTOXGR), as read by
``labs.readings``; a blank value means the test was not done.

This module holds the form's save and the live preview of a value as it is typed (the pages
are ``labs.views``). A grade at or above ``safety.ae_task_min_grade`` asks the investigator to
record an adverse event or say why it is not one (``labs.findings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.crf.checks import EditChecks
from studyapp.crf.save import FormWrite, Submission, save_record
from studyapp.db import site_today
from studyapp.errors import NotFound, ValidationFailed
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.protocol.model import LabTestDef
from studyapp.visits import context
from studyapp.visits.labs.findings import ae_prompts, finding_of
from studyapp.visits.labs.readings import (
    Reading,
    check_value,
    interpret,
    tests_for,
    unit_field,
    value_field,
)
from studyapp.visits.models import LabPanel, LabResult, Visit
from studyapp.visits.schedule.service import CalendarRow


@dataclass(frozen=True)
class LabEntry:
    """A submitted lab form: sample date/time and, per test code, (value, unit) as typed."""

    lb_date: date | None
    lb_time: time | None
    values: Mapping[str, tuple[Decimal | None, str | None]]


@dataclass(frozen=True)
class Preview:
    """What the page shows next to a value as it is typed (the live cell)."""

    reading: Reading
    warning: str | None
    prompt: str | None


@dataclass
class LabPage:
    """A lab form of a visit: its tests, the saved panel and results by test code."""

    ctx: context.VisitContext
    form: str
    tests: tuple[LabTestDef, ...]
    panel: LabPanel | None
    results: dict[str, LabResult]


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
    ctx = context.load(actor, subject_id, visitnum)
    _require_form(ctx.row, form)
    panel = panel_for(ctx.visit, form)
    return LabPage(ctx, form, tests, panel, results_of(panel))


def stored_values(result: LabResult | None) -> tuple[Decimal | None, str | None]:
    """(value, unit) of a saved result as entered, without trailing zeros."""
    if result is None or result.orres is None:
        return None, None
    return Decimal(plain_number(result.orres)), result.orresu


def _stale_values(lab: LabPage) -> dict[str, str | None]:
    """The stored results for the 409 page: the panel's version guards them too."""
    current: dict[str, str | None] = {}
    for testcd, result in lab.results.items():
        value, unit = stored_values(result)
        current[value_field(testcd)] = None if value is None else str(value)
        current[unit_field(testcd)] = unit
    return current


def _check(lab: LabPage, entry: LabEntry, checks: EditChecks) -> dict[str, Decimal | None]:
    context.date_checks(checks, "lb_date", entry.lb_date, lab.ctx, _("Sample date"))
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
    ctx = context.open_for_entry(actor, subject_id, visitnum, visit_date)
    _require_form(ctx.row, form)
    panel = panel_for(ctx.visit, form)
    lab = LabPage(ctx, form, tests, panel, results_of(panel))
    write = FormWrite(
        load=lambda: lab.panel,
        check=lambda checks: _check(lab, entry, checks),
        create=lambda: context.new_record(LabPanel, ctx, form=form),
        apply=lambda record, si_values: _write(lab, record, entry, si_values),
        stale_values=lambda _record: _stale_values(lab),
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))


def _write(
    lab: LabPage, panel: LabPanel, entry: LabEntry, si_values: Mapping[str, Decimal | None]
) -> None:
    """The panel (sample date and time), then its results; the panel is touched when only
    results changed, so that its version moves."""
    existed = panel.id is not None
    panel.lb_date, panel.lb_time = entry.lb_date, entry.lb_time
    if panel.id is None:
        db.session.flush()
    if _apply_results(lab, panel, entry, si_values) and existed:
        panel.touch()


def _apply_results(
    lab: LabPage, panel: LabPanel, entry: LabEntry, si_values: Mapping[str, Decimal | None]
) -> bool:
    """Write the result of every test of the form; True when any changed."""
    on = sample_day(lab, entry.lb_date)
    changed = False
    for test in lab.tests:
        value, unit = entry.values.get(test.testcd, (None, None))
        si = si_values[test.testcd]
        reading = None
        if si is not None and value is not None and unit is not None:
            reading = interpret(lab.ctx.subject, test, value, unit, si, on)
        changed |= _apply(lab, panel, test, reading)
    return changed


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


# -- live preview -----------------------------------------------------------------------------


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
