"""Choice and text fields whose stored values round-trip through the rendered page (issue 11).

A form opened on a saved record must show every stored answer so that saving the page
unchanged changes nothing. Each choice field has one ``coerce`` that maps both the stored
Python value (bool, int, Enum, None) and the posted text to one canonical value, and an
option is selected when its value coerces to the field's data *coerced the same way*: a view
may set ``data`` to the stored value or to its posted text, the right option is selected.
A textarea's text comes back with the line breaks it was saved with (browsers post CRLF).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from wtforms import fields, widgets
from wtforms.fields.choices import Choice


def text_choice(value: Any) -> str:
    """The text of a coded answer: None and "" are blank; an Enum is its value."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    return str(value)


def boolean_choice(yes: str, no: str) -> Callable[[Any], bool | None]:
    """A yes/no answer posted as *yes*/*no* and stored as True/False; blank is unanswered.

    Any other text is refused ("Invalid Choice"), never read as unanswered."""

    def coerce(value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip()
        if text == "":
            return None
        if text in (yes, no):
            return text == yes
        raise ValueError(value)

    return coerce


yes_no = boolean_choice("yes", "no")


def optional_int(value: Any) -> int | None:
    """'' -> None; a whole number -> int; anything else -> -1, which the services refuse with
    their own message ("The CTCAE grade is 1 to 5.", "Choose the infusion ...")."""
    if value is None or value == "" or value == "None":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return -1
    return int(text)


def _canonical(coerce: Callable[[Any], Any], value: Any) -> Any:
    """The coerced value, or None when the coercion refuses it (int(None), int(""))."""
    try:
        return coerce(value)
    except (ValueError, TypeError):
        return None


class _RoundTrip:
    """Select the options whose coerced value equals the coerced data (one or several)."""

    coerce: Callable[[Any], Any]
    data: Any
    multiple = False

    def _selected(self) -> Iterable[Any]:
        if self.multiple:
            return [_canonical(self.coerce, v) for v in self.data or ()]
        return [_canonical(self.coerce, self.data)]

    def iter_choices(self) -> list[Choice]:
        current = self._selected()
        return [
            c._replace(selected=_canonical(self.coerce, c.value) in current)
            for c in super().iter_choices()  # type: ignore[misc]
        ]


class SelectField(_RoundTrip, fields.SelectField):
    def __init__(self, *args: Any, coerce: Callable[[Any], Any] = text_choice, **kw: Any):
        super().__init__(*args, coerce=coerce, **kw)


class RadioField(_RoundTrip, fields.RadioField):
    def __init__(self, *args: Any, coerce: Callable[[Any], Any] = text_choice, **kw: Any):
        super().__init__(*args, coerce=coerce, **kw)


class MultiCheckboxField(_RoundTrip, fields.SelectMultipleField):
    """Several codes ticked from a list (checkboxes)."""

    multiple = True
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, coerce: Callable[[Any], Any] = text_choice, **kw: Any):
        super().__init__(*args, coerce=coerce, **kw)


class TextAreaField(fields.TextAreaField):
    """Free text; the CRLF line breaks a browser posts are stored as "\\n", as they were shown."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")
