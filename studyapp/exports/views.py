"""The reports and exports pages: ask for a file, follow its progress, download it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from studyapp.db import site_today
from studyapp.errors import ValidationFailed
from studyapp.exports import jobs, registry
from studyapp.exports.forms import ExportForm
from studyapp.exports.queries import subject_choices
from studyapp.extensions import limiter
from studyapp.permissions import Action, can, require

bp = Blueprint("exports", __name__, url_prefix="/reports")

#: Partial templates other modules of this feature add to the index page, in order.
SECTIONS: list[str] = []


def _visible() -> list[registry.Export]:
    return [e for e in registry.kinds() if can(current_user, e.action)]


def _subjects() -> list[tuple[Any, str]]:
    return subject_choices()


def _index(form: ExportForm | None = None, status: int = 200) -> Any:
    exports = [e for e in _visible() if e.group in ("report", "data")]  # not "operations"
    if not exports:
        require(current_user, Action.EXPORT_DATA)
    subjects = _subjects()
    return (
        render_template(
            "exports/index.html",
            reports=[e for e in exports if e.group == "report"],
            data=[e for e in exports if e.group == "data"],
            subjects=subjects,
            failed=form,
            today=site_today(),
            jobs=jobs.recent(current_user),
            sections=SECTIONS,
            jobs_module=jobs,
        ),
        status,
    )


@bp.get("/")
@login_required
def index() -> Any:
    return _index()


def _export_limit() -> str:
    return str(current_app.config["EXPORT_RATE_LIMIT"])


@bp.post("/")
@login_required
@limiter.limit(_export_limit, methods=["POST"])
def run() -> Any:
    form = ExportForm()
    form.subject_id.choices = [(None, ""), *_subjects()]
    if not form.validate():
        return _index(form, 422)
    ctx = registry.ExportContext(
        actor=current_user,
        cutoff=form.cutoff.data,
        subject_id=form.subject_id.data,
        locale=current_user.locale or "en",
    )
    try:
        job = jobs.create(current_user, form.kind.data, ctx)
    except ValidationFailed as error:
        for name, messages in error.field_errors.items():
            getattr(form, name, form.kind).errors = list(messages)
        return _index(form, 422)
    response = redirect(url_for("exports.job", token=job.token))
    jobs.launch(job, response)
    return response


@bp.get("/jobs/<token>")
@login_required
def job(token: str) -> Any:
    found = jobs.find(current_user, token)
    if found is None:
        abort(404)
    export = registry.get(found.kind)
    return render_template(
        "exports/job.html",
        job=found,
        export=export,
        expired=jobs.expired(found),
        jobs_module=jobs,
    )


@bp.get("/jobs/<token>/file")
@login_required
def download(token: str) -> Any:
    found = jobs.find(current_user, token)
    if found is None or found.status != jobs.DONE or jobs.expired(found):
        abort(404)
    export = registry.get(found.kind)
    if export is None:  # pragma: no cover - a kind removed since
        abort(404)
    require(current_user, export.action)
    return send_file(
        found.path, mimetype=found.mimetype, as_attachment=True, download_name=found.filename
    )


from studyapp.exports import operations_views  # noqa: E402, F401 - its routes join bp
