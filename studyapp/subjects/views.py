"""Subject pages: dashboard, screening log, consent, screening values, enrolment, disposition.

Prior therapies (history_views) and the signing pages (signing_views) join the same
blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.db import site_today
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects import (
    checklist,
    forms,
    history,
    history_views,  # noqa: F401 - its routes join the blueprint
    labels,
    queries,
    runin,
    services,
    signing_views,  # noqa: F401 - its routes join the blueprint
)
from studyapp.subjects.models import DISPOSITIONS, SCREENING_FIELDS, Subject
from studyapp.subjects.pages import bp, load_subject, run_form, status_of
from studyapp.web import submissions
from studyapp.web.form_page import submit

__all__ = ["bp"]


@bp.route("/")
@login_required
def dashboard() -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    today = site_today()
    phase = request.args.get("phase") or None
    sort = request.args.get("sort", "screening")
    desc = request.args.get("desc") == "1"
    if phase not in (None, *queries.PHASES) or sort not in queries.SORTS:
        abort(400)
    all_rows = queries.rows(current_user, today)
    shown = queries.rows(current_user, today, phase_filter=phase, sort=sort, descending=desc)
    return render_template(
        "subjects/dashboard.html",
        rows=shown,
        counts=queries.counts(all_rows),
        gate=runin.gate(today),
        overdue_saes=queries.overdue_saes(current_user),
        phase=phase,
        sort=sort,
        desc=desc,
        phases=queries.PHASES,
        today=today,
    )


def _detail_url(subject: Subject) -> str:
    return url_for("subjects.detail", subject_id=subject.id)


@bp.route("/screen", methods=["GET", "POST"])
@login_required
def screen() -> Any:
    require(current_user, Action.SCREEN_SUBJECTS)
    form = forms.ScreeningForm()
    if request.method == "GET" and not form.screening_date.data:
        form.screening_date.data = site_today()

    def act() -> Subject:
        return services.register_screening(
            current_user,
            services.Screening(
                screening_date=form.screening_date.data,
                sex=form.sex.data or "",
                age_years=form.age_years.data or 0,
                birth_year=form.birth_year.data,
                initials=form.initials.data,
            ),
        )

    def registered(subject: Subject) -> str:
        flash(_("Registered %(n)s in the screening log.", n=subject.screening_number), "success")
        return _detail_url(subject)

    outcome = submit(
        form, submissions.once(form, Subject, _detail_url, act), registered, saved_message=False
    )
    return outcome.redirect or (
        render_template("subjects/screen.html", form=form),
        outcome.status,
    )


@bp.route("/<int(max=2147483647):subject_id>")
@login_required
def detail(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    today = site_today()
    results = checklist.evaluate(subject) if subject.consented else []
    return render_template(
        "subjects/detail.html",
        subject=subject,
        results=results,
        next_step=checklist.step_of(subject, results),
        eligible=bool(results) and checklist.rules.is_eligible(results),
        signed=checklist.eligibility_signature_current(subject),
        signature=checklist.eligibility_signature(subject),
        therapies=history.therapies(subject),
        history=history.history(subject),
        phase=queries.phase(subject, today),
        next_visit=queries.next_visit(subject),
        deadline=services.screening_deadline(subject),
        overdue=services.screening_overdue(subject, today),
        obtained_by=db.session.get(User, subject.consent_obtained_by_id)
        if subject.consent_obtained_by_id
        else None,
        gate=runin.gate(today),
        interference=queries.blood_bank_interference(subject.id) if subject.day1_date else None,
    )


def _staff_choices() -> list[Any]:
    staff = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_(("investigator", "coordinator")))
        .order_by(User.full_name)
    )
    return forms.choices([(str(u.id), f"{u.full_name} ({u.role_label})") for u in staff])


@bp.route("/<int(max=2147483647):subject_id>/consent", methods=["GET", "POST"])
@login_required
def consent(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    require(current_user, Action.SCREEN_SUBJECTS)
    form = forms.ConsentForm(obj=subject if request.method == "GET" else None)
    if request.method == "GET":
        form.consent_date.data = subject.consent_date
        form.consent_time.data = subject.consent_time
        form.version.data = subject.consent_version
        form.obtained_by_id.data = subject.consent_obtained_by_id or current_user.id
    versions = [f.version for f in get_protocol().consent_forms]
    form.version.choices = forms.choices([(v, v) for v in reversed(versions)])
    form.obtained_by_id.choices = _staff_choices()
    done = run_form(
        form,
        lambda: services.record_consent(
            current_user,
            subject.id,
            on=form.consent_date.data,
            at=form.consent_time.data,
            version=form.version.data or "",
            obtained_by_id=form.obtained_by_id.data or 0,
            reason=form.reason.data,
        ),
        _("Consent recorded."),
        url_for("subjects.detail", subject_id=subject.id),
    )
    return done or (
        render_template("subjects/consent.html", form=form, subject=subject),
        status_of(form),
    )


@bp.route("/<int(max=2147483647):subject_id>/screening-data", methods=["GET", "POST"])
@login_required
def screening_data(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    form = forms.ScreeningDataForm(obj=subject if request.method == "GET" else None)

    def save() -> None:
        values = {name: form[name].data for name in SCREENING_FIELDS}
        values["pregnancy_test"] = values["pregnancy_test"] or None
        values["itp_diagnosis_date"] = (values["itp_diagnosis_date"] or "").strip() or None
        services.save_screening_data(
            current_user, subject.id, values, version=form.version.data, reason=form.reason.data
        )

    # a conflict (e.g. no consent yet) is said on the form, the typed values kept
    outcome = submit(
        form,
        save,
        lambda _saved: url_for("subjects.detail", subject_id=subject.id),
        saved_message=_("Screening values saved."),
    )
    if outcome.redirect:
        return outcome.redirect
    saved_before = any(getattr(subject, name) is not None for name in SCREENING_FIELDS)
    template = render_template(
        "subjects/screening_data.html",
        form=form,
        subject=subject,
        stale=outcome.stale,
        saved_before=saved_before,
    )
    return template, outcome.status


@bp.route("/<int(max=2147483647):subject_id>/enrol", methods=["GET", "POST"])
@login_required
def enrol(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    form = forms.EnrolForm()
    done = run_form(
        form,
        lambda: services.enrol(current_user, subject.id, day1=form.day1.data),
        _("Enrolled."),
        url_for("subjects.detail", subject_id=subject.id),
    )
    return done or (
        render_template(
            "subjects/enrol.html",
            form=form,
            subject=subject,
            next_step=checklist.step_of(
                subject, checklist.evaluate(subject) if subject.consented else []
            ),
            gate=runin.gate(),
            deadline=services.screening_deadline(subject),
        ),
        status_of(form),
    )


@bp.route("/<int(max=2147483647):subject_id>/screen-fail", methods=["GET", "POST"])
@login_required
def screen_fail(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    form = forms.ScreenFailForm()
    done = run_form(
        form,
        lambda: services.screen_fail(current_user, subject.id, form.reason.data or ""),
        _("Screen failure recorded."),
        url_for("subjects.detail", subject_id=subject.id),
    )
    failed = (
        [r for r in checklist.rules.failed(checklist.evaluate(subject))]
        if subject.consented
        else []
    )
    return done or (
        render_template("subjects/screen_fail.html", form=form, subject=subject, failed=failed),
        status_of(form),
    )


@bp.route("/<int(max=2147483647):subject_id>/disposition", methods=["GET", "POST"])
@login_required
def disposition(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    form = forms.DispositionForm()
    form.decod.choices = forms.choices([(d, labels.label("disposition", d)) for d in DISPOSITIONS])
    done = run_form(
        form,
        lambda: services.record_disposition(
            current_user,
            subject.id,
            decod=form.decod.data or "",
            on=form.on.data,
            reason=form.reason.data or "",
        ),
        _("Disposition recorded."),
        url_for("subjects.detail", subject_id=subject.id),
    )
    return done or (
        render_template("subjects/disposition.html", form=form, subject=subject),
        status_of(form),
    )
