"""Form bases shared by every feature: the reason-for-change and version fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange


class VersionedForm(FlaskForm):
    """Edits of saved records: carry the version edited (REL-01) and a reason (GCP-02)."""

    version = IntegerField(widget=HiddenField.widget, validators=[NumberRange(min=1)])
    reason = TextAreaField(
        _l("Reason for change"),
        validators=[InputRequired(message=_l("Give a reason for this change.")), Length(max=500)],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(message=_l("Give a reason.")), Length(max=500)],
    )
