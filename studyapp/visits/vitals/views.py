"""The vital signs page of a visit (VS; also the weight and height the protocol asks for)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user, login_required

from studyapp.db import site_today
from studyapp.visits import context
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.visits.vitals import service
from studyapp.visits.vitals.forms import VitalsForm
from studyapp.web.form_page import submit


@bp.route(VISIT + "/vitals", methods=["GET", "POST"], endpoint="vitals")
@login_required
def vitals_form(subject_id: int, visitnum: str) -> Any:
    ctx = context.load(current_user, subject_id, visitnum)
    record = service.for_visit(ctx.visit)
    form = VitalsForm(obj=record if request.method == "GET" else None)
    if request.method == "GET":
        if record is None:
            form.vs_date.data = ctx.visit.visit_date or site_today()
        form.visit_date.data = ctx.visit.visit_date or site_today()
    outcome = submit(
        form,
        lambda: service.save(
            current_user,
            subject_id,
            visitnum,
            service.VitalsEntry(
                form.vs_date.data,
                form.vs_time.data,
                {name: form[name].data for name in service.MEASURES},
            ),
            **save_options(form),
        ),
        lambda _saved: next_url(subject_id, visitnum, ctx.row.forms, "VS"),
    )
    if outcome.redirect:
        return outcome.redirect
    return render_crf(
        "visits/vitals.html",
        ctx,
        record,
        form,
        outcome,
        needed=service.needed(ctx.row.forms),
        height=service.latest_height(ctx.subject.id),
        weight_check_url=url_for(
            "visits.vitals_weight_check", subject_id=subject_id, visitnum=visitnum
        ),
    )


@bp.route(VISIT + "/vitals/weight-check", endpoint="vitals_weight_check")
@login_required
def weight_check(subject_id: int, visitnum: str) -> Any:
    """JSON for the line under the weight as it is typed: the re-basing warning, or nothing
    (``message`` empty); the same rule and text as the save (``service.weight_warning_of``)."""
    ctx = context.load(current_user, subject_id, visitnum)
    typed = VitalsForm(formdata=request.args, meta={"csrf": False}).weight
    if typed.process_errors:  # the form's own message, naming the field
        return jsonify(message=str(typed.process_errors[0])), 400
    if typed.data is None:
        return jsonify(message="")
    return jsonify(message=service.weight_warning_of(ctx, typed.data) or "")
