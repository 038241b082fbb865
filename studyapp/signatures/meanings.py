"""What each signature of the study means: stored in English, shown in the reader's language.

A signature's ``meaning`` is written to the signature row and the audit trail in English (the
record must read the same whatever the signer's language); pages, the audit viewer and the
casebook show it through ``meaning_label``. Every meaning a feature signs with is named here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ELIGIBILITY = "Investigator confirmation of eligibility"
RUN_IN_REVIEW = "Investigator sign-off of the safety run-in DLT review"
CASEBOOK = "Investigator approval of casebook"
VISIT = "Investigator approval of visit data"

#: Stored meaning -> its words in the reader's language.
MEANING_LABELS = {
    ELIGIBILITY: _l("Investigator confirmation of eligibility"),
    RUN_IN_REVIEW: _l("Investigator sign-off of the safety run-in DLT review"),
    CASEBOOK: _l("Investigator approval of casebook"),
    VISIT: _l("Investigator approval of visit data"),
}


def meaning_label(meaning: str | None) -> str:
    """A stored meaning in the reader's language (an unknown one as stored)."""
    label = MEANING_LABELS.get(meaning or "")
    return str(label) if label is not None else meaning or ""
