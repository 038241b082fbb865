"""The calendar forms: the visit date, a visit not done, an unscheduled visit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, Length

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.visits.fields import REQUIRED
from studyapp.web.fields import TextAreaField
from studyapp.web.forms import IsoDateField, OnceForm


class VisitDateForm(CrfForm):
    pass


class NotDoneForm(FlaskForm):
    reason = TextAreaField(
        _l("Why was the visit not done?"),
        validators=[InputRequired(REQUIRED), Length(max=500)],
    )


class UnscheduledForm(OnceForm, FlaskForm):
    on = IsoDateField(
        _l("Date of the unscheduled visit"),
        validators=[InputRequired(REQUIRED)],
        description=DATE_HINT,
    )
    reason = TextAreaField(
        _l("Reason for the unscheduled visit"),
        validators=[InputRequired(REQUIRED), Length(max=500)],
    )


class EarlyTerminationForm(OnceForm, FlaskForm):
    on = IsoDateField(
        _l("Date of the early-termination visit"),
        validators=[InputRequired(REQUIRED)],
        description=DATE_HINT,
    )
    reason = TextAreaField(
        _l("Why does the subject leave the study early?"),
        validators=[InputRequired(REQUIRED), Length(max=500)],
    )
