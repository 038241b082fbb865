"""The bleeding assessment page of a visit: WHO grade and the ITP-BAT SMOG items."""

from __future__ import annotations

import functools
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice
from wtforms.validators import Optional

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.db import site_today
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.visits import bleeding as service
from studyapp.visits import crf
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.web.fields import RadioField, SelectField
from studyapp.web.form_page import submit
from studyapp.web.forms import IsoDateField

#: SMOG domain headings (Blood 2013;121:2596).
DOMAIN_LABELS = {"S": _l("Skin (S)"), "M": _l("Visible mucosae (M)"), "O": _l("Organs (O)")}


@functools.cache
def bleeding_form() -> type[CrfForm]:
    """The form class: fields follow the protocol's WHO wording and ITP-BAT items.

    Choices are not validated by WTForms: the service refuses a grade outside 0..max with a
    message next to the field (a tampered form), as it does for the API.
    """
    scale = get_protocol().bleeding
    fields: dict[str, Any] = {
        "assessed_date": IsoDateField(
            _l("Date of assessment"), validators=[Optional()], description=DATE_HINT
        ),
        "who_grade": RadioField(
            _l("WHO bleeding grade"),
            coerce=int,
            choices=[SelectChoice(g, f"{g}: {text}") for g, text in enumerate(scale.who_grades)],
            validate_choice=False,
        ),
    }
    for item in scale.items:
        fields[service.item_field(item.code)] = SelectField(
            item.name,
            coerce=int,
            choices=[SelectChoice(g, str(g)) for g in range(item.max_grade + 1)],
            default=0,
            validate_choice=False,
        )
    return type("BleedingForm", (CrfForm,), fields)


def _groups() -> list[tuple[str, Any, list[str]]]:
    """(domain, heading, item field names) for the template."""
    return [
        (domain, DOMAIN_LABELS[domain], [service.item_field(i.code) for i in items])
        for domain, items in service.items_by_domain().items()
    ]


def _entry(form: Any) -> service.BleedingEntry:
    return service.BleedingEntry(
        form.assessed_date.data,
        form.who_grade.data,
        {i.code: form[service.item_field(i.code)].data for i in get_protocol().bleeding.items},
    )


@bp.route(VISIT + "/bleeding", methods=["GET", "POST"], endpoint="bleeding")
@login_required
def bleeding_form_page(subject_id: int, visitnum: str) -> Any:
    ctx = crf.load(current_user, subject_id, visitnum)
    if request.method == "POST":
        require(current_user, Action.ENTER_DATA)
    record = service.for_visit(ctx.visit)
    form = bleeding_form()(obj=record if request.method == "GET" else None)
    if request.method == "GET":
        for code, grade in service.grades_of(record).items():
            if service.item_field(code) in form:
                form[service.item_field(code)].data = grade
        if record is None:
            form.assessed_date.data = ctx.visit.visit_date or site_today()
        form.visit_date.data = ctx.visit.visit_date or site_today()
    outcome = submit(
        form,
        lambda: service.save(
            current_user,
            subject_id,
            visitnum,
            _entry(form),
            **save_options(form),
        ),
        lambda _saved: next_url(subject_id, visitnum, ctx.row.forms, "BLEED"),
    )
    if outcome.redirect:
        return outcome.redirect
    return render_crf(
        "visits/bleeding.html",
        ctx,
        record,
        form,
        outcome,
        groups=_groups(),
    )
