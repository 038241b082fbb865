"""The medication form (CM) and the removal of a medication with its reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from studyapp.crf.forms import CrfForm
from studyapp.visits.fields import decimal
from studyapp.web.fields import SelectField
from studyapp.web.forms import OnceForm, VersionedForm


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


class RemoveMedicationForm(VersionedForm):
    reason = TextAreaField(
        _l("Reason for removal"),
        validators=[
            InputRequired(message=_l("Give a reason for removing this medication.")),
            Length(max=500),
        ],
    )
