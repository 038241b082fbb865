"""Casebook sign-off pages: the investigator's to-do list and the signing page (GCP-09).

The subject page shows the casebook's sign-off card (``monitoring/_casebook_card.html``)
through the template function ``casebook_signoff`` this blueprint gives every template, so
the subjects package never imports this one (it sits below monitoring).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from studyapp.monitoring import signoff
from studyapp.permissions import Action, require
from studyapp.signatures import signing
from studyapp.subjects.forms import SignatureFields
from studyapp.subjects.guards import get_subject
from studyapp.visits.models import Visit

bp = Blueprint("signoff", __name__, url_prefix="/signatures")
bp.record_once(lambda _state: signoff.install())

SUBJECT_ID = "<int(max=2147483647):subject_id>"


class SignCasebookForm(SignatureFields, FlaskForm):
    pass


@bp.app_context_processor
def _casebook_signoff() -> dict[str, Any]:
    return {"casebook_signoff": casebook_card}


def casebook_card(subject: Any, visit: Visit | None = None) -> dict[str, Any]:
    """What a sign-off card shows: the state, the meaning, where it signs, a fresh form."""
    meaning = signoff.VISIT_MEANING if visit is not None else signoff.CASEBOOK_MEANING
    action = (
        url_for("signoff.sign_visit", subject_id=subject.id, visitnum=visit.visitnum)
        if visit is not None
        else url_for("signoff.sign", subject_id=subject.id)
    )
    return {
        "state": signoff.casebook_state(subject.id, visit),
        "meaning": signoff.meaning_label(meaning),
        "visit": visit,
        "action": action,
        "sign_form": SignCasebookForm(formdata=None),
        "need_username": signing.needs_username(),
    }


@bp.route("/casebooks")
@login_required
def casebooks() -> Any:
    """Casebooks ready to sign and those whose signature no longer applies."""
    ready, again = signoff.to_do(current_user)
    return render_template("monitoring/casebooks.html", ready=ready, again=again)


@bp.route(f"/casebooks/{SUBJECT_ID}", methods=["GET", "POST"])
@login_required
def sign(subject_id: int) -> Any:
    """Sign (or re-sign) one subject's casebook: the password always, the username at the
    first signing of the session (P11-16)."""
    return _sign_page(get_subject(current_user, subject_id), None)


@bp.route(f"/casebooks/{SUBJECT_ID}/visits/<visitnum>", methods=["GET", "POST"])
@login_required
def sign_visit(subject_id: int, visitnum: str) -> Any:
    """Sign (or re-sign) the data of one visit of the subject."""
    subject = get_subject(current_user, subject_id)
    return _sign_page(subject, signoff.find_visit(subject.id, visitnum))


def _sign_page(subject: Any, visit: Visit | None) -> Any:
    form = SignCasebookForm()
    if form.is_submitted():
        require(current_user, Action.SIGN)
    outcome = signing.sign_page(
        form,
        lambda: signoff.sign_casebook(
            current_user, subject.id, signing.username(form), form.password.data or "", visit
        ),
        _("Visit data signed.") if visit is not None else _("Casebook signed."),
        url_for("signoff.sign", subject_id=subject.id)
        if visit is not None
        else url_for("subjects.detail", subject_id=subject.id),
    )
    if outcome.redirect is not None:
        return outcome.redirect
    return render_template(
        "monitoring/sign_casebook.html",
        subject=subject,
        card=casebook_card(subject, visit) | {"sign_form": form},
        visits=signoff.visit_states(subject.id),
    ), outcome.status
