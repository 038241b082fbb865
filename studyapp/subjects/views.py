"""Subject pages: dashboard, screening log, the subject's screening steps, run-in gate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.auth.permissions import Action, require
from studyapp.db import utcnow
from studyapp.errors import Conflict, StaleVersion, ValidationFailed
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.signatures.models import Signature
from studyapp.subjects import forms, labels, queries, runin, services
from studyapp.subjects.models import DISPOSITIONS, PriorTherapy
from studyapp.web import attach_errors

bp = Blueprint("subjects", __name__, url_prefix="/subjects")

#: After a signature, later ones in the same session ask for the password only (P11-16).
ESIGN_KEY = "esign_at"


def _signature_needs_username() -> bool:
    return ESIGN_KEY not in session


def _signature_username(form: Any) -> str | None:
    if _signature_needs_username():
        return form.username.data or ""
    return None


def _run(form: Any, action: Callable[[], Any], done: str, target: str) -> Any | None:
    """Validate, call the service, flash and redirect; None (re-render) on a field error."""
    if not form.validate_on_submit():
        return None
    try:
        action()
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return None
    except Conflict as exc:  # a sequencing rule: said on the page, not as an error page
        form.form_errors.append(exc.message)
        form.conflict = True
        return None
    flash(done, "success")
    return redirect(target)


def _status(form: Any) -> int:
    if getattr(form, "conflict", False):
        return 409
    return 422 if form.is_submitted() else 200


def _subject(subject_id: int) -> Any:
    return services.get_subject(current_user, subject_id)


@bp.route("/")
@login_required
def dashboard() -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    today = utcnow().date()
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
        phase=phase,
        sort=sort,
        desc=desc,
        phases=queries.PHASES,
        today=today,
    )


@bp.route("/screen", methods=["GET", "POST"])
@login_required
def screen() -> Any:
    require(current_user, Action.SCREEN_SUBJECTS)
    form = forms.ScreeningForm()
    if request.method == "GET" and not form.screening_date.data:
        form.screening_date.data = utcnow().date()
    created: list[Any] = []

    def act() -> None:
        created.append(
            services.register_screening(
                current_user,
                services.Screening(
                    screening_date=form.screening_date.data,
                    sex=form.sex.data or "",
                    age_years=form.age_years.data or 0,
                    birth_year=form.birth_year.data,
                    initials=form.initials.data,
                ),
            )
        )

    if form.validate_on_submit():
        try:
            act()
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            subject = created[0]
            flash(
                _("Registered %(n)s in the screening log.", n=subject.screening_number), "success"
            )
            return redirect(url_for("subjects.detail", subject_id=subject.id))
    return render_template("subjects/screen.html", form=form), _status(form)


@bp.route("/<int(max=2147483647):subject_id>")
@login_required
def detail(subject_id: int) -> Any:
    subject = _subject(subject_id)
    today = utcnow().date()
    results = services.evaluate(subject) if subject.consented else []
    return render_template(
        "subjects/detail.html",
        subject=subject,
        results=results,
        eligible=bool(results) and services.rules.is_eligible(results),
        signed=services.eligibility_signature_current(subject),
        signature=services.eligibility_signature(subject),
        therapies=services.therapies(subject),
        history=services.history(subject),
        phase=queries.phase(subject, today),
        next_visit=queries.next_visit(subject, today),
        deadline=services.screening_deadline(subject),
        overdue=services.screening_overdue(subject, today),
        obtained_by=db.session.get(User, subject.consent_obtained_by_id)
        if subject.consent_obtained_by_id
        else None,
        gate=runin.gate(today),
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
    subject = _subject(subject_id)
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
    done = _run(
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
        _status(form),
    )


@bp.route("/<int(max=2147483647):subject_id>/screening-data", methods=["GET", "POST"])
@login_required
def screening_data(subject_id: int) -> Any:
    subject = _subject(subject_id)
    form = forms.ScreeningDataForm(obj=subject if request.method == "GET" else None)
    stale = None
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.SCREENING_FIELDS}
        values["pregnancy_test"] = values["pregnancy_test"] or None
        values["itp_diagnosis_date"] = (values["itp_diagnosis_date"] or "").strip() or None
        try:
            services.save_screening_data(
                current_user, subject.id, values, version=form.version.data, reason=form.reason.data
            )
        except StaleVersion as exc:
            stale = exc
        except ValidationFailed as exc:
            attach_errors(form, exc)
        except Conflict as exc:  # e.g. no consent yet: said on the form, typed values kept
            form.form_errors.append(exc.message)
            form.conflict = True
        else:
            flash(_("Screening values saved."), "success")
            return redirect(url_for("subjects.detail", subject_id=subject.id))
    saved_before = any(getattr(subject, name) is not None for name in services.SCREENING_FIELDS)
    template = render_template(
        "subjects/screening_data.html",
        form=form,
        subject=subject,
        stale=stale,
        saved_before=saved_before,
    )
    return template, 409 if stale else _status(form)


def _therapy_forms(formdata: bool = True) -> tuple[Any, Any]:
    form = forms.TherapyForm() if formdata else forms.TherapyForm(formdata=None)
    form.category.choices = forms.choices(
        [(c, labels.label("therapy", c)) for c in services.THERAPY_CATEGORIES]
    )
    form.best_response.choices = forms.choices(
        [("", "—")] + [(r, labels.label("response", r)) for r in services.RESPONSES]
    )
    form.reason_stopped.choices = forms.choices(
        [("", "—")] + [(r, labels.label("stop_reason", r)) for r in services.STOP_REASONS]
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
        therapies=services.therapies(subject),
        history=services.history(subject),
    ), status


def _partial(text: str | None) -> str | None:
    return (text or "").strip() or None


@bp.route("/<int(max=2147483647):subject_id>/therapies", methods=["GET", "POST"])
@login_required
def therapies(subject_id: int) -> Any:
    subject = _subject(subject_id)
    form, _hform = _therapy_forms()
    hform = _therapy_forms(formdata=False)[1]
    done = _run(
        form,
        lambda: services.add_prior_therapy(
            current_user,
            subject.id,
            services.Therapy(
                category=form.category.data or "",
                name=(form.name.data or "").strip(),
                start_date=_partial(form.start_date.data),
                stop_date=_partial(form.stop_date.data),
                best_response=form.best_response.data or None,
                reason_stopped=form.reason_stopped.data or None,
            ),
        ),
        _("Prior therapy added."),
        url_for("subjects.therapies", subject_id=subject.id),
    )
    return done or _history_page(subject, form, hform, _status(form))


@bp.route("/<int(max=2147483647):subject_id>/history", methods=["POST"])
@login_required
def add_history(subject_id: int) -> Any:
    subject = _subject(subject_id)
    form = _therapy_forms(formdata=False)[0]
    hform = _therapy_forms()[1]
    done = _run(
        hform,
        lambda: services.add_medical_history(
            current_user,
            subject.id,
            term=hform.term.data or "",
            start_date=_partial(hform.start_date.data),
            end_date=_partial(hform.end_date.data),
            ongoing=hform.ongoing.data,
        ),
        _("Medical history added."),
        url_for("subjects.therapies", subject_id=subject.id),
    )
    return done or _history_page(subject, form, hform, _status(hform))


@bp.route(
    "/<int(max=2147483647):subject_id>/therapies/<int(max=2147483647):row_id>/remove",
    methods=["POST"],
)
@login_required
def remove_therapy(subject_id: int, row_id: int) -> Any:
    subject = _subject(subject_id)
    row = db.session.get(PriorTherapy, row_id)
    if row is None or row.subject_id != subject.id:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        services.remove_history_row(current_user, row, reason)
    except ValidationFailed as exc:
        flash(exc.message, "error")
    else:
        flash(_("Prior therapy removed (kept in the audit trail)."), "success")
    return redirect(url_for("subjects.therapies", subject_id=subject.id))


@bp.route("/<int(max=2147483647):subject_id>/eligibility", methods=["GET", "POST"])
@login_required
def eligibility(subject_id: int) -> Any:
    subject = _subject(subject_id)
    judged = [c for c in get_protocol().eligibility if c.check == "investigator"]
    if request.method == "POST" and request.form.get("which") == "answers":
        given = {
            c.code: request.form.get(c.code) == "yes"
            for c in judged
            if request.form.get(c.code) in ("yes", "no")
        }
        try:
            services.answer_criteria(
                current_user, subject.id, given, reason=request.form.get("reason")
            )
        except (ValidationFailed, Conflict) as exc:
            details = [m for messages in exc.field_errors.values() for m in messages]
            flash(" ".join([exc.message, *details]), "error")
            return redirect(url_for("subjects.eligibility", subject_id=subject.id))
        flash(_("Answers saved."), "success")
        return redirect(url_for("subjects.eligibility", subject_id=subject.id))
    sign_form = forms.ConfirmEligibilityForm()
    if request.method == "POST":
        done = _run(
            sign_form,
            lambda: services.confirm_eligibility(
                current_user,
                subject.id,
                password=sign_form.password.data or "",
                username=_signature_username(sign_form),
            ),
            _("Eligibility confirmed and signed."),
            url_for("subjects.detail", subject_id=subject.id),
        )
        if done:
            session[ESIGN_KEY] = utcnow().timestamp()
            return done
    results = services.evaluate(subject) if subject.consented else []
    return render_template(
        "subjects/eligibility.html",
        subject=subject,
        results=results,
        judged=judged,
        answers=services.answers(subject),
        sign_form=sign_form,
        need_username=_signature_needs_username(),
        eligible=bool(results) and services.rules.is_eligible(results),
        signed=services.eligibility_signature_current(subject),
        signature=services.eligibility_signature(subject),
    ), _status(sign_form)


@bp.route("/<int(max=2147483647):subject_id>/enrol", methods=["GET", "POST"])
@login_required
def enrol(subject_id: int) -> Any:
    subject = _subject(subject_id)
    form = forms.EnrolForm()
    done = _run(
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
            gate=runin.gate(),
            deadline=services.screening_deadline(subject),
        ),
        _status(form),
    )


@bp.route("/<int(max=2147483647):subject_id>/screen-fail", methods=["GET", "POST"])
@login_required
def screen_fail(subject_id: int) -> Any:
    subject = _subject(subject_id)
    form = forms.ScreenFailForm()
    done = _run(
        form,
        lambda: services.screen_fail(current_user, subject.id, form.reason.data or ""),
        _("Screen failure recorded."),
        url_for("subjects.detail", subject_id=subject.id),
    )
    failed = (
        [r for r in services.rules.failed(services.evaluate(subject))] if subject.consented else []
    )
    return done or (
        render_template("subjects/screen_fail.html", form=form, subject=subject, failed=failed),
        _status(form),
    )


@bp.route("/<int(max=2147483647):subject_id>/disposition", methods=["GET", "POST"])
@login_required
def disposition(subject_id: int) -> Any:
    subject = _subject(subject_id)
    form = forms.DispositionForm()
    form.decod.choices = forms.choices([(d, labels.label("disposition", d)) for d in DISPOSITIONS])
    done = _run(
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
        _status(form),
    )


@bp.route("/run-in", methods=["GET", "POST"])
@login_required
def run_in() -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    state = runin.gate()
    form = forms.DltReviewForm()
    cohort = runin.review_cohort() if state.state == "review_due" else []
    if request.method == "POST":
        findings = {
            s.id: (
                request.form.get(f"dlt-{s.id}") == "yes",
                request.form.get(f"details-{s.id}", ""),
            )
            for s in cohort
            if request.form.get(f"dlt-{s.id}") in ("yes", "no")
        }
        done = _run(
            form,
            lambda: runin.sign_review(
                current_user,
                findings=findings,
                decision=form.decision.data or "",
                comments=form.comments.data or "",
                password=form.password.data or "",
                username=_signature_username(form),
            ),
            _("DLT review signed."),
            url_for("subjects.run_in"),
        )
        if done:
            session[ESIGN_KEY] = utcnow().timestamp()
            return done
    review_signature = (
        db.session.get(Signature, state.review.signature_id)
        if state.review and state.review.signature_id
        else None
    )
    return render_template(
        "subjects/run_in.html",
        review_signature=review_signature,
        gate=state,
        form=form,
        cohort=cohort,
        need_username=_signature_needs_username(),
        rule=get_protocol().run_in,
    ), _status(form)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "label": labels.label,
        "status_label": lambda key: labels.label("status", key),
        "gate_label": lambda key: labels.label("gate", key),
        "outcome_label": lambda key: labels.label("outcome", key),
    }
