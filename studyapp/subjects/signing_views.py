"""The pages where the investigator signs: the eligibility checklist and the DLT review."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.db import utcnow
from studyapp.errors import Conflict, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.signatures.models import Signature
from studyapp.subjects import checklist, forms, runin
from studyapp.subjects.pages import (
    ESIGN_KEY,
    bp,
    load_subject,
    run_form,
    signature_needs_username,
    signature_username,
    status_of,
)
from studyapp.transaction import discard


@bp.route("/<int(max=2147483647):subject_id>/eligibility", methods=["GET", "POST"])
@login_required
def eligibility(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    judged = [c for c in get_protocol().eligibility if c.check == "investigator"]
    if request.method == "POST" and request.form.get("which") == "answers":
        given = {
            c.code: request.form.get(c.code) == "yes"
            for c in judged
            if request.form.get(c.code) in ("yes", "no")
        }
        try:
            checklist.answer_criteria(
                current_user, subject.id, given, reason=request.form.get("reason")
            )
        except (ValidationFailed, Conflict) as exc:
            discard()  # refused: nothing of it is saved by the request's commit
            details = [m for messages in exc.field_errors.values() for m in messages]
            flash(" ".join([exc.message, *details]), "error")
            return redirect(url_for("subjects.eligibility", subject_id=subject.id))
        flash(_("Answers saved."), "success")
        return redirect(url_for("subjects.eligibility", subject_id=subject.id))
    sign_form = forms.ConfirmEligibilityForm()
    if request.method == "POST":
        done = run_form(
            sign_form,
            lambda: checklist.confirm_eligibility(
                current_user,
                subject.id,
                password=sign_form.password.data or "",
                username=signature_username(sign_form),
            ),
            _("Eligibility confirmed and signed."),
            url_for("subjects.detail", subject_id=subject.id),
        )
        if done:
            session[ESIGN_KEY] = utcnow().timestamp()
            return done
    results = checklist.evaluate(subject) if subject.consented else []
    return render_template(
        "subjects/eligibility.html",
        subject=subject,
        results=results,
        judged=judged,
        answers=checklist.answers(subject),
        sign_form=sign_form,
        need_username=signature_needs_username(),
        eligible=bool(results) and checklist.rules.is_eligible(results),
        signed=checklist.eligibility_signature_current(subject),
        signature=checklist.eligibility_signature(subject),
    ), status_of(sign_form)


@bp.route("/run-in", methods=["GET", "POST"])
@login_required
def run_in() -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    state = runin.gate()
    form = forms.DltReviewForm()
    cohort = runin.run_in_subjects() if state.state == "review_due" else []
    if request.method == "POST":
        findings = {
            s.id: (
                request.form.get(f"dlt-{s.id}") == "yes",
                request.form.get(f"details-{s.id}", ""),
            )
            for s in cohort
            if request.form.get(f"dlt-{s.id}") in ("yes", "no")
        }
        done = run_form(
            form,
            lambda: runin.sign_review(
                current_user,
                findings=findings,
                decision=form.decision.data or "",
                comments=form.comments.data or "",
                password=form.password.data or "",
                username=signature_username(form),
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
        need_username=signature_needs_username(),
        rule=get_protocol().run_in,
    ), status_of(form)
