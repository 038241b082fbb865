"""The one service of the simple visit forms: load, check and save a form described by ``spec``.

Every save goes through the CRF core's sequence (``crf.save.save_record``): permission,
status and locks, version, edit checks (required fields, the protocol's limits of numbers,
the form's own rule), reason for change, audit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, select

from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.crf.checks import EditChecks
from studyapp.crf.save import FormWrite, Submission, save_record
from studyapp.errors import NotFound
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.visits import context
from studyapp.visits.assessments import spec
from studyapp.visits.models import Visit


def described(code: str, forms: tuple[str, ...]) -> spec.SimpleForm:
    """The description of simple form *code* at a visit with *forms*; NotFound otherwise."""
    entry = registry.FORMS.get(code)
    found = entry.field_list() if entry is not None else None
    if not isinstance(found, spec.SimpleForm) or code not in forms:
        raise NotFound(_("This visit has no such form."))
    return found


def for_visit(form: spec.SimpleForm, visit: Visit) -> Any:
    """The stored record of *form* at *visit* (None before the first save)."""
    if visit.id is None:
        return None
    model: Any = form.model
    return db.session.scalar(
        select(model).where(model.visit_id == visit.id, model.deleted_at.is_(None))
    )


def clean(
    form: spec.SimpleForm, forms: tuple[str, ...], typed: Mapping[str, Any]
) -> dict[str, Any]:
    """The values of the fields asked at the visit, blanks as None, codes as stored."""
    values: dict[str, Any] = {}
    for field in form.shown(forms):
        value = typed.get(field.name)
        if isinstance(value, str):
            value = value.strip() or None
        if field.kind == spec.GRADE and value is not None:
            value = int(value)
        values[field.name] = value
    return values


def _check(
    form: spec.SimpleForm, values: dict[str, Any], ctx: context.VisitContext, checks: EditChecks
) -> None:
    protocol = get_protocol()
    for field in form.shown(ctx.row.forms):
        value = values.get(field.name)
        if field.name == form.date_field:
            context.date_checks(checks, field.name, value, ctx, str(field.label))
            continue
        if field.required:
            checks.required(field.name, value)
        if field.required_if is not None:
            other, codes = field.required_if
            if values.get(other) in codes:
                checks.required(field.name, value)
        if field.measure is not None:
            measure = field.measure(protocol)
            checks.number(field.name, value, measure.limits, measure.unit, measure.decimals)
    if form.rule is not None and ctx.subject.day1_date is not None:
        form.rule(values, ctx.subject.day1_date, checks)


def _apply(form: spec.SimpleForm, record: Any, values: dict[str, Any]) -> None:
    protocol = get_protocol()
    columns = record.__table__.columns
    for name, value in values.items():
        field = next(f for f in form.fields if f.name == name)
        if isinstance(value, Decimal) and isinstance(columns[name].type, Integer):
            value = int(value)
        setattr(record, name, value)
        if field.measure is not None:
            unit = field.measure(protocol).unit if value is not None else None
            setattr(record, f"{name}_unit", unit)


def save(
    actor: User,
    code: str,
    subject_id: int,
    visitnum: str,
    typed: Mapping[str, Any],
    *,
    visit_date: date | None = None,
    version: int | None = None,
    reason: str | None = None,
    completing: bool = True,
    confirmed: bool = False,
) -> Any:
    """Save simple form *code* of a visit; the record, flushed (the request edge commits)."""
    ctx = context.open_for_entry(actor, subject_id, visitnum, visit_date)
    form = described(code, ctx.row.forms)
    values = clean(form, ctx.row.forms, typed)
    write = FormWrite(
        load=lambda: for_visit(form, ctx.visit),
        check=lambda checks: _check(form, values, ctx, checks),
        create=lambda: context.new_record(form.model, ctx),
        apply=lambda record, _found: _apply(form, record, values),
    )
    return save_record(actor, write, Submission(version, reason, completing, confirmed))
