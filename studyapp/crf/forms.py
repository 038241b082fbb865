"""The fields every CRF page shares, and the small helpers of CRF forms."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice
from wtforms.validators import Length, Optional

from studyapp.web.fields import TextAreaField
from studyapp.web.forms import IsoDateField, VersionField

DATE_HINT = _l("YYYY-MM-DD")


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def completing() -> bool:
    """ "Save as draft" keeps the form in progress; the other buttons complete it."""
    return request.form.get("action") != "draft"


class CrfForm(FlaskForm):
    """Shared by every CRF form: version, visit date (first save), reason, confirmation."""

    version = VersionField(validators=[Optional()])
    visit_date = IsoDateField(_l("Visit date"), validators=[Optional()], description=DATE_HINT)
    reason = TextAreaField(
        _l("Reason for change"),
        validators=[Optional(), Length(max=500)],
        description=_l("Required when you change a saved value."),
    )
    confirm = BooleanField(_l("I have checked the unusual values: they are correct."))
