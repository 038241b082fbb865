"""One WTForms class per simple form, built from its description (``spec``).

Shape and messages only: a number that is not a number, a code not in the list. Required
fields, limits and rules are the service's edit checks, so "save as draft" can skip them.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, Optional

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.protocol.loader import get_protocol
from studyapp.visits.assessments import spec
from studyapp.visits.fields import decimal
from studyapp.web.fields import SelectField, TextAreaField, text_choice, yes_no
from studyapp.web.forms import IsoDateField

BLANK = ("", "—")


def _choices(codelist: Any) -> Any:
    return lambda: [BLANK, *codelist.choices()]


def _yes_no() -> list[tuple[str, str]]:
    return [BLANK, ("yes", str(_l("Yes"))), ("no", str(_l("No")))]


def _field(field: spec.Field) -> Any:
    if field.kind == spec.DATE:
        return IsoDateField(field.label, validators=[Optional()], description=DATE_HINT)
    if field.kind in (spec.CHOICE, spec.GRADE):
        return SelectField(field.label, choices=_choices(field.codelist), coerce=text_choice)
    if field.kind == spec.YESNO:
        return SelectField(field.label, choices=_yes_no, coerce=yes_no)
    if field.kind == spec.NUMBER and field.measure is not None:
        unit = field.measure(get_protocol()).unit
        return decimal(_l("%(name)s (%(unit)s)", name=field.label, unit=unit))
    return TextAreaField(field.label, validators=[Optional(), Length(max=2000)])


_CLASSES: dict[type, type[CrfForm]] = {}


def form_class(form: spec.SimpleForm) -> type[CrfForm]:
    """The form class of a simple form (built once per process)."""
    if form.model not in _CLASSES:
        fields = {f.name: _field(f) for f in form.fields}
        _CLASSES[form.model] = type(f"{form.model.__name__}Form", (CrfForm,), fields)
    return _CLASSES[form.model]
