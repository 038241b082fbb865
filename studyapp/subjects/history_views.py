"""Prior ITP therapies and medical history pages."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.errors import ValidationFailed
from studyapp.extensions import db
from studyapp.subjects import forms, history, labels
from studyapp.subjects.models import MedicalHistory, PriorTherapy
from studyapp.subjects.pages import bp, load_subject, run_form, status_of
from studyapp.web import submissions
from studyapp.web.form_page import attempt


def _therapy_forms(formdata: bool = True) -> tuple[Any, Any]:
    form = forms.TherapyForm() if formdata else forms.TherapyForm(formdata=None)
    form.category.choices = forms.choices(
        [(c, labels.label("therapy", c)) for c in history.THERAPY_CATEGORIES]
    )
    form.best_response.choices = forms.choices(
        [("", "—")] + [(r, labels.label("response", r)) for r in history.RESPONSES]
    )
    form.reason_stopped.choices = forms.choices(
        [("", "—")] + [(r, labels.label("stop_reason", r)) for r in history.STOP_REASONS]
    )
    hform = (
        forms.HistoryForm(prefix="mh")
        if formdata
        else forms.HistoryForm(prefix="mh", formdata=None)
    )
    return form, hform


def _history_page(subject: Any, form: Any, hform: Any, status: int) -> Any:
    return render_template(
        "subjects/therapies.html",
        subject=subject,
        form=form,
        hform=hform,
        therapies=history.therapies(subject),
        history=history.history(subject),
    ), status


def _page_url(subject_id: int) -> str:
    return url_for("subjects.therapies", subject_id=subject_id)


def _partial(text: str | None) -> str | None:
    return (text or "").strip() or None


@bp.route("/<int(max=2147483647):subject_id>/therapies", methods=["GET", "POST"])
@login_required
def therapies(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    form, _hform = _therapy_forms()
    hform = _therapy_forms(formdata=False)[1]
    done = run_form(
        form,
        submissions.once(
            form,
            PriorTherapy,
            lambda _made: _page_url(subject.id),
            lambda: history.add_prior_therapy(
                current_user,
                subject.id,
                history.Therapy(
                    category=form.category.data or "",
                    name=(form.name.data or "").strip(),
                    start_date=_partial(form.start_date.data),
                    stop_date=_partial(form.stop_date.data),
                    best_response=form.best_response.data or None,
                    reason_stopped=form.reason_stopped.data or None,
                ),
            ),
        ),
        _("Prior therapy added."),
        url_for("subjects.therapies", subject_id=subject.id),
    )
    return done or _history_page(subject, form, hform, status_of(form))


@bp.route("/<int(max=2147483647):subject_id>/history", methods=["POST"])
@login_required
def add_history(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    form = _therapy_forms(formdata=False)[0]
    hform = _therapy_forms()[1]
    done = run_form(
        hform,
        submissions.once(
            hform,
            MedicalHistory,
            lambda _made: _page_url(subject.id),
            lambda: history.add_medical_history(
                current_user,
                subject.id,
                term=hform.term.data or "",
                start_date=_partial(hform.start_date.data),
                end_date=_partial(hform.end_date.data),
                ongoing=hform.ongoing.data,
            ),
        ),
        _("Medical history added."),
        url_for("subjects.therapies", subject_id=subject.id),
    )
    return done or _history_page(subject, form, hform, status_of(hform))


@bp.route(
    "/<int(max=2147483647):subject_id>/therapies/<int(max=2147483647):row_id>/remove",
    methods=["POST"],
)
@login_required
def remove_therapy(subject_id: int, row_id: int) -> Any:
    subject = load_subject(subject_id)
    row = db.session.get(PriorTherapy, row_id)
    if row is None or row.subject_id != subject.id:
        abort(404)
    reason = request.form.get("reason", "")
    _done, refusal = attempt(
        lambda: history.remove_history_row(current_user, row, reason), refusals=(ValidationFailed,)
    )
    if refusal is not None:  # nothing of it is committed by the redirect
        flash(refusal.message, "error")
    else:
        flash(_("Prior therapy removed (kept in the audit trail)."), "success")
    return redirect(url_for("subjects.therapies", subject_id=subject.id))
