"""The bleeding assessment form (XB): the WHO grade and one select per ITP-BAT item."""

from __future__ import annotations

import functools
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.validators import Optional

from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.localized import lazy_local, lazy_who_grade
from studyapp.protocol.loader import get_protocol
from studyapp.visits.bleeding import service
from studyapp.web.fields import RadioField, SelectField
from studyapp.web.forms import IsoDateField


@functools.cache
def bleeding_form() -> type[CrfForm]:
    """The form class: fields follow the protocol's WHO wording and ITP-BAT items.

    Choices are not validated by WTForms: the service refuses a grade outside 0..max with a
    message next to the field (a tampered form), as it does for the API.
    """
    scale = get_protocol().bleeding
    fields: dict[str, Any] = {
        "assessed_date": IsoDateField(
            _l("Date of assessment"), validators=[Optional()], description=DATE_HINT
        ),
        "who_grade": RadioField(
            _l("WHO bleeding grade"),
            coerce=int,
            choices=[SelectChoice(g, lazy_who_grade(g)) for g in range(len(scale.who_grades))],
            validate_choice=False,
        ),
    }
    for item in scale.items:
        fields[service.item_field(item.code)] = SelectField(
            lazy_local(item),
            coerce=int,
            choices=[SelectChoice(g, str(g)) for g in range(item.max_grade + 1)],
            default=0,
            validate_choice=False,
        )
    return type("BleedingForm", (CrfForm,), fields)
