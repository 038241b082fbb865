"""Visit forms: shape and messages only; limits and rules live in the services and protocol.

Fields are declared in the order of the paper CRF, which is also the tab order.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.web.fields import SelectField, TextAreaField
from studyapp.web.forms import IsoDateField, NumberField, OnceForm, WholeNumberField

REQUIRED = _l("This field is required.")
TIME_HINT = _l("HH:MM, local time")
#: The largest number any form accepts before the service's limits say more (no overflow).
HUGE = 10**7


def decimal(label: object) -> NumberField:
    return NumberField(
        label,
        places=None,
        validators=[Optional(), NumberRange(min=0, max=HUGE, message=_l("Out of range."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


def whole(label: object) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[Optional(), NumberRange(min=0, max=HUGE, message=_l("Out of range."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


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


class VitalsForm(CrfForm):
    vs_date = IsoDateField(
        _l("Date of measurement"), validators=[Optional()], description=DATE_HINT
    )
    vs_time = TimeField(_l("Time"), validators=[Optional()], description=TIME_HINT)
    weight = decimal(_l("Weight (kg)"))
    height = decimal(_l("Height (cm)"))
    sysbp = whole(_l("Systolic blood pressure (mmHg)"))
    diabp = whole(_l("Diastolic blood pressure (mmHg)"))
    pulse = whole(_l("Heart rate (beats/min)"))
    temp = decimal(_l("Temperature (°C)"))


class MedicationForm(OnceForm, CrfForm):
    """A concomitant medication or rescue therapy (CM); choices are set by the view."""

    category = SelectField(_l("Category"), validate_choice=False)
    rescue_type = SelectField(
        _l("Rescue therapy"), validate_choice=False, description=_l("For rescue therapy only.")
    )
    trt = StringField(_l("Drug"), validators=[Optional(), Length(max=200)])
    dose = decimal(_l("Dose"))
    dose_unit = StringField(
        _l("Dose unit"),
        validators=[Optional(), Length(max=20)],
        description=_l("e.g. mg, g/kg, units"),
    )
    route = SelectField(_l("Route"), validate_choice=False)
    frequency = StringField(_l("Frequency"), validators=[Optional(), Length(max=40)])
    start_date = StringField(
        _l("Start date"),
        validators=[Optional(), Length(max=10)],
        description=_l("YYYY, YYYY-MM or YYYY-MM-DD; rescue therapy: the full date"),
    )
    end_date = StringField(
        _l("End date"),
        validators=[Optional(), Length(max=10)],
        description=_l("YYYY, YYYY-MM or YYYY-MM-DD"),
    )
    ongoing = BooleanField(_l("Ongoing"))
    indication = StringField(_l("Indication"), validators=[Optional(), Length(max=200)])
