"""The subjects blueprint and the helpers its page modules share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, session
from flask_login import current_user

from studyapp.errors import Conflict, ValidationFailed
from studyapp.extensions import db
from studyapp.signatures.services import SignatureRefused
from studyapp.subjects import labels
from studyapp.subjects.guards import get_subject
from studyapp.transaction import keep_refusal
from studyapp.web.form_page import attach_errors

bp = Blueprint("subjects", __name__, url_prefix="/subjects")

#: After a signature, later ones in the same session ask for the password only (P11-16).
ESIGN_KEY = "esign_at"


def signature_needs_username() -> bool:
    return ESIGN_KEY not in session


def signature_username(form: Any) -> str | None:
    if signature_needs_username():
        return form.username.data or ""
    return None


def run_form(form: Any, action: Callable[[], Any], done: str, target: str) -> Any | None:
    """Validate, call the service, flash and redirect; None (re-render) on a field error."""
    if not form.validate_on_submit():
        return None
    try:
        action()
    except SignatureRefused as exc:
        keep_refusal()  # the failed signature counts toward the lockout (SEC-04)
        attach_errors(form, exc)
        return None
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return None
    except Conflict as exc:  # a sequencing rule: said on the page, not as an error page
        db.session.rollback()
        form.form_errors.append(exc.message)
        form.conflict = True
        return None
    flash(done, "success")
    return redirect(target)


def status_of(form: Any) -> int:
    if getattr(form, "conflict", False):
        return 409
    return 422 if form.is_submitted() else 200


def load_subject(subject_id: int) -> Any:
    return get_subject(current_user, subject_id)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "label": labels.label,
        "codes": labels.codes,
        "status_label": lambda key: labels.label("status", key),
        "gate_label": lambda key: labels.label("gate", key),
        "outcome_label": lambda key: labels.label("outcome", key),
    }
