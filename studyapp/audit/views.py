"""The audit viewer (monitor, data manager): filter, paginate, a field's full history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from studyapp.audit import services
from studyapp.forms import IsoDateField, WholeNumberField, query_int

bp = Blueprint("audit", __name__, url_prefix="/audit")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    subject_id = WholeNumberField(
        _l("Subject (id)"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )
    table_name = SelectField(_l("Table"), validators=[Optional()], validate_choice=False)
    row_id = StringField(_l("Row"), validators=[Optional()])
    field = StringField(_l("Field"), validators=[Optional()])
    username = StringField(_l("User"), validators=[Optional()])
    date_from = IsoDateField(_l("From (UTC date)"), validators=[Optional()])
    date_to = IsoDateField(_l("To (UTC date)"), validators=[Optional()])


@bp.route("/")
@login_required
def index() -> Any:
    form = AuditFilterForm(request.args)
    form.table_name.choices = [SelectChoice("", "—")] + [
        SelectChoice(t, t) for t in services.table_names()
    ]
    valid = form.validate()
    criteria = (
        services.AuditFilter(
            **{
                name: (form[name].data or None)
                for name in services.AuditFilter.__dataclass_fields__
            }
        )
        if valid
        else services.AuditFilter()
    )
    page = min(query_int("page") or 1, 10**6)
    result = services.search(current_user, criteria, page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/index.html", form=form, result=result, args=args), (
        200 if valid else 400
    )


@bp.route("/history/<table_name>/<row_id>/<field>")
@login_required
def history(table_name: str, row_id: str, field: str) -> Any:
    rows = services.field_history(current_user, table_name, row_id, field)
    return render_template(
        "audit/history.html", rows=rows, table_name=table_name, row_id=row_id, field=field
    )
