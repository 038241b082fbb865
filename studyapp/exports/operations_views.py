"""The operational reports page (/reports/operations): enrolment, visit compliance and forms
missing on an as-of date, with their charts, and each table as an audited CSV download.

Registers on the reports blueprint (``exports.views``); study data viewers may see it, the
coordinator too (who has no reports index).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Optional

from studyapp.db import site_today
from studyapp.errors import ValidationFailed
from studyapp.exports import registry, runner
from studyapp.exports.operations import figures
from studyapp.exports.operations.compliance import STATUSES
from studyapp.exports.operations.enrolment import enrolment
from studyapp.exports.operations.missing import compliance_and_missing
from studyapp.exports.views import SECTIONS, bp
from studyapp.extensions import limiter
from studyapp.permissions import Action, require
from studyapp.visits.schedule import matrix as status_matrix
from studyapp.web.forms import IsoDateField

KINDS = ("enrolment", "visit_compliance", "missing_forms", "form_status")
SECTIONS.append("exports/_operations_link.html")


class CsvForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    as_of = IsoDateField(validators=[Optional()])


def _as_of(text: str | None) -> tuple[date, str | None]:
    """The as-of date asked for (today when blank), or today and the reason it was refused."""
    today = site_today()
    if not text or not text.strip():
        return today, None
    try:
        asked = date.fromisoformat(text.strip())
    except ValueError:
        return today, _("Give the date as YYYY-MM-DD.")
    if asked > today:
        return today, _("The date cannot be in the future.")
    return asked, None


def _page(as_of: date, error: str | None, status: int = 200) -> Any:
    enrol = enrolment(as_of)
    visits, missing = compliance_and_missing(current_user, as_of)  # one walk of the study
    return (
        render_template(
            "exports/operations.html",
            as_of=as_of,
            error=error,
            asked=request.values.get("as_of", ""),
            enrolment=enrol,
            compliance=visits,
            missing=missing,
            statuses=STATUSES,
            charts={
                "enrolment": figures.enrolment_chart(enrol),
                "compliance": figures.compliance_chart(visits),
                "missing": figures.missing_chart(missing, as_of.isoformat()),
            },
            kinds={kind: registry.get(kind) for kind in KINDS},
        ),
        status,
    )


@bp.get("/operations")
@login_required
def operations() -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    as_of, error = _as_of(request.args.get("as_of"))
    return _page(as_of, error, 422 if error else 200)


def _limit() -> str:
    return str(current_app.config["EXPORT_RATE_LIMIT"])


def _filters(kind: str) -> dict[str, str]:
    """The form status matrix's filters posted with its CSV button (400 for an unknown one)."""
    if kind != "form_status":
        return {}
    filters = status_matrix.parse_filters(request.form)
    if filters is None:
        abort(400)
    return filters.options()


@bp.post("/operations/csv")
@login_required
@limiter.limit(_limit, methods=["POST"])
def operations_csv() -> Any:
    """One table as a CSV file, made by the export core (audited) and sent at once."""
    require(current_user, Action.VIEW_STUDY_DATA)
    form = CsvForm()
    if form.kind.data not in KINDS:
        abort(404)
    if not form.validate():
        return _page(site_today(), _("Give the date as YYYY-MM-DD."), 422)
    ctx = registry.ExportContext(
        actor=current_user,
        cutoff=form.as_of.data,
        locale=current_user.locale or "en",
        options=_filters(form.kind.data),
    )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.csv"
        try:
            result = runner.produce(form.kind.data, ctx, out)
        except ValidationFailed as error:
            return _page(site_today(), str(error), 422)
        body = out.read_bytes()
    response = Response(body, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response
