"""Readable field names: the label of the form field that fills each column.

The map is built from the form classes of each table (a column a form field of the same name
fills takes that field's label), completed by the labels of columns no field fills directly
(computed values, seriousness criteria, signature parts) and, for lab results and bleeding
items, by the protocol's test and item names. A column nobody labelled keeps its name.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from studyapp import codelists
from studyapp.localized import local, local_unit
from studyapp.protocol.loader import get_protocol

#: Columns no form field of the same name fills, by table.
EXTRA: dict[str, dict[str, object]] = {
    "adverse_event": {
        "aedecod": _l("CTCAE v5.0 term"),
        "aesoc": _l("System organ class"),
        "ctcae_code": _l("CTCAE code"),
        "aeser": _l("Serious (ICH E2A)"),
        "aware_at": _l("Site aware it is serious"),
        "aerel": _l("Causality (related / not related)"),
        "aespid": _l("AE number"),
        "dlt_candidate": _l("DLT candidate"),
        "dlt_decision": _l("DLT decision"),
        "dlt_reason": _l("DLT candidacy: why"),
        "dlt_decision_reason": _l("Reason for the DLT decision"),
        "dlt_decided_by_id": _l("DLT decided by"),
        "dlt_decided_at": _l("DLT decided at"),
    },
    "vital_signs": {"bmi": _l("Body mass index"), "bp_unit": _l("Blood pressure: unit")},
    "bleeding_assessment": {
        "skin_grade": _l("Skin (S) grade"),
        "mucosa_grade": _l("Mucosa (M) grade"),
        "organ_grade": _l("Organ (O) grade"),
        "smog": _l("SMOG"),
    },
    "dose_administration": {
        "dose_number": _l("Dose number"),
        "part": _l("Part"),
        "reference_weight": _l("Reference weight"),
        "dosing_weight": _l("Dosing weight"),
        "planned_dose": _l("Planned dose"),
        "planned_volume": _l("Planned volume"),
        "deviation_pct": _l("Deviation from the planned dose (%)"),
        "deviation": _l("Dose deviation"),
        "rebaselined": _l("Weight re-baselined"),
        "weight_unit": _l("Weight: unit"),
        "dose_unit": _l("Dose: unit"),
        "volume_unit": _l("Volume: unit"),
        "premed_unit": _l("Premedication doses: unit"),
    },
    "infusion_rate_step": {
        "seq": _l("Step"),
        "at_time": _l("Time of rate change"),
        "rate": _l("Rate"),
    },
    "lab_result": {
        "testcd": _l("Test"),
        "orres": _l("Result"),
        "orresu": _l("Unit"),
        "stresn": _l("Result in the SI unit"),
        "stresu": _l("SI unit"),
        "nrlo": _l("Normal range: low"),
        "nrhi": _l("Normal range: high"),
        "nrind": _l("Flag"),
        "toxgr": _l("CTCAE grade"),
    },
    "subject": {
        "screening_number": _l("Screening number"),
        "subject_number": _l("Subject number"),
        "status": _l("Subject status"),
        "disposition": _l("Disposition"),
        "disposition_date": _l("Date of disposition"),
        "disposition_reason": _l("Reason"),
        "day1_date": _l("Day 1"),
        "enrolled_at": _l("Enrolled at"),
        "run_in": _l("Run-in cohort"),
        "eligibility_signature_id": _l("Eligibility signature"),
        "consent_obtained_by_id": _l("Consent obtained by"),
        "consent_version": _l("Consent form version"),
        "screen_fail_reason": _l("Reason for screen failure"),
        "screen_failed_criteria": _l("Criteria not met"),
    },
    "signature": {
        "printed_name": _l("Printed name"),
        "meaning": _l("Meaning"),
        "signed_at": _l("Signed at"),
        "status": _l("Signature status"),
        "invalidated_reason": _l("Reason the signature was invalidated"),
    },
    "visit": {
        "code": _l("Visit code"),
        "visitnum": _l("Visit number"),
        "visit_date": _l("Visit date"),
        "not_done": _l("Visit not done"),
        "not_done_reason": _l("Reason the visit was not done"),
        "unscheduled_reason": _l("Reason for the unscheduled visit"),
    },
    "eligibility_answer": {"answer": _l("Answer")},
    "sae_report": {
        "kind": _l("SAE report"),
        "number": _l("Follow-up number"),
        "narrative": _l("Narrative"),
        "submitted_at": _l("Submitted at"),
        "pdf_sha256": _l("SHA-256 of the PDF submitted"),
    },
    "bleeding_item": {"grade": _l("Grade")},
}
#: Columns of every CRF row, and the links most rows carry.
COMMON: dict[str, object] = {
    "status": _l("Record status"),
    "confirmed_warnings": _l("Warnings confirmed"),
    "deleted_at": _l("Removed at"),
    "delete_reason": _l("Reason for removal"),
    "subject_id": _l("Subject"),
    "visit_id": _l("Visit"),
}
#: Columns of the tables no form fills (accounts, monitoring, the run-in review), for the
#: audit viewer.
OTHER: dict[str, dict[str, object]] = {
    "user": {
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "email": _l("E-mail"),
        "role": _l("Role"),
        "active": _l("Active"),
        "locale": _l("Language"),
        "password_hash": _l("Password"),
        "must_change_password": _l("Must change the password"),
        "totp_enabled": _l("Second factor enabled"),
        "identity_verification": _l("How the person's identity was verified"),
        "identity_verified_by_id": _l("Identity checked by"),
        "locked_until": _l("Locked until"),
        "delivery": _l("How the code was given"),
    },
    "data_query": {
        "visitnum": _l("Visit number"),
        "form": _l("Form"),
        "field": _l("Field"),
        "state": _l("State"),
        "raised_by_id": _l("Raised by"),
        "raised_at": _l("Raised at"),
        "closed_by_id": _l("Closed by"),
        "closed_at": _l("Closed at"),
    },
    "query_message": {
        "query_id": _l("Query"),
        "author_id": _l("Author"),
        "at": _l("Time"),
        "kind": _l("Message kind"),
        "text": _l("Text"),
    },
    "sdv_mark": {
        "form": _l("Form"),
        "field": _l("Field"),
        "record_version": _l("Record version verified"),
        "verified_by_id": _l("Verified by"),
        "verified_at": _l("Verified at"),
        "cleared_by_id": _l("Cleared by"),
        "cleared_at": _l("Cleared at"),
        "cleared_reason": _l("Reason the verification was cleared"),
    },
    "data_lock": {
        "scope": _l("Lock scope"),
        "visitnum": _l("Visit number"),
        "form": _l("Form"),
        "state": _l("State"),
        "set_by_id": _l("Locked by"),
        "set_at": _l("Locked at"),
        "released_by_id": _l("Released by"),
        "released_at": _l("Released at"),
        "release_reason": _l("Reason for the release"),
    },
    "dlt_review": {
        "cohort_size": _l("Run-in subjects reviewed"),
        "dlt_count": _l("DLTs"),
        "rule_outcome": _l("Stop rule outcome"),
        "decision": _l("Decision"),
        "comments": _l("Comments"),
        "signature_id": _l("Signature"),
    },
    "bleeding_item": {"item": _l("ITP-BAT item")},
    "eligibility_answer": {"code": _l("Criterion")},
}


def form_fields(form_class: type) -> dict[str, object]:
    """name -> label of the fields a form class declares (its bases' included)."""
    out: dict[str, object] = {}
    for klass in reversed(form_class.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, UnboundField):
                label = value.args[0] if value.args else value.kwargs.get("label")
                if label is not None:
                    out[name] = label
    return out


def _forms() -> dict[str, list[type]]:
    """The form classes of each table (imported here: a casebook runs in a loaded app)."""
    from studyapp.safety.forms import AeForm
    from studyapp.subjects import forms as subject_forms
    from studyapp.visits.bleeding.forms import bleeding_form
    from studyapp.visits.dosing.forms import DoseForm
    from studyapp.visits.labs.forms import lab_form
    from studyapp.visits.labs.readings import FORM_CATEGORIES
    from studyapp.visits.medications.forms import MedicationForm
    from studyapp.visits.schedule import forms as schedule_forms
    from studyapp.visits.vitals.forms import VitalsForm

    labs = [lab_form(code) for code in FORM_CATEGORIES]
    return {
        "vital_signs": [VitalsForm],
        "lab_panel": labs,
        "bleeding_assessment": [bleeding_form()],
        "dose_administration": [DoseForm],
        "medication": [MedicationForm],
        "adverse_event": [AeForm],
        "prior_therapy": [subject_forms.TherapyForm],
        "medical_history": [subject_forms.HistoryForm],
        "visit": [schedule_forms.NotDoneForm, schedule_forms.UnscheduledForm],
        "subject": [
            subject_forms.ScreeningForm,
            subject_forms.ConsentForm,
            subject_forms.ScreeningDataForm,
        ],
    }


def _protocol_labels() -> dict[str, dict[str, object]]:
    """Premedications by drug name and unit; the criteria's text by code."""
    protocol = get_protocol()
    from studyapp.visits.dosing.checks import premedications

    doses = {column: f"{local(m)} ({local_unit(m.unit)})" for m, column in premedications()}
    seriousness = dict(codelists.SERIOUSNESS.labels)
    return {
        "dose_administration": doses,
        "adverse_event": seriousness,
        "eligibility_answer": {c.code: local(c, "text") for c in protocol.eligibility},
    }


def build() -> dict[str, dict[str, str]]:
    """table -> column -> label, translated in the current locale."""
    out: dict[str, dict[str, object]] = {}
    for table, classes in _forms().items():
        for form_class in classes:
            out.setdefault(table, {}).update(form_fields(form_class))
    for source in (EXTRA, OTHER, _protocol_labels()):
        for table, labels in source.items():
            out.setdefault(table, {}).update(labels)
    skip = {"reason", "version", "confirm"}
    return {
        table: {name: str(label) for name, label in labels.items() if name not in skip}
        for table, labels in out.items()
    }


class Labels:
    """The readable name of a column of a table; the column's name when nobody labelled it."""

    def __init__(self) -> None:
        self.table = build()
        self.common = {name: str(label) for name, label in COMMON.items()}

    def of(self, table: str | None, column: str | None) -> str:
        if column is None:
            return ""
        found = self.table.get(table or "", {}).get(column)
        if found is not None:
            return found
        if column.endswith("_unit") and column != "_unit":
            return self._unit_of(table, column.removesuffix("_unit"))
        return self.common.get(column, column)

    def _unit_of(self, table: str | None, base: str) -> str:
        """A unit column without a label of its own: "Weight (kg): unit"."""
        found = self.table.get(table or "", {}).get(base)
        return _("%(field)s: unit", field=found) if found else f"{base}_unit"

    def anywhere(self, column: str | None) -> str:
        """The label of a column named in a value (an SDV mark's or a query's field): the
        first table that labels it; the name itself when none does."""
        if not column:
            return column or ""
        for labels in self.table.values():
            if column in labels:
                return labels[column]
        return self.common.get(column, column)

    def many(self, table: str, columns: Iterable[str]) -> list[tuple[str, str]]:
        return [(column, self.of(table, column)) for column in columns]


def test_names() -> dict[str, str]:
    """LBTESTCD -> the protocol's test name, in the current language."""
    return {lab.testcd: local(lab) for lab in get_protocol().labs}


def item_names() -> dict[str, str]:
    """ITP-BAT item code -> the protocol's item name, in the current language."""
    return {item.code: local(item) for item in get_protocol().bleeding.items}
