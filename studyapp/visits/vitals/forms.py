"""The vital signs form (VS), in the order of the paper CRF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TimeField
from wtforms.validators import Optional

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.visits.fields import TIME_HINT, decimal, whole
from studyapp.web.forms import IsoDateField


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
