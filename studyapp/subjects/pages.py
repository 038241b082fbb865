"""The subjects blueprint and the helpers its page modules share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask_login import current_user

from studyapp.signatures import meanings
from studyapp.signatures.services import SignatureRefused
from studyapp.subjects import labels
from studyapp.subjects.guards import get_subject
from studyapp.web.form_page import submit

bp = Blueprint("subjects", __name__, url_prefix="/subjects")

#: The refusals a signing page commits before its error answer (the lockout count).
_KEPT = (SignatureRefused,)


def run_form(form: Any, action: Callable[[], Any], done: str, target: str) -> Any | None:
    """Validate, call the service, flash *done* and redirect; None (re-render) if refused.

    A thin use of ``submit``: a failed signature counts toward the lockout (SEC-04), and
    a conflict (a sequencing rule, a stale version) is said on the page, not as an error
    page; ``status_of`` then gives the page's status.
    """
    outcome = submit(form, action, lambda _result: target, saved_message=done, kept=_KEPT)
    if outcome.stale is not None:
        form.form_errors.append(outcome.stale.message)
    form.conflict = outcome.status == 409
    return outcome.redirect


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
        "meaning_label": meanings.meaning_label,
        "codes": labels.codes,
        "status_label": lambda key: labels.label("status", key),
        "gate_label": lambda key: labels.label("gate", key),
        "outcome_label": lambda key: labels.label("outcome", key),
    }
