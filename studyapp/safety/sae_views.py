"""The SAE page: its clocks, the reports to the sponsor (draft, PDF preview, submit) and the
PDF kept for each submitted report."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.auth.models import User
from studyapp.crf.forms import choices
from studyapp.errors import Conflict, StaleVersion, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.reports.sae_pdf import render
from studyapp.safety import report_data, sae
from studyapp.safety.ae_views import AE
from studyapp.safety.forms import ReportForm, SubmitForm
from studyapp.safety.models import FOLLOW_UP, SaeReport
from studyapp.safety.views import bp
from studyapp.subjects.labels import label
from studyapp.web import submissions
from studyapp.web.form_page import attach_errors

SAE = AE + "/sae"
REPORT = SAE + "/reports/<int(max=2147483647):report_id>"


def _kinds(item: sae.Sae) -> list[Any]:
    """The report kinds this SAE needs, and follow-up."""
    kinds = [*item.kinds_needed(), FOLLOW_UP]
    return choices([(k, label("report_kind", k)) for k in kinds])


def _new_form(item: sae.Sae) -> ReportForm:
    form = ReportForm(prefix="new")
    form.kind.choices = _kinds(item)
    if not form.is_submitted():
        sent = {r.kind for r in item.reports}
        form.kind.data = next((k for k in item.kinds_needed() if k not in sent), FOLLOW_UP)
    return form


def _page(item: sae.Sae, form: ReportForm, status: int = 200) -> Any:
    return render_template(
        "safety/sae.html",
        item=item,
        subject=item.subject,
        record=item.record,
        form=form,
        lab_rows=report_data.lab_rows(item),
        med_rows=report_data.med_rows(item),
    ), status


@bp.route(SAE, methods=["GET", "POST"], endpoint="sae_page")
@login_required
def sae_page(subject_id: int, ae_id: int) -> Any:
    item = sae.sae_of(current_user, subject_id, ae_id)
    form = _new_form(item)
    if request.method == "POST":
        require(current_user, Action.RECORD_SAFETY)
        if form.validate_on_submit():
            try:
                report = submissions.once(
                    form,
                    SaeReport,
                    lambda made: _report_url(item, made),
                    lambda: sae.save_report(
                        current_user, item, kind=form.kind.data, narrative=form.narrative.data
                    ),
                )()
            except ValidationFailed as exc:
                attach_errors(form, exc)
            else:
                flash(_("Report drafted: check the PDF, then submit it."), "success")
                return redirect(_report_url(item, report))
        return _page(item, form, 422)
    return _page(item, form)


def _report_url(item: sae.Sae, report: SaeReport) -> str:
    return url_for(
        "safety.sae_report",
        subject_id=item.subject.id,
        ae_id=item.record.id,
        report_id=report.id,
    )


def _report_page(item: sae.Sae, report: SaeReport, form: Any, submit: Any, status: int) -> Any:
    return render_template(
        "safety/sae_report.html",
        item=item,
        subject=item.subject,
        record=item.record,
        report=report,
        form=form,
        submit=submit,
    ), status


@bp.route(REPORT, methods=["GET", "POST"], endpoint="sae_report")
@login_required
def sae_report(subject_id: int, ae_id: int, report_id: int) -> Any:
    """A drafted report: correct the narrative (with a reason), preview, submit."""
    item = sae.sae_of(current_user, subject_id, ae_id)
    report = sae.get_report(item, report_id)
    form = (
        ReportForm(obj=report)
        if request.method == "POST"
        else ReportForm(formdata=None, obj=report)
    )
    form.kind.choices = _kinds(item)
    submit = SubmitForm(prefix="sub", formdata=None)
    submit.version.data = report.version
    status = 200
    if request.method == "POST":
        require(current_user, Action.RECORD_SAFETY)
        status = 422
        if form.validate_on_submit():
            try:
                sae.save_report(
                    current_user,
                    item,
                    kind=form.kind.data,
                    narrative=form.narrative.data,
                    report=report,
                    version=form.version.data,
                    reason=form.reason.data,
                )
            except StaleVersion as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
                status = 409
            except ValidationFailed as exc:
                attach_errors(form, exc)
            except Conflict as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                flash(_("Saved."), "success")
                return redirect(_report_url(item, report))
    return _report_page(item, report, form, submit, status)


@bp.route(REPORT + "/submit", methods=["POST"], endpoint="sae_submit")
@login_required
def sae_submit(subject_id: int, ae_id: int, report_id: int) -> Any:
    """Submit: the PDF of the report as the CRFs stand now is kept; its time stops the clock."""
    require(current_user, Action.RECORD_SAFETY)
    item = sae.sae_of(current_user, subject_id, ae_id)
    report = sae.get_report(item, report_id)
    submit = SubmitForm(prefix="sub")
    form = ReportForm(formdata=None, obj=report)
    form.kind.choices = _kinds(item)
    if submit.validate_on_submit():
        pdf = render(report_data.build(item, report, current_user))
        try:
            sae.submit(current_user, report, pdf, version=submit.version.data)
        except Conflict as exc:
            db.session.rollback()
            submit.form_errors.append(exc.message)
            return _report_page(item, report, form, submit, 409)
        flash(_("Report submitted; its PDF is kept with the SAE."), "success")
        return redirect(url_for("safety.sae_page", subject_id=subject_id, ae_id=ae_id))
    return _report_page(item, report, form, submit, 422)


@bp.route(REPORT + "/report.pdf", endpoint="sae_pdf")
@login_required
def sae_pdf(subject_id: int, ae_id: int, report_id: int) -> Any:
    """The submitted PDF as kept, or for a draft a preview made now."""
    item = sae.sae_of(current_user, subject_id, ae_id)
    report = sae.get_report(item, report_id)
    author = (report.created_by_id and db.session.get(User, report.created_by_id)) or current_user
    pdf = report.pdf if report.pdf is not None else render(report_data.build(item, report, author))
    kind = "submitted" if report.pdf is not None else "draft"
    ae = item.record.label.replace(" ", "")
    name = f"{item.subject.label}-{ae}-{report.kind}-{report.number}-{kind}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
