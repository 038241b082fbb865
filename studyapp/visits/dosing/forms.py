"""The dosing form (EC and PREMED): infusion, given dose, interruption, premedications and
the rate changes (one time and rate pair per row, ``RATE_STEP_ROWS`` rows)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, TimeField
from wtforms.validators import Length, Optional

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.localized import local, local_unit
from studyapp.visits.dosing import checks as dose_checks
from studyapp.visits.fields import TIME_HINT, decimal, whole
from studyapp.web.fields import SelectField, TextAreaField, boolean_choice
from studyapp.web.forms import IsoDateField

YES, NO = "Y", "N"


def _text(label: object) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=500)])


class DoseForm(CrfForm):
    split = BooleanField(_l("Split the first dose: half on Day 1, half on the next day"))
    ec_date = IsoDateField(
        _l("Date of the infusion"), validators=[Optional()], description=DATE_HINT
    )
    premed_time = TimeField(
        _l("Premedication given at"), validators=[Optional()], description=TIME_HINT
    )
    start_time = TimeField(_l("Infusion start"), validators=[Optional()], description=TIME_HINT)
    stop_time = TimeField(_l("Infusion stop"), validators=[Optional()], description=TIME_HINT)
    given_dose = decimal(_l("Dose given (mg)"))
    given_volume = decimal(_l("Volume of daratumumab given (mL)"))
    deviation_reason = _text(_l("Reason for the dose deviation"))
    interrupted = SelectField(
        _l("Was the infusion interrupted?"),
        choices=[SelectChoice("", "—"), SelectChoice(NO, _l("No")), SelectChoice(YES, _l("Yes"))],
        coerce=boolean_choice(YES, NO),
        validate_choice=True,
    )
    interruption_minutes = whole(_l("Interrupted for (minutes)"))
    interruption_reason = _text(_l("Reason for the interruption"))


for _column in dose_checks.PREMED_COLUMNS.values():
    # Labels come from the protocol when the form is built (``_label_premeds``).
    setattr(DoseForm, _column, decimal(_column))
for _n in range(1, dose_checks.RATE_STEP_ROWS + 1):
    _time_field, _rate_field = dose_checks.step_fields(_n)
    setattr(DoseForm, _time_field, TimeField(_l("Time of rate change"), validators=[Optional()]))
    setattr(DoseForm, _rate_field, decimal(_l("Rate (mL/h)")))


def label_premeds(form: DoseForm) -> None:
    """Name each premedication field after the protocol's drug and unit."""
    for premed, column in dose_checks.premedications():
        form[column].label.text = f"{local(premed)} ({local_unit(premed.unit)})"
