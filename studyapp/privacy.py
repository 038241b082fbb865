"""Keep direct identifiers out of the EDC (PRV-02): refuse them in free text."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from studyapp.errors import ValidationFailed

#: A PRC resident identity card number (18 characters) or a mainland mobile number.
_ID_CARD = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def identifier_error(text: str | None) -> str | None:
    """A message when ``text`` looks like it holds an ID-card or mobile number."""
    if not text:
        return None
    compact = re.sub(r"[\s-]", "", text)
    if _ID_CARD.search(compact) or _MOBILE.search(compact):
        return _("Do not enter ID-card or phone numbers: the EDC holds no direct identifiers.")
    return None


def check_free_text(fields: dict[str, str | None]) -> None:
    """Raise ValidationFailed naming each field that holds an identifier."""
    errors = {name: [msg] for name, text in fields.items() if (msg := identifier_error(text))}
    if errors:
        raise ValidationFailed(_("Check the form."), field_errors=errors)
