"""Sign-in, password and user-administration forms: shape and messages only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length, Optional

from studyapp.permissions import ROLE_LABELS
from studyapp.web.fields import SelectField, TextAreaField
from studyapp.web.forms import OnceForm, VersionedForm

REQUIRED = _l("This field is required.")


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, str(label)) for role, label in ROLE_LABELS.items()]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(REQUIRED), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[InputRequired(REQUIRED), Length(max=1024)])


class TotpForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[InputRequired(REQUIRED), Length(max=12)],
    )


class NewPasswordMixin:
    new = PasswordField(_l("New password"), validators=[InputRequired(REQUIRED), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"), validators=[InputRequired(REQUIRED), Length(max=1024)]
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[InputRequired(REQUIRED), Length(max=1024)]
    )


class ResetWithCodeForm(NewPasswordMixin, FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(REQUIRED), Length(max=80)])
    code = StringField(_l("Single-use code"), validators=[InputRequired(REQUIRED), Length(max=40)])


class UserFieldsMixin:
    full_name = StringField(
        _l("Full name (printed in signatures)"),
        validators=[InputRequired(REQUIRED), Length(max=200)],
    )
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, validators=[InputRequired(REQUIRED)])


class NewUserForm(OnceForm, UserFieldsMixin, FlaskForm):
    username = StringField(
        _l("Username (never reused)"), validators=[InputRequired(REQUIRED), Length(max=40)]
    )
    identity_verification = TextAreaField(
        _l("How the person's identity was verified"),
        validators=[InputRequired(REQUIRED), Length(max=500)],
    )


class EditUserForm(UserFieldsMixin, VersionedForm):
    pass


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("en", "English"), SelectChoice("zh_Hans", "中文")]
    )
