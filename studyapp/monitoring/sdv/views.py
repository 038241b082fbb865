"""SDV pages: the controls on a form page and a visit page (posted here) and the monitor's
dashboard. Views call the services and answer; the request edge commits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.errors import Conflict
from studyapp.monitoring.sdv import panel, progress, services
from studyapp.permissions import Action, require
from studyapp.transaction import discard
from studyapp.web.hooks import safe_next

bp = Blueprint("sdv", __name__, url_prefix="/monitoring/sdv")


@bp.app_template_global()
def sdv_record(table: str | None, row_id: int | None) -> panel.RecordPanel | None:
    """The SDV state of a stored record for its page (None: not in the plan)."""
    return panel.record_panel(table, row_id)


@bp.app_template_global()
def sdv_row_name(row: Any) -> str:
    return panel.row_name(row)


@bp.route("/")
@login_required
def dashboard() -> Any:
    require(current_user, Action.VERIFY_DATA)
    return render_template("monitoring/sdv.html", progress=progress.progress())


@bp.post("/forms/<code>/<int:row_id>/fields/<field>")
@login_required
def verify_field(code: str, row_id: int, field: str) -> Any:
    return _answer(lambda: services.verify_field(current_user, code, row_id, field))


@bp.post("/forms/<code>/<int:row_id>/rows/<int:child_id>/fields/<field>")
@login_required
def verify_row_field(code: str, row_id: int, child_id: int, field: str) -> Any:
    """A field of one of the form's rows (a lab result's value or unit)."""
    return _answer(lambda: services.verify_field(current_user, code, row_id, field, child_id))


@bp.post("/forms/<code>/<int:row_id>")
@login_required
def verify_form(code: str, row_id: int) -> Any:
    return _answer(lambda: services.verify_form(current_user, code, row_id))


@bp.post("/visits/<int:visit_id>")
@login_required
def verify_visit(visit_id: int) -> Any:
    return _answer(lambda: services.verify_visit(current_user, visit_id))


def _answer(action: Any) -> Any:
    """Call the service; flash what it did (or its refusal) and go back to the page."""
    try:
        count = action()
    except Conflict as exc:
        discard()
        flash(exc.message, "error")
    else:
        if count:
            flash(_("Fields verified: %(n)d.", n=count), "success")
        else:
            flash(_("Already verified: nothing to add."), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("sdv.dashboard"))
