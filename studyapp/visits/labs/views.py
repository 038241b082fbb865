"""The laboratory pages of a visit (CBC, chemistry, immunoglobulins) and their live preview."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.crf import registry
from studyapp.db import site_today
from studyapp.errors import DomainError, ValidationFailed
from studyapp.formatting import plain_number
from studyapp.permissions import Action, require
from studyapp.subjects.labels import label
from studyapp.visits.labs import findings as lab_findings
from studyapp.visits.labs import readings as lab_readings
from studyapp.visits.labs import service as labs
from studyapp.visits.labs.forms import PreviewQuery, lab_form
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.web.form_page import submit

LAB_PAGE = VISIT + "/labs/<any(CBC,CHEM,IG):form>"


def _fill(form: Any, lab: labs.LabPage) -> None:
    """A GET: the saved panel and results, else the visit date as sample date."""
    visit_day = lab.ctx.visit.visit_date or site_today()
    form.visit_date.data = visit_day
    form.lb_date.data = lab.panel.lb_date if lab.panel else visit_day
    if lab.panel is not None:
        form.lb_time.data = lab.panel.lb_time
        form.version.data = lab.panel.version
    for testcd, result in lab.results.items():
        value, unit = labs.stored_values(result)
        if lab_readings.value_field(testcd) in form and value is not None:
            form[lab_readings.value_field(testcd)].data = value
            form[lab_readings.unit_field(testcd)].data = unit


def _entry(form: Any, lab: labs.LabPage) -> labs.LabEntry:
    return labs.LabEntry(
        form.lb_date.data,
        form.lb_time.data,
        {
            t.testcd: (
                form[lab_readings.value_field(t.testcd)].data,
                form[lab_readings.unit_field(t.testcd)].data,
            )
            for t in lab.tests
        },
    )


def _lines(form: Any, lab: labs.LabPage) -> list[dict[str, Any]]:
    """One table row per test: its fields and what the value typed reads as (the live cell)."""
    subject, on = lab.ctx.subject, labs.sample_day(lab, form.lb_date.data)
    lines = []
    for test in lab.tests:
        value = form[lab_readings.value_field(test.testcd)]
        unit = form[lab_readings.unit_field(test.testcd)]
        reading = None
        if not value.errors and not unit.errors:
            reading = lab_readings.read(subject, test, value.data, unit.data, on)
        normal = test.range_for(subject.sex, on)
        finding = (
            lab_findings.finding_of(reading, lab.ctx.row.visitnum, lab.form) if reading else None
        )
        lines.append(
            {
                "test": test,
                "value": value,
                "unit": unit,
                "reading": reading,
                "range": lab_readings.range_text(test, normal.low, normal.high),
                "prompt": lab_findings.ae_prompts(subject, [finding])[0] if finding else None,
            }
        )
    return lines


def _prompts(lab: labs.LabPage) -> list[str]:
    """AE prompts of the saved results of this form (grade >= the protocol's task grade)."""
    if lab.ctx.visit.id is None:
        return []
    found = lab_findings.findings(lab.ctx.subject.id, visit_id=lab.ctx.visit.id, form=lab.form)
    return [p for p in lab_findings.ae_prompts(lab.ctx.subject, found) if p is not None]


def _ae_url(subject_id: int, visitnum: str) -> str:
    """The subject's adverse events page, where each result's AE task is answered."""
    return registry.url(registry.page_of("AE"), subject_id, visitnum)


@bp.route(LAB_PAGE, methods=["GET", "POST"], endpoint="labs")
@login_required
def labs_page(subject_id: int, visitnum: str, form: str) -> Any:
    lab = labs.page(current_user, subject_id, visitnum, form)
    if request.method == "POST":
        require(current_user, Action.ENTER_DATA)
    wtf = lab_form(form)()
    if request.method == "GET":
        _fill(wtf, lab)
    outcome = submit(
        wtf,
        lambda: labs.save(
            current_user,
            subject_id,
            visitnum,
            form,
            _entry(wtf, lab),
            **save_options(wtf),
        ),
        lambda _saved: next_url(subject_id, visitnum, lab.ctx.row.forms, form),
    )
    if outcome.redirect:
        for prompt in _prompts(labs.page(current_user, subject_id, visitnum, form)):
            flash(prompt, "warning")
        return outcome.redirect
    return render_crf(
        "visits/labs.html",
        lab.ctx,
        lab.panel,
        wtf,
        outcome,
        title=registry.page_of(form).label,
        lines=_lines(wtf, lab),
        prompts=_prompts(lab),
        min_grade=lab_findings.ae_min_grade(),
        ae_url=_ae_url(subject_id, visitnum),
        preview_url=url_for(
            "visits.labs_preview", subject_id=subject_id, visitnum=visitnum, form=form
        ),
    )


@bp.route(LAB_PAGE + "/preview", endpoint="labs_preview")
@login_required
def labs_preview(subject_id: int, visitnum: str, form: str) -> Any:
    """JSON for the live cell: SI value, range, flag, grade and the AE prompt of one value."""
    query = PreviewQuery(formdata=request.args)
    if not query.validate() or query.value.data is None:
        messages = [str(m) for found in query.errors.values() for m in found]
        return jsonify(message=" ".join(messages) or _("Enter a number.")), 400
    try:
        shown = labs.preview(
            current_user,
            subject_id,
            visitnum,
            form,
            query.testcd.data or "",
            query.value.data,
            query.unit.data or None,
            query.on.data,
        )
    except DomainError as exc:  # the request edge rolls back any answer from 400
        status = 400 if isinstance(exc, ValidationFailed) else exc.status
        return jsonify(message=exc.message), status
    reading = shown.reading
    return jsonify(
        testcd=reading.test.testcd,
        value=plain_number(reading.value),
        unit=reading.unit,
        si=plain_number(reading.si),
        si_unit=reading.test.si_unit,
        flag=reading.nrind,
        flag_label=label("nrind", reading.nrind),
        grade=reading.grade,
        grade_label=_("grade %(g)d", g=reading.grade) if reading.grade else "",
        range=reading.range_text,
        ae_prompt=shown.prompt is not None,
        warning=shown.warning or "",
        message=shown.prompt or shown.warning or "",
    )
