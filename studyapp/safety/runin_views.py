"""The run-in page: where the run-in stands, and the investigator's signed DLT review.

Its address stays under /subjects (coordinators find it beside enrolment); the page belongs
to safety, as the review does (``studyapp.safety.runin``).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.safety import runin as review
from studyapp.safety.views import bp
from studyapp.signatures import signing
from studyapp.signatures.models import Signature
from studyapp.subjects import runin
from studyapp.subjects.forms import DltReviewForm
from studyapp.subjects.models import Subject


def _findings(cohort: list[Subject]) -> dict[int, tuple[bool, str]]:
    """The answers typed for each run-in subject (a subject left unanswered is missing)."""
    return {
        s.id: (
            request.form.get(f"dlt-{s.id}") == "yes",
            request.form.get(f"details-{s.id}", ""),
        )
        for s in cohort
        if request.form.get(f"dlt-{s.id}") in ("yes", "no")
    }


@bp.route("/subjects/run-in", methods=["GET", "POST"])
@login_required
def run_in() -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    state = runin.gate()
    form = DltReviewForm()
    cohort = runin.run_in_subjects() if state.state == "review_due" else []
    outcome = signing.sign_page(
        form,
        lambda: review.sign_review(
            current_user,
            findings=_findings(cohort),
            decision=form.decision.data or "",
            comments=form.comments.data or "",
            password=form.password.data or "",
            username=signing.username(form),
        ),
        _("DLT review signed."),
        url_for("safety.run_in"),
    )
    if outcome.redirect is not None:
        return outcome.redirect
    signed = state.review.signature_id if state.review else None
    return render_template(
        "safety/run_in.html",
        review_signature=db.session.get(Signature, signed) if signed else None,
        gate=state,
        form=form,
        cohort=cohort,
        need_username=signing.needs_username(),
        rule=get_protocol().run_in,
    ), outcome.status
