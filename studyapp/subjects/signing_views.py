"""The eligibility page, where the investigator answers the judged criteria and signs, in one
step or two ("Save answers", then "Save answers and sign").

The DLT review, the other signing page, belongs to safety (``studyapp.safety.runin_views``);
the steps both share around a signature are in ``studyapp.signatures.signing``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.errors import Conflict, ValidationFailed
from studyapp.protocol.loader import get_protocol
from studyapp.signatures import signing
from studyapp.subjects import checklist, forms
from studyapp.subjects.models import Subject
from studyapp.subjects.pages import bp, load_subject
from studyapp.transaction import discard


def _given(judged: list[Any]) -> dict[str, bool]:
    """The yes/no answers sent for the judged criteria (a criterion left blank is not sent)."""
    return {
        c.code: request.form.get(c.code) == "yes"
        for c in judged
        if request.form.get(c.code) in ("yes", "no")
    }


def _save_answers(subject: Subject, judged: list[Any]) -> Any:
    """Store the investigator's yes/no answers; a refusal is flashed, nothing of it saved."""
    try:
        checklist.answer_criteria(
            current_user, subject.id, _given(judged), reason=request.form.get("reason")
        )
    except (ValidationFailed, Conflict) as exc:
        discard()  # refused: nothing of it is saved by the request's commit
        details = [m for messages in exc.field_errors.values() for m in messages]
        flash(" ".join([exc.message, *details]), "error")
    else:
        flash(_("Answers saved."), "success")
    return redirect(url_for("subjects.eligibility", subject_id=subject.id))


@bp.route("/<int(max=2147483647):subject_id>/eligibility", methods=["GET", "POST"])
@login_required
def eligibility(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    judged = [c for c in get_protocol().eligibility if c.check == "investigator"]
    if request.method == "POST" and request.form.get("which") == "answers":
        return _save_answers(subject, judged)
    sign_form = forms.ConfirmEligibilityForm()
    outcome = signing.sign_page(
        sign_form,
        lambda: checklist.answer_and_confirm(
            current_user,
            subject.id,
            _given(judged),
            reason=request.form.get("reason"),
            password=sign_form.password.data or "",
            username=signing.username(sign_form),
        ),
        _("Eligibility confirmed and signed."),
        url_for("subjects.detail", subject_id=subject.id),
    )
    if outcome.redirect is not None:
        return outcome.redirect
    results = checklist.evaluate(subject) if subject.consented else []
    answers = checklist.answers(subject)
    if request.method == "POST":  # a refused one-step signature keeps the answers typed
        answers |= _given(judged)
    return render_template(
        "subjects/eligibility.html",
        subject=subject,
        results=results,
        judged=judged,
        answers=answers,
        next_step=checklist.step_of(subject, results),
        sign_form=sign_form,
        need_username=signing.needs_username(),
        eligible=bool(results) and checklist.rules.is_eligible(results),
        signed=checklist.eligibility_signature_current(subject),
        signature=checklist.eligibility_signature(subject),
    ), outcome.status
