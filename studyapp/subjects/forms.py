"""Subject forms: shape and messages only; the rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from studyapp import codelists
from studyapp.web.fields import RadioField, SelectField, TextAreaField
from studyapp.web.forms import IsoDateField, NumberField, OnceForm, VersionedForm, WholeNumberField

REQUIRED = _l("This field is required.")
DATE_HINT = _l("YYYY-MM-DD")
PARTIAL_HINT = _l("YYYY, YYYY-MM or YYYY-MM-DD")


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class ScreeningForm(OnceForm, FlaskForm):
    screening_date = IsoDateField(
        _l("Screening date"), validators=[InputRequired(REQUIRED)], description=DATE_HINT
    )
    sex = RadioField(
        _l("Sex"), choices=choices([("F", "F"), ("M", "M")]), validators=[InputRequired(REQUIRED)]
    )
    age_years = WholeNumberField(
        _l("Age at screening (years)"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=119)],
    )
    birth_year = WholeNumberField(
        _l("Year of birth (optional)"), validators=[Optional(), NumberRange(min=1900, max=2100)]
    )
    initials = StringField(
        _l("Initials (optional, no name)"), validators=[Optional(), Length(max=4)]
    )


class ConsentForm(FlaskForm):
    consent_date = IsoDateField(
        _l("Date of informed consent"), validators=[InputRequired(REQUIRED)], description=DATE_HINT
    )
    consent_time = TimeField(
        _l("Time of informed consent"),
        validators=[InputRequired(REQUIRED)],
        description=_l("HH:MM, local time"),
    )
    version = SelectField(
        _l("Consent form version"), validators=[InputRequired(REQUIRED)], validate_choice=False
    )
    obtained_by_id = SelectField(
        _l("Consent obtained by"),
        coerce=int,
        validators=[InputRequired(REQUIRED)],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Reason for change (when correcting)"), validators=[Optional(), Length(max=500)]
    )


class ScreeningDataForm(VersionedForm):
    itp_diagnosis_date = StringField(
        _l("ITP diagnosed (date)"),
        description=PARTIAL_HINT,
        validators=[Optional(), Length(max=10)],
    )
    ecog = WholeNumberField(
        _l("ECOG performance status"), validators=[Optional(), NumberRange(min=0, max=5)]
    )
    platelet_count = NumberField(
        _l("Eligibility platelet count (10^9/L)"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=2000)],
    )
    platelet_date = IsoDateField(
        _l("Sample date of that count"), validators=[Optional()], description=DATE_HINT
    )
    alt = NumberField(
        _l("ALT (U/L)"), places=1, validators=[Optional(), NumberRange(min=0, max=10000)]
    )
    ast = NumberField(
        _l("AST (U/L)"), places=1, validators=[Optional(), NumberRange(min=0, max=10000)]
    )
    bilirubin = NumberField(
        _l("Total bilirubin (umol/L)"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=2000)],
    )
    creatinine = NumberField(
        _l("Creatinine (umol/L)"), places=1, validators=[Optional(), NumberRange(min=0, max=5000)]
    )
    pregnancy_test = SelectField(
        _l("Pregnancy test (women)"),
        validators=[Optional()],
        choices=choices(
            [
                ("", "—"),
                (codelists.NEGATIVE, _l("negative")),
                (codelists.POSITIVE, _l("positive")),
                ("NOT_APPLICABLE", _l("not of childbearing potential")),
            ]
        ),
    )
    last_emergency_tx_stop = IsoDateField(
        _l("Last emergency ITP treatment stopped on"),
        validators=[Optional()],
        description=DATE_HINT,
    )
    no_emergency_tx = BooleanField(_l("No emergency ITP treatment given"))
    reason = TextAreaField(
        _l("Reason for change (only when changing a saved value)"),
        validators=[Optional(), Length(max=500)],
    )


class TherapyForm(OnceForm, FlaskForm):
    category = SelectField(
        _l("Category"), validators=[InputRequired(REQUIRED)], validate_choice=False
    )
    name = StringField(
        _l("Therapy (drug or procedure)"), validators=[InputRequired(REQUIRED), Length(max=200)]
    )
    start_date = StringField(
        _l("Start"), description=PARTIAL_HINT, validators=[Optional(), Length(max=10)]
    )
    stop_date = StringField(
        _l("Stop"), description=PARTIAL_HINT, validators=[Optional(), Length(max=10)]
    )
    best_response = SelectField(_l("Best response"), validators=[Optional()], validate_choice=False)
    reason_stopped = SelectField(
        _l("Reason stopped"), validators=[Optional()], validate_choice=False
    )


class HistoryForm(OnceForm, FlaskForm):
    term = StringField(_l("Condition"), validators=[InputRequired(REQUIRED), Length(max=200)])
    start_date = StringField(
        _l("Start"), description=PARTIAL_HINT, validators=[Optional(), Length(max=10)]
    )
    end_date = StringField(
        _l("End"), description=PARTIAL_HINT, validators=[Optional(), Length(max=10)]
    )
    ongoing = BooleanField(_l("Ongoing"))


class SignatureFields:
    username = StringField(_l("Username"), validators=[Optional(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[InputRequired(REQUIRED), Length(max=1024)])


class ConfirmEligibilityForm(SignatureFields, FlaskForm):
    pass


class EnrolForm(FlaskForm):
    day1 = IsoDateField(
        _l("Day 1 (first infusion, planned)"),
        validators=[InputRequired(REQUIRED)],
        description=DATE_HINT,
    )


class ScreenFailForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the screen failure"), validators=[InputRequired(REQUIRED), Length(max=500)]
    )


class DispositionForm(FlaskForm):
    decod = SelectField(
        _l("Disposition"), validators=[InputRequired(REQUIRED)], validate_choice=False
    )
    on = IsoDateField(_l("Date"), validators=[InputRequired(REQUIRED)], description=DATE_HINT)
    reason = TextAreaField(
        _l("Reason and details"), validators=[InputRequired(REQUIRED), Length(max=500)]
    )


class DltReviewForm(SignatureFields, FlaskForm):
    decision = RadioField(
        _l("Decision"),
        validators=[InputRequired(REQUIRED)],
        choices=choices(
            [
                ("continue", _l("continue: open enrolment")),
                ("modify", _l("modify: expand the run-in cohort")),
                ("stop", _l("stop: halt enrolment")),
            ]
        ),
    )
    comments = TextAreaField(_l("Comments"), validators=[Optional(), Length(max=2000)])
