"""A correction never changes what the user did not touch (issue 11, item 1).

For every form that edits a saved record: a realistic complete record is saved, its edit
page is opened, and the form is posted back exactly as a browser would send it as rendered
(``tests.formdata``), with only a reason added. Nothing of the study data may change and
no audit row may be written: every stored value (booleans, yes/no answers, integers, codes,
decimals, dates, partial dates, times) must come back pre-selected or pre-filled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.db import AuditedMixin, freeze_clock
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety import sae
from studyapp.safety.models import AdverseEvent, SaeReport
from studyapp.visits.models import DoseAdministration, Medication
from tests import factories
from tests.factories import csrf_token
from tests.formdata import form_data

DAY1 = date(2026, 3, 2)
DAY15 = "2026-03-16"  # visit 3 (Day 15), window 2026-03-15 to 2026-03-17
REASON = "checked against the source: no change"


def post(client: Any, path: str, data: dict[str, str]) -> None:
    token = csrf_token(client.get(path).get_data(as_text=True))
    saved = client.post(path, data={"csrf_token": token, **data})
    assert saved.status_code == 302, saved.get_data(as_text=True)


# --- the records, saved as a user would save them --------------------------------------


def _vitals(client: Any, subject: Any) -> str:
    path = f"/subjects/{subject.id}/visits/3/vitals"
    post(
        client,
        path,
        {
            "visit_date": DAY15,
            "vs_date": DAY15,
            "vs_time": "09:10",
            "weight": "58.30",
            "height": "162",
            "sysbp": "118",
            "diabp": "76",
            "pulse": "72",
            "temp": "36.6",
            "action": "save",
        },
    )
    return path


def _cbc(client: Any, subject: Any) -> str:
    path = f"/subjects/{subject.id}/visits/3/labs/CBC"
    values = {"plat": "45", "hgb": "12.5", "hgb_unit": "g/dL", "wbc": "6.1", "neut": "3.2"}
    post(client, path, {"visit_date": DAY15, "lb_date": DAY15, "lb_time": "08:30", **values})
    return path


def _chem(client: Any, subject: Any) -> str:
    path = f"/subjects/{subject.id}/visits/3/labs/CHEM"
    values = {"alt": "30", "ast": "28", "bili": "0.8", "bili_unit": "mg/dL", "creat": "70"}
    post(client, path, {"visit_date": DAY15, "lb_date": DAY15, "lb_time": "08:30", **values})
    return path


def _bleeding(client: Any, subject: Any) -> str:
    path = f"/subjects/{subject.id}/visits/3/bleeding"
    items = {f"item_{i.code}": "0" for i in get_protocol().bleeding.items}
    items[f"item_{get_protocol().bleeding.items[0].code}"] = "1"
    post(
        client,
        path,
        {"visit_date": DAY15, "assessed_date": DAY15, "who_grade": "1", **items, "action": "save"},
    )
    return path


def _dose(client: Any, subject: Any) -> str:
    on = DAY1.isoformat()
    post(
        client,
        f"/subjects/{subject.id}/visits/1/vitals",
        {"visit_date": on, "vs_date": on, "vs_time": "08:00", "weight": "58.3", "action": "draft"},
    )
    path = f"/subjects/{subject.id}/visits/1/dose"
    post(
        client,
        path,
        {
            "premed_time": "08:00",
            "premed_methylpred": "100",
            "premed_paracetamol": "650",
            "premed_antihistamine": "25",
            "ec_date": on,
            "start_time": "09:30",
            "stop_time": "16:00",
            "given_dose": "930",
            "given_volume": "46.5",
            "interrupted": "N",
            "step1_time": "09:30",
            "step1_rate": "50",
            "step2_time": "10:30",
            "step2_rate": "100",
            "action": "save",
        },
    )
    return path


MEDICATION = {
    "visit_date": DAY15,
    "category": "CONCOMITANT",
    "rescue_type": "",
    "trt": "Omeprazole",
    "dose": "20",
    "dose_unit": "mg",
    "route": "ORAL",
    "frequency": "QD",
    "start_date": "2026-02",
    "end_date": "",
    "ongoing": "y",
    "indication": "gastric protection",
    "action": "save",
}
RESCUE = {
    **MEDICATION,
    "category": "RESCUE",
    "rescue_type": "IVIG",
    "trt": "IVIG",
    "dose": "1",
    "dose_unit": "g/kg",
    "route": "INTRAVENOUS",
    "frequency": "daily x2",
    "start_date": "2026-03-14",
    "end_date": "2026-03-15",
    "ongoing": "",
    "indication": "bleeding",
}


def _medication(values: dict[str, str]) -> Callable[[Any, Any], str]:
    def make(client: Any, subject: Any) -> str:
        post(client, f"/subjects/{subject.id}/visits/3/medications", values)
        med = db.session.scalar(select(Medication).order_by(Medication.id.desc()))
        return f"/subjects/{subject.id}/medications/{med.id}"

    return make


AE = {
    "aeterm": "Headache after the infusion",
    "ctcae_term": "Headache",
    "start_date": "2026-03-09",
    "end_date": "2026-03-10",
    "grade": "2",
    "serious": "no",
    "relatedness": "possibly",
    "expected": "no",
    "aeacn": "DOSE NOT CHANGED",
    "aeout": "RECOVERED/RESOLVED",
    "treatment": "paracetamol 1 g",
    "action": "save",
}
SERIOUS_AE = {
    **AE,
    "aeterm": "Epistaxis needing admission",
    "ctcae_term": "Epistaxis",
    "start_date": "2026-03",
    "grade": "3",
    "end_date": "",
    "ongoing": "y",
    "serious": "yes",
    "criteria": "aeshosp",
    "aware_date": "2026-03-15",
    "aware_time": "22:30",
    "relatedness": "unlikely",
    "expected": "yes",
    "aeout": "RECOVERING/RESOLVING",
    "treatment": "nasal packing\nand tranexamic acid",
}


def _ae(values: dict[str, str]) -> Callable[[Any, Any], str]:
    def make(client: Any, subject: Any) -> str:
        post(client, f"/subjects/{subject.id}/adverse-events/new", values)
        record = db.session.scalar(select(AdverseEvent).order_by(AdverseEvent.id.desc()))
        assert record.status == "complete"
        return f"/subjects/{subject.id}/adverse-events/{record.id}"

    return make


def _irr(client: Any, subject: Any) -> str:
    """An infusion-related reaction linked to the dose it followed (a select of ids)."""
    _dose(client, subject)
    dose = db.session.scalar(select(DoseAdministration))
    on = DAY1.isoformat()
    values = {"aeterm": "Chills during the infusion", "ctcae_term": "Infusion related reaction"}
    irr = {"start_date": on, "end_date": on, "irr": "y", "dose_id": str(dose.id)}
    return _ae({**AE, **values, **irr, "relatedness": "definite"})(client, subject)


def _sae_report(client: Any, subject: Any) -> str:
    path = _ae(SERIOUS_AE)(client, subject)
    record = db.session.scalar(select(AdverseEvent).order_by(AdverseEvent.id.desc()))
    inv = db.session.scalar(select(User).where(User.username == "inv.user"))
    with acting_as(inv):
        found = sae.sae_of(inv, subject.id, record.id)
        sae.save_report(inv, found, kind="SAE", narrative="Admitted on 15 March.\nPacked.")
        db.session.commit()
    report = db.session.scalar(select(SaeReport))
    return f"{path}/sae/reports/{report.id}"


def _visit_date(client: Any, subject: Any) -> str:
    _vitals(client, subject)
    return f"/subjects/{subject.id}/visits/3"


def _ig(client: Any, subject: Any) -> str:
    freeze_clock(datetime(2026, 3, 30, 2, 0, tzinfo=UTC))  # Day 29
    client.get("/")  # the session of Day 15 ends (idle) ...
    factories.AuthActions(client).login("inv.user")  # ... and the user signs in again
    path = f"/subjects/{subject.id}/visits/5/labs/IG"
    values = {"igg": "600", "igg_unit": "mg/dL", "iga": "1.20", "igm": "0.8"}
    post(client, path, {"visit_date": "2026-03-30", "lb_date": "2026-03-30", **values})
    return path


def _ae_draft(client: Any, subject: Any) -> str:
    """An AE saved as a draft: unanswered questions must stay unanswered."""
    values = {"aeterm": "Fatigue", "start_date": "2026-03", "action": "draft"}
    post(client, f"/subjects/{subject.id}/adverse-events/new", values)
    record = db.session.scalar(select(AdverseEvent).order_by(AdverseEvent.id.desc()))
    assert (record.status, record.aeser, record.expected) == ("in_progress", None, None)
    return f"/subjects/{subject.id}/adverse-events/{record.id}"


def _vitals_draft(client: Any, subject: Any) -> str:
    path = f"/subjects/{subject.id}/visits/3/vitals"
    post(client, path, {"visit_date": DAY15, "vs_date": DAY15, "pulse": "72", "action": "draft"})
    return path


def _bleeding_draft(client: Any, subject: Any) -> str:
    """A bleeding assessment saved as a draft before the WHO grade was chosen."""
    path = f"/subjects/{subject.id}/visits/3/bleeding"
    post(client, path, {"visit_date": DAY15, "assessed_date": DAY15, "action": "draft"})
    return path


@dataclass
class Case:
    name: str
    make: Callable[[Any, Any], str]
    submitter: tuple[str, str] | None = ("action", "save")
    containing: str = "reason"


VISIT_CASES = [
    Case("vitals", _vitals),
    Case("labs CBC", _cbc),
    Case("labs CHEM", _chem),
    Case("bleeding", _bleeding),
    Case("dose", _dose),
    Case("concomitant medication", _medication(MEDICATION), None),
    Case("rescue therapy", _medication(RESCUE), None),
    Case("adverse event", _ae(AE)),
    Case("serious adverse event", _ae(SERIOUS_AE)),
    Case("infusion-related reaction", _irr),
    Case("SAE report draft", _sae_report, None),
    Case("visit date", _visit_date, None, "visit_date"),
    Case("labs IG", _ig),
    Case("adverse event draft", _ae_draft, ("action", "draft")),
    Case("vital signs draft", _vitals_draft, ("action", "draft")),
    Case("bleeding draft", _bleeding_draft, ("action", "draft")),
]


# --- the check -------------------------------------------------------------------------


def study_data() -> dict[str, list[dict[str, Any]]]:
    """Every row of every audited table of the app (not the test models of other test files),
    bookkeeping (version, updated_at) included."""
    db.session.expire_all()
    out = {}
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, AuditedMixin) and cls.__module__.startswith("studyapp."):
            table = mapper.local_table
            rows = db.session.execute(select(table).order_by(*table.primary_key)).mappings()
            out[table.name] = [dict(r) for r in rows]
    return out


def last_audit_seq() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditLog.seq), 0)))


def submit_unchanged(
    client: Any, path: str, submitter: tuple[str, str] | None, containing: str = "reason"
) -> None:
    """Open *path*, post its form back as rendered with a reason; nothing may change."""
    before, seq = study_data(), last_audit_seq()
    page = client.get(path)
    assert page.status_code == 200
    data = form_data(
        page.get_data(as_text=True), containing=containing, submitter=submitter, reason=REASON
    )
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    after = study_data()
    changed = {
        (table, i): {k: (b.get(k), v) for k, v in a.items() if b.get(k) != v}
        for table in after
        for i, (b, a) in enumerate(zip(before[table], after[table], strict=True))
        if a != b
    }
    assert changed == {}
    written = db.session.scalars(select(AuditLog).where(AuditLog.seq > seq)).all()
    assert [(r.table_name, r.field, r.old_value, r.new_value) for r in written] == []


@pytest.fixture
def enrolled(app: Any, users: Any) -> Any:
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15, 10:00 at the site
    return subject


@pytest.mark.req("GCP-02", "P11-05")
@pytest.mark.parametrize("case", VISIT_CASES, ids=lambda c: c.name)
def test_a_saved_record_submitted_unchanged_changes_nothing(client, auth, enrolled, case):
    auth.login("inv.user")
    path = case.make(client, enrolled)
    submit_unchanged(client, path, case.submitter, case.containing)


# --- screening: consent, screening values, eligibility answers; user accounts -------------


@pytest.fixture
def eligible(app: Any, users: Any) -> Any:
    """Screened, consented, every criterion answered; not yet signed."""
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_eligible(users["investigator"], screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    return subject


SCREENING_CASES = [
    Case("consent", lambda s: f"/subjects/{s.id}/consent", None),
    Case("screening values", lambda s: f"/subjects/{s.id}/screening-data", None),
    Case("eligibility answers", lambda s: f"/subjects/{s.id}/eligibility", ("which", "answers")),
]


@pytest.mark.req("GCP-02", "P11-05")
@pytest.mark.parametrize("case", SCREENING_CASES, ids=lambda c: c.name)
def test_screening_forms_submitted_unchanged_change_nothing(client, auth, eligible, case):
    auth.login("inv.user")
    submit_unchanged(client, case.make(eligible), case.submitter, case.containing)


@pytest.mark.req("GCP-02", "P11-05")
@pytest.mark.parametrize("role", ["investigator", "data_manager", "monitor"])
def test_the_user_form_submitted_unchanged_changes_nothing(client, auth, users, role):
    assert users[role].email  # the factories give every user an address
    auth.login("dm.user")
    submit_unchanged(client, f"/admin/users/{users[role].id}", None, "full_name")


# --- the defect of issue 11: a correction of one field of a complete AE -------------------


@pytest.mark.req("GCP-02", "P11-05")
@pytest.mark.parametrize("values", [AE, SERIOUS_AE], ids=["non-serious", "serious"])
def test_correcting_the_treatment_of_an_ae_changes_only_the_treatment(
    client, auth, enrolled, values
):
    auth.login("inv.user")
    path = _ae(values)(client, enrolled)
    before = db.session.scalar(select(AdverseEvent)).audit_values()
    seq = last_audit_seq()
    page = client.get(path).get_data(as_text=True)
    data = form_data(
        page, containing="reason", submitter=("action", "save"), treatment="ibuprofen 400 mg"
    )
    data["reason"] = "treatment transcribed from the wrong line"
    assert client.post(path, data=data).status_code == 302
    db.session.expire_all()
    after = db.session.scalar(select(AdverseEvent))
    assert {k: v for k, v in after.audit_values().items() if before[k] != v} == {
        "treatment": "ibuprofen 400 mg"
    }
    assert (after.status, after.aeser, after.expected) == (
        "complete",
        values["serious"] == "yes",
        values["expected"] == "yes",
    )
    written = db.session.scalars(select(AuditLog).where(AuditLog.seq > seq)).all()
    assert [(r.field, r.reason) for r in written] == [
        ("treatment", "treatment transcribed from the wrong line")
    ]


@pytest.mark.req("GCP-02", "P11-05")
def test_the_dlt_decision_form_posted_as_rendered_changes_nothing(client, auth, enrolled):
    """The decision form opens blank: posted as is, it is refused and the decision stays."""
    auth.login("inv.user")
    grade_3 = {"grade": "3", "relatedness": "probably", "start_date": "2026-03-10"}
    path = _ae({**AE, **grade_3})(client, enrolled)
    record = db.session.scalar(select(AdverseEvent))
    assert record.dlt_candidate
    page = client.get(path).get_data(as_text=True)
    decided = form_data(
        page, action="/dlt", **{"dlt-decision": "rejected", "dlt-dlt_reason": "not related"}
    )
    assert client.post(f"{path}/dlt", data=decided).status_code == 302
    before, seq = study_data(), last_audit_seq()
    page = client.get(path).get_data(as_text=True)
    refused = client.post(f"{path}/dlt", data=form_data(page, action="/dlt"))
    assert refused.status_code == 422
    assert "Confirm or reject the candidate DLT." in refused.get_data(as_text=True)
    assert (study_data(), last_audit_seq()) == (before, seq)
