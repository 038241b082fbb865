"""The freeze/lock form and the release form (field shape only; the services decide)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.validators import InputRequired, Length

from studyapp.crf.status import FROZEN, LOCKED
from studyapp.web.fields import RadioField, TextAreaField

REQUIRED = _l("This field is required.")


class LockForm(FlaskForm):
    """Freeze or lock the place the page's address names (study, subject, visit or form)."""

    state = RadioField(
        _l("Set"),
        choices=[
            SelectChoice(FROZEN, _l("Freeze: queries go on, no data change")),
            SelectChoice(LOCKED, _l("Lock: no change at all")),
        ],
        validators=[InputRequired(REQUIRED)],
    )
    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=500)])


class ReleaseForm(FlaskForm):
    """Unfreeze or unlock: the reason is required (the service says so next to the field)."""

    reason = TextAreaField(_l("Reason for releasing"), validators=[Length(max=500)])
