"""Form bases shared by every feature: the reason-for-change and version fields."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import TextInput

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
