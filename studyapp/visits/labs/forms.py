"""The lab forms (CBC, CHEM, IG: a value and a unit per test) and the live preview's query."""

from __future__ import annotations

import functools
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from studyapp.crf.forms import DATE_HINT, CrfForm, choices
from studyapp.localized import lazy_local, lazy_unit
from studyapp.visits.fields import TIME_HINT, decimal
from studyapp.visits.labs import readings as lab_readings
from studyapp.web.fields import SelectField
from studyapp.web.forms import IsoDateField


@functools.cache
def lab_form(form: str) -> type[CrfForm]:
    """The form class of a lab form: sample date/time, then a value and a unit per test.

    Units are not validated by WTForms: the service refuses a unit the protocol does not
    accept (a tampered select) with a message next to the field, as it does for the API.
    """
    fields: dict[str, Any] = {
        "lb_date": IsoDateField(_l("Sample date"), validators=[Optional()], description=DATE_HINT),
        "lb_time": TimeField(_l("Sample time"), validators=[Optional()], description=TIME_HINT),
    }
    for test in lab_readings.tests_for(form):
        fields[lab_readings.value_field(test.testcd)] = decimal(lazy_local(test))
        fields[lab_readings.unit_field(test.testcd)] = SelectField(
            _l("Unit of %(test)s", test=lazy_local(test)),
            choices=choices([(unit, lazy_unit(unit)) for unit in lab_readings.unit_choices(test)]),
            default=test.si_unit,
            validate_choice=False,
        )
    return type(f"LabForm{form}", (CrfForm,), fields)


class PreviewQuery(FlaskForm):
    """The query of the live preview: one value as typed (same parsing as the form)."""

    class Meta:
        csrf = False

    testcd = StringField(validators=[InputRequired(_l("Give the test.")), Length(max=8)])
    value = decimal(_l("Value"))
    unit = StringField(validators=[Optional(), Length(max=12)])
    on = IsoDateField(validators=[Optional()])
