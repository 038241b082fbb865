"""The subject-level pages whose form codes the CRF registry lists without models: the models
and columns each page records, named by the page's endpoint (not by a form code).

All of a page's values go into the FormData of the page's first code in the protocol (the
screening values page records DM, ECOG and PREG: its values are in the FormData of DM; the
other codes have a FormDef saying where their values are). Initials are never exported.
"""

from __future__ import annotations

from studyapp.subjects.models import SCREENING_FIELDS

_SUBJECT = "studyapp.subjects.models:Subject"
#: Page endpoint -> ((model, columns; () for every item column of the model), ...).
PAGES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "subjects.consent": ((_SUBJECT, ("consent_date", "consent_time", "consent_version")),),
    "subjects.screening_data": (
        (
            _SUBJECT,
            (
                "screening_number",
                "subject_number",
                "sex",
                "age_years",
                "birth_year",
                "screening_date",
                *SCREENING_FIELDS,
                "enrolled_at",
                "day1_date",
                "run_in",
            ),
        ),
    ),
    "subjects.eligibility": (
        (_SUBJECT, ("screen_failed_criteria", "screen_fail_reason")),
        ("studyapp.subjects.models:EligibilityAnswer", ()),
    ),
    "subjects.therapies": (
        ("studyapp.subjects.models:PriorTherapy", ()),
        ("studyapp.subjects.models:MedicalHistory", ()),
    ),
    "subjects.disposition": (
        (_SUBJECT, ("disposition", "disposition_date", "disposition_reason")),
    ),
}
