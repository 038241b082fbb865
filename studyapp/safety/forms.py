"""Safety forms: shape and messages only; the rules live in ``safety.events`` and the protocol.

Fields follow the paper AE form: the event, its dates, grade, seriousness, relationship,
expectedness, action, outcome, treatment, and whether it is an infusion reaction.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from studyapp import codelists
from studyapp.crf.forms import DATE_HINT, CrfForm, choices
from studyapp.web.fields import (
    MultiCheckboxField,
    RadioField,
    SelectField,
    TextAreaField,
    optional_int,
    yes_no,
)
from studyapp.web.forms import IsoDateField, OnceForm, VersionField, WholeNumberField

PARTIAL_HINT = _l("YYYY, YYYY-MM, YYYY-MM-DD or YYYY---DD (month unknown)")


class AeForm(OnceForm, CrfForm):
    """An adverse event record; choices are set by the view from the protocol and CDISC."""

    aeterm = StringField(
        _l("Adverse event (investigator's words)"), validators=[Optional(), Length(max=200)]
    )
    ctcae_term = StringField(
        _l("CTCAE v5.0 term"),
        validators=[Optional(), Length(max=200)],
        description=_l("Type a few letters and choose from the list; its SOC is filled in."),
        render_kw={"list": "ctcae-terms", "autocomplete": "off", "data-ctcae": "term"},
    )
    start_date = StringField(
        _l("Onset date"), validators=[Optional(), Length(max=10)], description=PARTIAL_HINT
    )
    end_date = StringField(
        _l("End date"), validators=[Optional(), Length(max=10)], description=PARTIAL_HINT
    )
    ongoing = BooleanField(_l("Ongoing"))
    grade = RadioField(
        _l("CTCAE grade"),
        choices=choices([(str(g), str(g)) for g in range(1, 6)]),
        coerce=optional_int,
        validate_choice=False,
        validators=[Optional()],
    )
    serious = RadioField(
        _l("Serious (ICH E2A)"),
        choices=choices([("no", _l("No")), ("yes", _l("Yes"))]),
        coerce=yes_no,
        validate_choice=False,
        validators=[Optional()],
    )
    criteria = MultiCheckboxField(_l("Seriousness criteria"), validate_choice=False)
    aware_date = IsoDateField(
        _l("Site aware it is serious: date"), validators=[Optional()], description=DATE_HINT
    )
    aware_time = TimeField(
        _l("Time (site local)"),
        validators=[Optional()],
        render_kw={"placeholder": "HH:MM"},
    )
    relatedness = SelectField(_l("Relationship to daratumumab"), validate_choice=False)
    expected = RadioField(
        _l("Expected (reference safety information)"),
        choices=choices([("no", _l("No, unexpected")), ("yes", _l("Yes, expected"))]),
        coerce=yes_no,
        validate_choice=False,
        validators=[Optional()],
    )
    aeacn = SelectField(_l("Action taken with daratumumab"), validate_choice=False)
    aeout = SelectField(_l("Outcome"), validate_choice=False)
    treatment = TextAreaField(
        _l("Treatment given for the event"), validators=[Optional(), Length(max=1000)]
    )
    irr = BooleanField(_l("Infusion-related reaction"))
    dose_id = SelectField(_l("Infusion it followed"), coerce=optional_int, validate_choice=False)


class GradeChangeForm(FlaskForm):
    version = WholeNumberField(widget=HiddenField.widget, validators=[NumberRange(min=1)])
    grade = RadioField(
        _l("New grade"),
        choices=choices([(str(g), str(g)) for g in range(1, 6)]),
        coerce=optional_int,
        validate_choice=False,
        validators=[Optional()],
    )
    on = IsoDateField(_l("Date of the change"), validators=[Optional()], description=DATE_HINT)
    expected = RadioField(
        _l("Expected (reference safety information)"),
        choices=choices([("no", _l("No, unexpected")), ("yes", _l("Yes, expected"))]),
        coerce=yes_no,
        validate_choice=False,
        validators=[Optional()],
        description=_l(
            "Needed when a related event becomes serious (grade 5) and was not assessed."
        ),
    )


class DltDecisionForm(FlaskForm):
    version = WholeNumberField(widget=HiddenField.widget, validators=[NumberRange(min=1)])
    decision = RadioField(
        _l("Decision"),
        choices=choices(
            [
                (codelists.CONFIRMED, _l("Confirm: this is a DLT")),
                (codelists.REJECTED, _l("Reject: not a DLT")),
            ]
        ),
        validate_choice=False,
        validators=[Optional()],
    )
    dlt_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class RemoveForm(FlaskForm):
    version = WholeNumberField(widget=HiddenField.widget, validators=[NumberRange(min=1)])
    reason = TextAreaField(
        _l("Reason for removal"),
        validators=[
            InputRequired(message=_l("Give a reason for removing this adverse event.")),
            Length(max=500),
        ],
    )


class ReportForm(OnceForm, FlaskForm):
    version = VersionField(validators=[Optional()])
    kind = SelectField(_l("Report"), validate_choice=False)
    narrative = TextAreaField(
        _l("Narrative"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "What happened and when, the diagnosis, tests, treatment, outcome and the "
            "investigator's assessment. No names: use the subject number."
        ),
        render_kw={"rows": 12},
    )
    reason = TextAreaField(_l("Reason for change"), validators=[Optional(), Length(max=500)])


class SubmitForm(FlaskForm):
    version = WholeNumberField(widget=HiddenField.widget, validators=[NumberRange(min=1)])


class TaskForm(FlaskForm):
    decision = RadioField(
        _l("Answer"),
        choices=choices(
            [
                (codelists.RECORDED_AE, _l("An adverse event is recorded for it")),
                (codelists.NOT_AE, _l("Not an adverse event")),
            ]
        ),
        validate_choice=False,
        validators=[Optional()],
    )
    ae_id = SelectField(_l("Adverse event"), coerce=optional_int, validate_choice=False)
    reason = TextAreaField(
        _l("Why it is not an adverse event"), validators=[Optional(), Length(max=1000)]
    )
