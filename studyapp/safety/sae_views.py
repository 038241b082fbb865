"""The SAE page: its clocks, the reports to the sponsor (draft, PDF preview, submit) and the
PDF kept for each submitted report."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.auth.models import User
from studyapp.crf.forms import choices
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
from studyapp.web.form_page import submit

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
    if request.method != "POST":
        return _page(item, form)
    require(current_user, Action.RECORD_SAFETY)
    outcome = submit(
        form,
        submissions.once(
            form,
            SaeReport,
            lambda made: _report_url(item, made),
            lambda: sae.save_report(
                current_user, item, kind=form.kind.data, narrative=form.narrative.data
            ),
        ),
        lambda report: _report_url(item, report),
        saved_message=_("Report drafted: check the PDF, then submit it."),
    )
    return outcome.redirect or _page(item, form, outcome.status)


def _report_url(item: sae.Sae, report: SaeReport) -> str:
    return url_for(
        "safety.sae_report",
        subject_id=item.subject.id,
        ae_id=item.record.id,
        report_id=report.id,
    )


def _report_page(item: sae.Sae, report: SaeReport, form: Any, submit_form: Any, status: int) -> Any:
    return render_template(
        "safety/sae_report.html",
        item=item,
        subject=item.subject,
        record=item.record,
        report=report,
        form=form,
        submit=submit_form,
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
    submit_form = SubmitForm(prefix="sub", formdata=None)
    submit_form.version.data = report.version
    if request.method != "POST":
        return _report_page(item, report, form, submit_form, 200)
    require(current_user, Action.RECORD_SAFETY)
    outcome = submit(
        form,
        lambda: sae.save_report(
            current_user,
            item,
            kind=form.kind.data,
            narrative=form.narrative.data,
            report=report,
            version=form.version.data,
            reason=form.reason.data,
        ),
        lambda _saved: _report_url(item, report),
    )
    if outcome.redirect:
        return outcome.redirect
    if outcome.stale is not None:  # said above the form; the typed narrative is kept
        form.form_errors.append(outcome.stale.message)
        return _report_page(item, report, form, submit_form, 409)
    return _report_page(item, report, form, submit_form, 422)  # a submitted report too


@bp.route(REPORT + "/submit", methods=["POST"], endpoint="sae_submit")
@login_required
def sae_submit(subject_id: int, ae_id: int, report_id: int) -> Any:
    """Submit: the PDF of the report as the CRFs stand now is kept; its time stops the clock."""
    require(current_user, Action.RECORD_SAFETY)
    item = sae.sae_of(current_user, subject_id, ae_id)
    report = sae.get_report(item, report_id)
    submit_form = SubmitForm(prefix="sub")
    form = ReportForm(formdata=None, obj=report)
    form.kind.choices = _kinds(item)
    outcome = submit(
        submit_form,
        lambda: sae.submit(
            current_user,
            report,
            render(report_data.build(item, report, current_user)),
            version=submit_form.version.data,
        ),
        lambda _sent: url_for("safety.sae_page", subject_id=subject_id, ae_id=ae_id),
        saved_message=_("Report submitted; its PDF is kept with the SAE."),
    )
    if outcome.stale is not None:  # a stale version is said like any other conflict
        submit_form.form_errors.append(outcome.stale.message)
    return outcome.redirect or _report_page(item, report, form, submit_form, outcome.status)


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
