"""Which page records each form code of the protocol's visit schedule.

The protocol lists the forms of each visit (``VisitDef.forms``); several codes share one page
(VS, WEIGHT and HEIGHT are the vital signs form; EC and PREMED the dosing form). Codes
recorded elsewhere point there; codes of later modules are listed as not yet collected.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Entry:
    key: str  # page key; the first form code of the page
    label: object
    endpoint: str | None  # None: not collected by this version of studyapp
    per_visit: bool = True  # False: a subject-level page (medications, disposition)


ENTRIES = {
    "VS": Entry("VS", _l("Vital signs"), "visits.vitals"),
    "CBC": Entry("CBC", _l("Blood count (CBC)"), "visits.labs"),
    "CHEM": Entry("CHEM", _l("Chemistry"), "visits.labs"),
    "IG": Entry("IG", _l("Immunoglobulins"), "visits.labs"),
    "BLEED": Entry("BLEED", _l("Bleeding assessment"), "visits.bleeding"),
    "EC": Entry("EC", _l("Dosing and premedication"), "visits.dose"),
    "CM": Entry("CM", _l("Medications and rescue therapy"), "visits.medications"),
    "AE": Entry("AE", _l("Adverse events"), "safety.events", False),
    "IRR": Entry("IRR", _l("Infusion-related reactions"), "safety.events", False),
    "DS": Entry("DS", _l("Disposition"), "subjects.disposition", False),
    "CONSENT": Entry("CONSENT", _l("Informed consent"), "subjects.consent", False),
    "IE": Entry("IE", _l("Eligibility"), "subjects.eligibility", False),
    "PRIORTX": Entry("PRIORTX", _l("Prior therapies and history"), "subjects.therapies", False),
    "SCRVAL": Entry("SCRVAL", _l("Screening values"), "subjects.screening_data", False),
}
#: Form codes recorded on another code's page.
ALIASES = {
    "WEIGHT": "VS",
    "HEIGHT": "VS",
    "PREMED": "EC",
    "MH": "PRIORTX",
    "ITPHX": "PRIORTX",
    "DM": "SCRVAL",
    "ECOG": "SCRVAL",
    "PREG": "SCRVAL",
}


def entries(forms: tuple[str, ...]) -> list[Entry]:
    """The pages of a visit's forms, in the protocol's order, each once.

    A code with no page yet (PE, ECG, VIROLOGY ...) is listed as not collected.
    """
    out: list[Entry] = []
    for code in forms:
        key = ALIASES.get(code, code)
        entry = ENTRIES.get(key, Entry(key, key, None))
        if entry not in out:
            out.append(entry)
    return out


def next_entry(forms: tuple[str, ...], current: str) -> Entry | None:
    """The next per-visit page after *current* that studyapp collects."""
    pages = [e for e in entries(forms) if e.endpoint and e.per_visit]
    keys = [e.key for e in pages]
    if current not in keys:
        return None
    index = keys.index(current)
    return pages[index + 1] if index + 1 < len(pages) else None


def url(entry: Entry, subject_id: int, visitnum: str) -> str:
    if entry.endpoint is None:
        raise ValueError(f"form {entry.key} has no page")
    if entry.endpoint == "visits.labs":
        return url_for(entry.endpoint, subject_id=subject_id, visitnum=visitnum, form=entry.key)
    if not entry.per_visit:
        return url_for(entry.endpoint, subject_id=subject_id)
    return url_for(entry.endpoint, subject_id=subject_id, visitnum=visitnum)
