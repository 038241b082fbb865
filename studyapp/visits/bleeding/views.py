"""The bleeding assessment page of a visit: WHO grade and the ITP-BAT SMOG items."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from studyapp.db import site_today
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.visits import context
from studyapp.visits.bleeding import service
from studyapp.visits.bleeding.forms import bleeding_form
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.web.form_page import submit

#: SMOG domain headings (Blood 2013;121:2596).
DOMAIN_LABELS = {"S": _l("Skin (S)"), "M": _l("Visible mucosae (M)"), "O": _l("Organs (O)")}


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
    ctx = context.load(current_user, subject_id, visitnum)
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
