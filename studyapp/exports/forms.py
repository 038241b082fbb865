"""The form of a report or export request: which file, up to which date, for which subject."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Optional

from studyapp.web.fields import SelectField, optional_int
from studyapp.web.forms import IsoDateField


class ExportForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    cutoff = IsoDateField(_l("Data cut-off date"), validators=[Optional()])
    subject_id = SelectField(_l("Subject"), coerce=optional_int, validate_choice=False)
