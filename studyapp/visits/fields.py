"""The field builders every visit form shares: numbers, times and their messages.

Each form lives beside its service and page (``vitals/forms.py``, ``labs/forms.py``, ...):
shape and messages only; limits and rules live in the services and the protocol. Fields are
declared in the order of the paper CRF, which is also the tab order.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, Optional

from studyapp.web.forms import NumberField, WholeNumberField

REQUIRED = _l("This field is required.")
TIME_HINT = _l("HH:MM, local time")
#: The largest number any form accepts before the service's limits say more (no overflow).
HUGE = 10**7


def decimal(label: object) -> NumberField:
    return NumberField(
        label,
        places=None,
        validators=[Optional(), NumberRange(min=0, max=HUGE, message=_l("Out of range."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


def whole(label: object) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[Optional(), NumberRange(min=0, max=HUGE, message=_l("Out of range."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
