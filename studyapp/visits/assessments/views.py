"""The one page of the simple visit forms (PE, ECG, virology, blood bank, anti-platelet
antibodies): its fields come from the form's description."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user, login_required

from studyapp.crf import registry
from studyapp.db import site_today
from studyapp.visits import context
from studyapp.visits.assessments import service
from studyapp.visits.assessments.forms import form_class
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.web.form_page import submit


@bp.route(
    VISIT + "/forms/<string(maxlength=12):form>", methods=["GET", "POST"], endpoint="assessment"
)
@login_required
def assessment_form(subject_id: int, visitnum: str, form: str) -> Any:
    ctx = context.load(current_user, subject_id, visitnum)
    described = service.described(form, ctx.row.forms)
    record = service.for_visit(described, ctx.visit)
    page = form_class(described)(obj=record if request.method == "GET" else None)
    if request.method == "GET":
        if record is None:
            page[described.date_field].data = ctx.visit.visit_date or site_today()
        page.visit_date.data = ctx.visit.visit_date or site_today()
    shown = described.shown(ctx.row.forms)
    outcome = submit(
        page,
        lambda: service.save(
            current_user,
            form,
            subject_id,
            visitnum,
            {f.name: page[f.name].data for f in shown},
            **save_options(page),
        ),
        lambda _saved: next_url(subject_id, visitnum, ctx.row.forms, form),
    )
    if outcome.redirect:
        return outcome.redirect
    return render_crf(
        "visits/assessment.html",
        ctx,
        record,
        page,
        outcome,
        fields=shown,
        title=registry.page_of(form).label,
    )
