"""Home page per role and the health check for the load balancer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from flask_login import current_user, login_required
from sqlalchemy import text

from studyapp.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home() -> Any:
    from studyapp.db import site_today
    from studyapp.permissions import ACTION_LABELS, PERMISSIONS, Action, Role
    from studyapp.safety import sae, tasks
    from studyapp.visits.schedule.tracker import work_list

    allowed = PERMISSIONS[Role(current_user.role)]
    labels = [str(ACTION_LABELS[a]) for a in Action if a in allowed]
    study = Action.VIEW_STUDY_DATA in allowed
    return render_template(
        "main/home.html",
        permission_labels=labels,
        visits=work_list(current_user, site_today()) if study else [],
        saes=[s for s in sae.saes(current_user) if s.open_clock] if study else [],
        ae_tasks=tasks.open_tasks(current_user) if Action.RECORD_SAFETY in allowed else [],
    )


@bp.route("/favicon.ico")
def favicon() -> Any:
    """The icon browsers ask for at the root without reading the page (the pages link the
    SVG and this ICO); public, like the stylesheet."""
    return send_from_directory(
        current_app.static_folder or "", "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )


@bp.route("/healthz")
def healthz() -> Any:
    """200 when the app answers and its database does; 503 otherwise. No data disclosed."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
