"""The one page of the simple visit forms (PE, ECG, virology, blood bank, anti-platelet
antibodies): its fields come from the form's description."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user, login_required

from studyapp.crf import registry
from studyapp.db import site_today
from studyapp.localized import local
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.queries import load_subject
from studyapp.subjects.urls import SUBJECT
from studyapp.visits import context, interference
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


@bp.route(SUBJECT + "/blood-bank-card", endpoint="blood_bank_card")
@login_required
def blood_bank_card(subject_id: int) -> Any:
    """The printable card: until when daratumumab disturbs blood compatibility testing, with
    the subject's blood group (DOMAIN.md section 3)."""
    subject = load_subject(subject_id)
    protocol = get_protocol()
    return render_template(
        "visits/blood_bank_card.html",
        subject=subject,
        interference=interference.of_subject(subject.id),
        group=interference.blood_group(subject.id),
        study_id=protocol.study.id,
        site_name=local(protocol.site),
    )
