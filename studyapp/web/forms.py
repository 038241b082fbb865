"""Form bases shared by every feature: the reason-for-change and version fields, and the one
parsing policy for typed numbers and dates (fields and query strings alike, REL-07)."""

from __future__ import annotations

import re
import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import TextInput

from studyapp.versioning import NEW

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
#: Only ASCII digits, an optional sign and (for decimals) one point: no "NaN", "Infinity",
#: exponents, "1_000", "0x1F", superscripts or full-width digits.
_WHOLE = re.compile(r"[+-]?([0-9]+)")
_DECIMAL = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?")
#: A whole number has at most 9 significant digits (fits every 32-bit column); a decimal at
#: most 12 before the point and 6 after. Longer input is refused before any range check.
WHOLE_DIGITS, DECIMAL_DIGITS, DECIMAL_PLACES = 9, 12, 6

NUMBER = _l("Enter a number, e.g. 58.3.")
WHOLE = _l("Enter a whole number.")
TOO_LARGE = _l("The number is too large.")

TOO_PRECISE = _l("Use at most 6 decimal places.")


def parse_whole(text: str) -> int:
    """A typed whole number, or ValueError with the message to show next to the field."""
    match = _WHOLE.fullmatch(text.strip())
    if not match:
        raise ValueError(WHOLE)
    if len(match.group(1).lstrip("0")) > WHOLE_DIGITS:
        raise ValueError(TOO_LARGE)
    return int(match.group(0))


def parse_decimal(text: str) -> Decimal:
    """A typed finite decimal number, or ValueError with the message for the field."""
    match = _DECIMAL.fullmatch(text.strip())
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError(NUMBER)
    if len(match.group(1).lstrip("0")) > DECIMAL_DIGITS:
        raise ValueError(TOO_LARGE)
    if len(match.group(2) or "") > DECIMAL_PLACES:
        raise ValueError(TOO_PRECISE)
    return Decimal(match.group(0))


def query_int(name: str, *, low: int = 1, high: int = 2**31 - 1) -> int | None:
    """A whole number from the query string, or None (absent, not a number, out of range):
    a filter that cannot be read is not applied; never ``int()`` on arbitrary text."""
    try:
        value = parse_whole(request.args.get(name, ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _typed(field: Any, valuelist: list[Any]) -> str:
    """The text typed in ``field``; blank (spaces only) counts as nothing typed at all, so
    InputRequired says "required" and Optional skips the field."""
    text = str(valuelist[0]).strip() if valuelist else ""
    if not text:
        field.raw_data = []
    return text


class _ParsedOnce:
    """A field whose text could not be read shows that one message, not a range error too."""

    process_errors: list[Any]

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class NumberInput(TextInput):
    """A text box for a number: ``type=number`` would let the browser drop typed letters and
    send nothing, so what was typed is kept and the server names the field instead (issue 15);
    ``inputmode`` still brings up the phone's number keypad."""

    def __init__(self, inputmode: str) -> None:
        super().__init__()
        self.inputmode = inputmode

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", self.inputmode)
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("data-number", self.inputmode)
        return super().__call__(field, **kwargs)


class WholeNumberField(_ParsedOnce, IntegerField):
    """A whole number typed in ASCII digits, bounded in length (no overflow in validators,
    services or the database)."""

    widget = NumberInput("numeric")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = _typed(self, valuelist)
        if text:
            try:
                self.data = parse_whole(text)
            except ValueError as exc:
                if exc.args[0] is not WHOLE:
                    raise
                label = self.label.text
                # The message names the field (issue 15): it is also read in the page's summary.
                message = _l("%(field)s: not a whole number. Enter a whole number.", field=label)
                raise ValueError(message) from None


class NumberField(_ParsedOnce, DecimalField):
    """A finite decimal number typed in ASCII digits, bounded in length and places."""

    widget = NumberInput("decimal")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = _typed(self, valuelist)
        if text:
            try:
                self.data = parse_decimal(text)
            except ValueError as exc:
                if exc.args[0] is not NUMBER:
                    raise
                raise ValueError(
                    _l("%(field)s: not a number. Enter a number, e.g. 58.3.", field=self.label.text)
                ) from None


class IsoDateInput(TextInput):
    """A text box for YYYY-MM-DD that the offline date picker (static/vendor) enhances."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("placeholder", "YYYY-MM-DD")
        kwargs.setdefault("maxlength", 10)
        kwargs.setdefault("data-datepicker", "")
        return super().__call__(field, **kwargs)


class IsoDateField(_ParsedOnce, DateField):
    """A date typed as YYYY-MM-DD; an impossible date (2026-02-30) gets a message, not a 500."""

    widget = IsoDateInput()

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.isoformat() if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = _typed(self, valuelist)
        if not text:
            return
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(_l("Type the date as YYYY-MM-DD, e.g. 2026-03-14."))
        try:
            self.data = date.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("%(d)s is not a date of the calendar.", d=text)) from None


class VersionField(WholeNumberField):
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
