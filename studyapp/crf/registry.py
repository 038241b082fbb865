"""Every form code of the protocol, once: its page, the models that store it, its SDTM domain
and the fields a monitor verifies against the source (SDV).

The protocol lists the forms of each visit (``VisitDef.forms``). Several codes share one page
(VS, WEIGHT and HEIGHT are the vital signs page; EC and PREMED the dosing page). The simple
forms (PE, ECG, VIROLOGY, BLOODBANK, APLTAB) share one page that reads their field list
(``spec``). A code with no page would be listed as not collected. Models and field lists are
named by import path and resolved when asked, so this package never imports the features.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Page:
    """A page that records one or more form codes."""

    key: str  # the first form code of the page
    label: object
    endpoint: str | None  # None: not collected by this version of studyapp
    per_visit: bool = True  # False: a subject-level page (adverse events, disposition)
    #: One record per visit (a list page, such as medications, holds several).
    single: bool = False


@dataclass(frozen=True)
class FormCode:
    """One form code of the protocol."""

    code: str
    page: Page
    #: SDTM domain its data goes to (None: not exported as a domain).
    domain: str | None = None
    #: "module:Class" of the models storing it; the first carries status and version.
    models: tuple[str, ...] = ()
    #: The fields a monitor verifies against the source (columns of the first model).
    sdv_fields: tuple[str, ...] = ()
    #: "module:NAME" of the field list of a simple form (``visits.assessments.spec``).
    spec: str | None = None

    @property
    def label(self) -> object:
        return self.page.label

    @property
    def endpoint(self) -> str | None:
        return self.page.endpoint

    @property
    def per_visit(self) -> bool:
        return self.page.per_visit

    def field_list(self) -> Any:
        """The simple form's description (None for a form with its own page)."""
        return None if self.spec is None else _resolve(self.spec)

    def model_classes(self) -> tuple[type, ...]:
        """The models, imported now (the features are loaded by the time anyone asks)."""
        return tuple(_resolve(path) for path in self.models)


def _resolve(path: str) -> Any:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _page(key: str, label: object, endpoint: str | None, per_visit: bool = True) -> Page:
    return Page(key, label, endpoint, per_visit)


def _visit_form(key: str, label: object, endpoint: str) -> Page:
    return Page(key, label, endpoint, per_visit=True, single=True)


_VISITS, _SAFETY = "studyapp.visits.models", "studyapp.safety.models"
VITALS = _visit_form("VS", _l("Vital signs"), "visits.vitals")
DOSE = _visit_form("EC", _l("Dosing and premedication"), "visits.dose")
EVENTS = _page("AE", _l("Adverse events"), "safety.events", False)
HISTORY = _page("PRIORTX", _l("Prior therapies and history"), "subjects.therapies", False)
SCREENING = _page("SCRVAL", _l("Screening values"), "subjects.screening_data", False)
DISPOSITION = _page("DS", _l("Disposition"), "subjects.disposition", False)
CONSENT = _page("CONSENT", _l("Informed consent"), "subjects.consent", False)
ELIGIBILITY = _page("IE", _l("Eligibility"), "subjects.eligibility", False)
MEDICATIONS = _page("CM", _l("Medications and rescue therapy"), "visits.medications")
_VS_FIELDS = ("vs_date", "weight", "height", "sysbp", "diabp", "pulse", "temp")
_LAB = (f"{_VISITS}:LabPanel", f"{_VISITS}:LabResult")
_LAB_SDV = ("lb_date", "orres", "orresu")
_EC = (f"{_VISITS}:DoseAdministration", f"{_VISITS}:InfusionRateStep")
_EC_SDV = ("ec_date", "start_time", "stop_time", "given_dose", "given_volume", "interrupted")
_PREMED_SDV = ("premed_time", "premed_methylpred", "premed_paracetamol", "premed_antihistamine")
_AE = (f"{_SAFETY}:AdverseEvent",)
_AE_SDV = ("aeterm", "start_date", "end_date", "grade", "aeser", "relatedness", "aeout")


#: Endpoints that serve several pages, told apart by their ``form`` argument.
KEYED = frozenset({"visits.labs", "visits.assessment"})
_SIMPLE = "studyapp.visits.assessments"


def _simple(
    code: str, label: object, domain: str, model: str, spec: str, sdv: tuple[str, ...]
) -> FormCode:
    """A simple form: a field list on the one page of simple forms, one record per visit."""
    page = _visit_form(code, label, "visits.assessment")
    return FormCode(
        code, page, domain, (f"{_SIMPLE}.models:{model}",), sdv, f"{_SIMPLE}.spec:{spec}"
    )


