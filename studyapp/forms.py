"""Form bases shared by every feature: the reason-for-change and version fields."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from studyapp.versioning import NEW

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class IsoDateInput(TextInput):
    """A text box for YYYY-MM-DD that the offline date picker (static/vendor) enhances."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("placeholder", "YYYY-MM-DD")
        kwargs.setdefault("maxlength", 10)
        kwargs.setdefault("data-datepicker", "")
        return super().__call__(field, **kwargs)


class IsoDateField(DateField):
    """A date typed as YYYY-MM-DD; an impossible date (2026-02-30) gets a message, not a 500."""

    widget = IsoDateInput()

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.isoformat() if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip()
        self.data = None
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(_l("Type the date as YYYY-MM-DD, e.g. 2026-03-14."))
        try:
            self.data = date.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("%(d)s is not a date of the calendar.", d=text)) from None


class VersionField(IntegerField):
    """The hidden version a form was opened on (REL-01), taken only from what was sent.

    Empty means the record did not exist yet (``versioning.NEW``); a form sent without the
    field gives None, even when the form was built on the stored record (``obj=``), so the
    version check refuses it instead of taking the stored version and overwriting.
    """

    widget = HiddenField.widget

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            self.data = None
        elif not str(valuelist[0]).strip():
            self.data = NEW
        else:
            super().process_formdata(valuelist)


class TokenField(HiddenField):
    """A one-time submission token: a new one each time the empty form is rendered."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0])[:64] if valuelist else None


class OnceForm:
    """Mixin of every create form: a repeat of the same form makes no second record (REL-01).

    The view calls ``submissions.claim(form, Model, locate)`` before the create service.
    """

    submission = TokenField(default=lambda: secrets.token_urlsafe(24))


class VersionedForm(FlaskForm):
    """Edits of saved records: carry the version edited (REL-01) and a reason (GCP-02)."""

    version = VersionField(validators=[Optional(), NumberRange(min=1)])
    reason = TextAreaField(
        _l("Reason for change"),
        validators=[InputRequired(message=_l("Give a reason for this change.")), Length(max=500)],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(message=_l("Give a reason.")), Length(max=500)],
    )
