"""The simple visit forms (PE, ECG, virology, blood bank, anti-platelet antibodies): each saved
through the CRF core, edited with a reason, refused with a message beside the field, guarded by
its version, and shown with its status on the visit page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.crf import registry
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.visits.assessments.models import BloodBank, Ecg, PhysicalExam, Virology
from tests import factories
from tests.factories import csrf_token

DAY1 = date(2026, 3, 2)
SCREENING = date(2026, 3, 1)


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=SCREENING)
    freeze_clock(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))  # the day after Day 1
    return subject


def url(subject, code, visitnum="0"):
    return f"/subjects/{subject.id}/visits/{visitnum}/forms/{code}"


def post(client, path, data):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "action": "save", **data})


def stored(model):
    db.session.expire_all()
    return db.session.scalar(select(model))


PE = {"pe_date": "2026-03-01", "pe_result": "NORMAL", "spleen_palpable": "no"}
ECG = {
    "eg_date": "2026-03-01",
    "hr": "72",
    "pr": "160",
    "qrs": "90",
    "qt": "380",
    "qtcf": "410",
    "eg_result": "NORMAL",
}


def test_every_form_of_the_schedule_has_a_page_and_shows_its_status(client, auth, subject):
    codes = {code for visit in get_protocol().visits for code in visit.forms}
    assert all(registry.form(code).endpoint for code in codes)
    auth.login("inv.user")
    assert post(client, url(subject, "PE"), PE).status_code == 302
    assert post(client, url(subject, "ECG"), {**ECG, "action": "draft"}).status_code == 302
    page = client.get(f"/subjects/{subject.id}/visits/0").get_data(as_text=True)
    assert "not collected" not in page
    for code in ("PE", "ECG", "VIROLOGY", "BLOODBANK", "APLTAB"):
        assert f'data-form="{code}"' in page
    forms = page.split('data-testid="visit-forms"')[1]
    pe_row = forms.split('data-form="PE"')[1].split("</tr>")[0]
    ecg_row = forms.split('data-form="ECG"')[1].split("</tr>")[0]
    assert "crf-complete" in pe_row
    assert "crf-in_progress" in ecg_row
    assert "not started" in forms.split('data-form="VIROLOGY"')[1].split("</tr>")[0]


def test_physical_exam_edit_needs_a_reason_and_is_audited(client, auth, subject):
    auth.login("inv.user")
    path = url(subject, "PE")
    page = client.get(path).get_data(as_text=True)
    assert 'name="ecog"' not in page  # screening records ECOG on the screening values page
    assert post(client, path, PE).status_code == 302
    first = stored(PhysicalExam)
    assert (first.pe_result, first.spleen_palpable, first.status) == ("NORMAL", False, "complete")
    version = first.version
    change = {**PE, "pe_result": "ABNORMAL CS", "version": str(version)}
    missing = post(client, path, change)
    assert missing.status_code == 422
    assert 'id="pe_findings-error"' in missing.get_data(as_text=True)
    change["pe_findings"] = "Skin: petechiae on both legs"
    no_reason = post(client, path, change)
    assert no_reason.status_code == 422
    assert "Give a reason for this change." in no_reason.get_data(as_text=True)
    saved = post(client, path, {**change, "reason": "transcription error"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert stored(PhysicalExam).version > version
    audit = db.session.scalar(
        select(AuditLog)
        .where(AuditLog.table_name == "physical_exam", AuditLog.field == "pe_result")
        .order_by(AuditLog.seq.desc())
    )
    assert (audit.old_value, audit.new_value, audit.reason) == (
        "NORMAL",
        "ABNORMAL CS",
        "transcription error",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"hr": "7x"}, "hr", "Enter a number"),
        ({"hr": "300"}, "hr", "Must be between 20 and 250 beats/min."),
        ({"qtcf": ""}, "qtcf", "Required to complete this form."),
        ({"eg_result": "BAD"}, "eg_result", "Not a valid choice"),
        ({"eg_date": "2026-03-09"}, "eg_date", "cannot be in the future"),
    ],
)
def test_ecg_bad_input_gets_a_message_beside_the_field(
    client, auth, subject, change, field, message
):
    auth.login("inv.user")
    answer = post(client, url(subject, "ECG"), {**ECG, **change})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert f'value="{change[field]}"' in html or change[field] in ("", "BAD")
    assert stored(Ecg) is None


def test_ecg_unusual_value_is_confirmed_and_a_stale_version_answers_409(client, auth, subject):
    auth.login("inv.user")
    path = url(subject, "ECG")
    asked = post(client, path, {**ECG, "qtcf": "520"})
    assert asked.status_code == 422
    assert 'data-testid="confirm-box"' in asked.get_data(as_text=True)
    assert post(client, path, {**ECG, "qtcf": "520", "confirm": "y"}).status_code == 302
    row = stored(Ecg)
    assert (row.hr, row.hr_unit, row.qtcf_unit) == (72, "beats/min", "msec")
    assert "qtcf" in row.confirmed_warnings
    old = str(row.version)
    assert (
        post(client, path, {**ECG, "hr": "80", "version": old, "reason": "re-read"}).status_code
        == 302
    )
    late = post(client, path, {**ECG, "hr": "90", "version": old, "reason": "mine"})
    assert late.status_code == 409
    assert stored(Ecg).hr == 80


def test_virology_asks_for_hbv_dna_and_confirms_viraemia(client, auth, users, subject):
    auth.login("inv.user")
    path = url(subject, "VIROLOGY")
    data = {
        "vr_date": "2026-03-01",
        "hbsag": "NEGATIVE",
        "anti_hbc": "POSITIVE",
        "hcv_ab": "NEGATIVE",
        "hiv_ab": "NEGATIVE",
        "syphilis": "NEGATIVE",
    }
    missing = post(client, path, data)
    assert missing.status_code == 422
    assert "enter the HBV DNA" in missing.get_data(as_text=True)
    threshold = get_protocol().virology.hbv_dna_threshold
    asked = post(client, path, {**data, "hbv_dna": str(threshold)})
    assert asked.status_code == 422
    assert "hepatitis B viraemia" in asked.get_data(as_text=True)
    below = post(client, path, {**data, "hbv_dna": str(threshold - 1)})
    assert below.status_code == 302
    row = stored(Virology)
    assert (row.hbv_dna, row.hbv_dna_unit) == (threshold - 1, get_protocol().virology.hbv_dna_unit)
    visit = f"/subjects/{subject.id}/visits/0"
    months = get_protocol().virology.hbv_monitoring_months
    page = client.get(visit).get_data(as_text=True)
    assert 'data-testid="hbv-monitoring"' in page
    assert f"during treatment and for {months} months" in page
    factories.give_dose(users["investigator"], subject, "1", DAY1)
    assert "monitor HBV DNA until 2026-09-02" in client.get(visit).get_data(as_text=True)


def test_blood_bank_after_the_first_dose_is_confirmed(client, auth, subject):
    auth.login("inv.user")
    data = {
        "bb_date": "2026-03-03",
        "abo": "O",
        "rhd": "POSITIVE",
        "antibody_screen": "NEGATIVE",
        "bank_informed": "yes",
    }
    asked = post(client, url(subject, "BLOODBANK"), data)
    assert asked.status_code == 422
    assert "due before the first dose" in asked.get_data(as_text=True)
    before = post(client, url(subject, "BLOODBANK"), {**data, "bb_date": "2026-03-01"})
    assert before.status_code == 302
    assert stored(BloodBank).bank_informed is True


def test_a_later_visit_asks_for_ecog_with_the_physical_exam(client, auth, subject):
    freeze_clock(datetime(2026, 8, 17, 2, 0, tzinfo=UTC))  # Day 169, end of study
    auth.login("inv.user")
    path = url(subject, "PE", "15")
    assert 'name="ecog"' in client.get(path).get_data(as_text=True)
    data = {**PE, "pe_date": "2026-08-17", "visit_date": "2026-08-17"}
    refused = post(client, path, data)
    assert refused.status_code == 422
    assert 'id="ecog-error"' in refused.get_data(as_text=True)
    assert post(client, path, {**data, "ecog": "1"}).status_code == 302
    assert stored(PhysicalExam).ecog == 1
    assert client.get(url(subject, "ECG", "15")).status_code == 404


def test_blood_bank_interference_shows_after_the_first_infusion(client, auth, users, subject):
    auth.login("inv.user")
    pages = (
        f"/subjects/{subject.id}",
        f"/subjects/{subject.id}/visits",
        f"/subjects/{subject.id}/visits/1",
    )
    for path in pages:
        assert 'data-testid="blood-bank-interference"' not in client.get(path).get_data(
            as_text=True
        )
    card = client.get(f"/subjects/{subject.id}/blood-bank-card").get_data(as_text=True)
    assert 'data-testid="card-no-infusion"' in card
    factories.give_dose(users["investigator"], subject, "1", DAY1)
    drug = get_protocol().dosing.drug
    text = f"{drug} interferes with blood compatibility testing until 2026-09-02."
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert 'data-testid="blood-bank-interference"' in html, path
        assert text in html, path
    assert text in client.get(f"/subjects/{subject.id}/blood-bank-card").get_data(as_text=True)


def test_the_early_termination_visit_is_recorded_once_with_its_reason(client, auth, subject):
    freeze_clock(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    auth.login("inv.user")
    overview = client.get(f"/subjects/{subject.id}/visits").get_data(as_text=True)
    assert 'data-testid="add-et"' in overview
    path = f"/subjects/{subject.id}/visits/early-termination"
    refused = post(client, path, {"on": "2026-04-01", "reason": " "})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    made = post(client, path, {"on": "2026-04-01", "reason": "withdrew consent"})
    assert made.status_code == 302
    assert made.headers["Location"].endswith(f"/subjects/{subject.id}/visits/99")
    page = client.get(f"/subjects/{subject.id}/visits/99").get_data(as_text=True)
    assert "Early termination: withdrew consent" in page
    assert 'data-testid="et-disposition"' in page
    assert 'data-form="PE"' in page
    assert "not collected" not in page
    assert client.get(path).status_code == 302  # once: the page leads to the recorded visit
    overview = client.get(f"/subjects/{subject.id}/visits").get_data(as_text=True)
    assert 'data-testid="add-et"' not in overview
    assert "/visits/99" in overview
    pe = {**PE, "pe_date": "2026-04-01", "ecog": "2"}
    assert post(client, url(subject, "PE", "99"), pe).status_code == 302
    assert stored(PhysicalExam).ecog == 2


@pytest.mark.parametrize("code", ["PE", "ECG", "VIROLOGY", "BLOODBANK", "APLTAB"])
def test_garbage_in_every_field_is_refused_with_messages_never_500(client, auth, subject, code):
    auth.login("inv.user")
    form = registry.form(code).field_list()
    garbage = {f.name: "1e999<b>" + "9" * 30 for f in form.fields}
    answer = post(client, url(subject, code), garbage)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "<b>9" not in html  # escaped, kept in the inputs
    asked = form.shown(get_protocol().visits[0].forms)
    refused = [f.name for f in asked if f.kind != "text"]
    assert all(f'id="{name}-error"' in html for name in refused), refused


def test_a_monitor_reads_a_simple_form_without_inputs(client, auth, subject):
    auth.login("inv.user")
    assert post(client, url(subject, "ECG"), ECG).status_code == 302
    auth.logout()
    auth.login("mon.user")
    html = client.get(url(subject, "ECG")).get_data(as_text=True)
    assert 'name="hr"' not in html
    assert 'data-testid="value-hr">72</span>' in html
    assert 'data-testid="value-eg_result">normal</span>' in html