def by_code(forms: tuple[FormCode, ...]) -> dict[str, FormCode]:
    """The table by form code; a code listed twice is a mistake, refused at import."""
    table: dict[str, FormCode] = {}
    for entry in forms:
        if entry.code in table:
            raise ValueError(f"form code {entry.code} is registered twice")
        table[entry.code] = entry
    return table


FORMS: dict[str, FormCode] = by_code(
    (
        FormCode("VS", VITALS, "VS", (f"{_VISITS}:VitalSigns",), _VS_FIELDS),
        FormCode("WEIGHT", VITALS, "VS", (f"{_VISITS}:VitalSigns",), ("weight",)),
        FormCode("HEIGHT", VITALS, "VS", (f"{_VISITS}:VitalSigns",), ("height",)),
        FormCode(
            "CBC", _visit_form("CBC", _l("Blood count (CBC)"), "visits.labs"), "LB", _LAB, _LAB_SDV
        ),
        FormCode("CHEM", _visit_form("CHEM", _l("Chemistry"), "visits.labs"), "LB", _LAB, _LAB_SDV),
        FormCode(
            "IG", _visit_form("IG", _l("Immunoglobulins"), "visits.labs"), "LB", _LAB, _LAB_SDV
        ),
        FormCode(
            "BLEED",
            _visit_form("BLEED", _l("Bleeding assessment"), "visits.bleeding"),
            "XB",
            (f"{_VISITS}:BleedingAssessment", f"{_VISITS}:BleedingItem"),
            ("assessed_date", "who_grade", "smog"),
        ),
        FormCode("EC", DOSE, "EC", _EC, _EC_SDV),
        FormCode("PREMED", DOSE, "CM", _EC, _PREMED_SDV),
        FormCode(
            "CM",
            MEDICATIONS,
            "CM",
            (f"{_VISITS}:Medication",),
            ("trt", "dose", "dose_unit", "route", "start_date", "end_date", "ongoing"),
        ),
        FormCode("AE", EVENTS, "AE", _AE, _AE_SDV),
        FormCode("IRR", EVENTS, "AE", _AE, (*_AE_SDV, "dose_id")),
        FormCode("DS", DISPOSITION, "DS"),
        FormCode("CONSENT", CONSENT, "DS"),
        FormCode("IE", ELIGIBILITY, "IE"),
        FormCode("PRIORTX", HISTORY, "CM"),
        FormCode("MH", HISTORY, "MH"),
        FormCode("ITPHX", HISTORY, "MH"),
        FormCode("DM", SCREENING, "DM"),
        FormCode("ECOG", SCREENING, "QS"),
        FormCode("PREG", SCREENING, "LB"),
        _simple(
            "PE",
            _l("Physical examination"),
            "PE",
            "PhysicalExam",
            "PHYSICAL_EXAM",
            ("pe_date", "pe_result"),
        ),
        _simple("ECG", _l("ECG"), "EG", "Ecg", "ECG", ("eg_date", "hr", "qtcf", "eg_result")),
        _simple(
            "VIROLOGY",
            _l("Virology (HBV, HCV, HIV)"),
            "LB",
            "Virology",
            "VIROLOGY",
            ("vr_date", "hbsag", "anti_hbc", "hbv_dna"),
        ),
        _simple(
            "BLOODBANK",
            _l("Blood bank (type and screen)"),
            "LB",
            "BloodBank",
            "BLOOD_BANK",
            ("bb_date", "abo", "rhd", "antibody_screen"),
        ),
        _simple(
            "APLTAB",
            _l("Anti-platelet antibodies"),
            "LB",
            "PlateletAntibody",
            "PLATELET_ANTIBODY",
            ("ab_date", "gp2b3a", "gp1b9"),
        ),
    )
)


def form(code: str) -> FormCode:
    """The entry of a form code; KeyError for a code the protocol does not have."""
    return FORMS[code]


def page_of(code: str) -> Page:
    """The page a form code is recorded on."""
    return FORMS[code].page


def page_key(code: str) -> str | None:
    """The page a form code or page key names, by its key (WEIGHT -> VS); None if unknown."""
    found = FORMS.get(code)
    if found is not None:
        return found.page.key
    return code if any(f.page.key == code for f in FORMS.values()) else None


def page_key_of(record: object) -> str | None:
    """The page key of a stored CRF record: its ``form`` column (lab panels) or its model."""
    own = getattr(record, "form", None)
    if isinstance(own, str) and own in FORMS:
        return FORMS[own].page.key
    path = f"{type(record).__module__}:{type(record).__name__}"
    for entry in FORMS.values():
        if entry.models and entry.models[0] == path:
            return entry.page.key
    return None


def entries(forms: tuple[str, ...]) -> list[Page]:
    """The pages of a visit's forms, in the protocol's order, each once.

    A code the registry does not know (a protocol file ahead of the code) is listed as not
    collected.
    """
    out: list[Page] = []
    for code in forms:
        found = FORMS.get(code)
        page = found.page if found is not None else _page(code, code, None)
        if page not in out:
            out.append(page)
    return out


def required_page(code: str) -> Page | None:
    """The page of a form code when a visit requires it, else None.

    Required: a page this version collects (an endpoint) that keeps one record per visit.
    Subject-level pages (adverse events, infusion reactions, disposition, eligibility ...) are
    not records of a visit, and the medication list may rightly stay empty, so neither ever
    leaves a visit partly entered. A new form page joins as soon as it is registered.
    """
    found = FORMS.get(code)
    page = found.page if found is not None else None
    if page is None or page.endpoint is None or not page.per_visit or not page.single:
        return None
    return page


def required_pages(forms: tuple[str, ...]) -> list[Page]:
    """The required pages of a visit's forms (``required_page``), in order, each once."""
    out: list[Page] = []
    for code in forms:
        page = required_page(code)
        if page is not None and page not in out:
            out.append(page)
    return out


def next_entry(forms: tuple[str, ...], current: str) -> Page | None:
    """The next per-visit page after *current* that studyapp collects."""
    pages = [e for e in entries(forms) if e.endpoint and e.per_visit]
    keys = [e.key for e in pages]
    if current not in keys:
        return None
    index = keys.index(current)
    return pages[index + 1] if index + 1 < len(pages) else None


def url(entry: Page, subject_id: int, visitnum: str) -> str:
    if entry.endpoint is None:
        raise ValueError(f"form {entry.key} has no page")
    if entry.endpoint in KEYED:
        return url_for(entry.endpoint, subject_id=subject_id, visitnum=visitnum, form=entry.key)
    if not entry.per_visit:
        return url_for(entry.endpoint, subject_id=subject_id)
    return url_for(entry.endpoint, subject_id=subject_id, visitnum=visitnum)


def visit_records() -> list[tuple[str, type]]:
    """(page key, record model) of each page that keeps one record per visit (and per form
    code, for a model shared by several codes: it tells them apart by its ``form`` column)."""
    return [
        (f.code, f.model_classes()[0])
        for f in FORMS.values()
        if f.code == f.page.key and f.page.single
    ]


#: Columns of a record that are no field of its form (bookkeeping, links, workflow).
NOT_FIELDS = frozenset({"id", "subject_id", "visit_id", "form", "status", "confirmed_warnings"})


def fields_of(code: str) -> tuple[str, ...]:
    """The fields of a form code's record a query may name: the audited columns of its first
    model, in table order (none for a code with no model)."""
    entry = FORMS[code]
    if not entry.models:
        return ()
    model = entry.model_classes()[0]
    skip = model.BOOKKEEPING | model.__audit_ignore__ | NOT_FIELDS  # type: ignore[attr-defined]
    skip = skip | {"deleted_at", "delete_reason"}
    return tuple(c.key for c in model.__table__.columns if c.key not in skip)  # type: ignore[attr-defined]


def page_keys_of(record: object) -> tuple[str, ...]:
    """The page keys whose first model is *record*'s class (the lab panel: its own ``form``)."""
    keys = {f.page.key for f in FORMS.values() if f.models and f.model_classes()[0] is type(record)}
    own = getattr(record, "form", None)
    if isinstance(own, str) and own in keys:
        return (own,)
    return tuple(sorted(keys))


def page_at(endpoint: str | None, view_args: dict[str, object]) -> Page | None:
    """The page served by *endpoint* (the lab pages: by their ``form`` argument)."""
    if endpoint is None:
        return None
    for entry in FORMS.values():
        page = entry.page
        if page.endpoint == endpoint and (
            endpoint not in KEYED or view_args.get("form") == page.key
        ):
            return page
    return None
