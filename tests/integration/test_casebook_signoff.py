"""Casebook sign-off (issue 14, item 3): the investigator signs a subject's casebook; a later
change to a signed record makes the signature no longer apply until re-signed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from studyapp.audit import acting_as, set_reason
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import NotFound, PermissionDenied
from studyapp.exports import catalogue
from studyapp.extensions import db
from studyapp.monitoring import signoff
from studyapp.signatures.models import Signature
from studyapp.signatures.services import SignatureRefused, content_hash, is_current
from studyapp.transaction import transaction
from studyapp.visits.models import VitalSigns
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.factories import PASSWORD, csrf_token
from tests.integration.exports_helpers import produce
from tests.statements import statements_of

DAY1 = date(2026, 3, 2)
MANIFEST = (
    r"Signed by Inv User \(Investigator\) on 2026-03-16 10:00:00 \(\+08:00\): "
    r'"Investigator approval of casebook"'
)


def _save_vitals(inv, subject, weight: str, version: int | None, reason: str | None = None):
    """Vital signs on 16 March: visit 3 (Day 15) of the first subject, visit 2 (Day 8) of the
    second (run-in subjects start a week apart)."""
    visitnum = "3" if subject.day1_date == DAY1 else "2"
    values = {"weight": Decimal(weight), "sysbp": 118, "diabp": 76, "pulse": 70}
    with acting_as(inv), transaction():
        return vitals.save(
            inv,
            subject.id,
            visitnum,
            vitals.VitalsEntry(date(2026, 3, 16), None, values | {"temp": Decimal("36.5")}),
            visit_date=date(2026, 3, 16),
            version=version,
            reason=reason,
        )


@pytest.fixture
def enrolled(app, users):
    """Two enrolled subjects with vital signs saved at visit 3; the clock at 10:00 (+08:00)."""
    inv = users["investigator"]
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subjects = [factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))]
    freeze_clock(datetime(2026, 3, 8, 1, 0, tzinfo=UTC))
    subjects.append(factories.make_enrolled(inv, date(2026, 3, 9), screened=date(2026, 3, 8)))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))
    for subject in subjects:
        _save_vitals(inv, subject, "58.3", 0)
    return subjects


def _sign_page(client, subject, data):
    page = client.get(f"/signatures/casebooks/{subject.id}").get_data(as_text=True)
    return client.post(
        f"/signatures/casebooks/{subject.id}", data={"csrf_token": csrf_token(page), **data}
    )


def _sign(inv, subject, username="inv.user"):
    with acting_as(inv), transaction():
        return signoff.sign_casebook(inv, subject.id, username, PASSWORD)


def _pdf_text(tmp_path, actor, subject) -> str:
    catalogue.load()
    out = tmp_path / "casebook.pdf"
    with acting_as(actor):
        produce("casebook", actor, out, subject_id=subject.id)
    document = pdfium.PdfDocument(out.read_bytes())
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(text.split())


@pytest.mark.req("P11-16")
def test_signing_needs_the_password_every_time_and_the_username_first(
    client, auth, users, enrolled
):
    first, second = enrolled
    auth.login("inv.user")
    page = client.get(f"/subjects/{first.id}").get_data(as_text=True)
    assert 'data-testid="casebook-signoff"' in page
    assert 'name="username"' in page
    assert "Investigator approval of casebook" in page
    wrong = _sign_page(client, first, {"username": "inv.user", "password": "nope nope"})
    assert wrong.status_code == 422
    assert "The password is not correct." in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert users["investigator"].failed_logins == 1
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "signature_failed"))
    assert signoff.casebook_state(first.id).state == signoff.UNSIGNED
    no_name = _sign_page(client, first, {"password": PASSWORD})
    assert no_name.status_code == 422
    assert "This is not your username." in no_name.get_data(as_text=True)
    ok = _sign_page(client, first, {"username": "inv.user", "password": PASSWORD})
    assert ok.status_code == 302
    assert signoff.casebook_state(first.id).state == signoff.SIGNED
    page = client.get(f"/signatures/casebooks/{second.id}").get_data(as_text=True)
    assert 'name="username"' not in page
    no_password = _sign_page(client, second, {})
    assert no_password.status_code == 422
    assert _sign_page(client, second, {"password": PASSWORD}).status_code == 302
    assert signoff.casebook_state(second.id).state == signoff.SIGNED


@pytest.mark.req("P11-13", "P11-14")
def test_the_manifestation_on_the_page_and_in_the_casebook_pdf(
    client, auth, users, enrolled, tmp_path
):
    subject = enrolled[0]
    signature = _sign(users["investigator"], subject)
    assert signature.table_name == "subject"
    assert signature.row_id == str(subject.id)
    assert signature.content_hash == content_hash(signoff.casebook_content(subject.id))
    assert len(signature.content_hash) == 64
    auth.login("inv.user")
    page = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert re.search(MANIFEST, page)
    assert "Signed and unchanged since" in page
    text = _pdf_text(tmp_path, users["monitor"], subject)
    assert "Inv User (Investigator) 2026-03-16 10:00 +08:00" in text
    assert "+08:00 Investigator approval of casebook valid" in text


@pytest.mark.req("P11-14", "GCP-09")
def test_a_change_to_a_signed_record_invalidates_until_re_signed(
    client, auth, users, enrolled, tmp_path
):
    inv = users["investigator"]
    subject, other = enrolled
    signature = _sign(inv, subject)
    auth.login("inv.user")
    todo = client.get("/signatures/casebooks").get_data(as_text=True)
    assert f">{other.label}</a>" in todo.split("casebooks-ready")[1]
    assert f">{subject.label}</a>" not in todo
    _save_vitals(inv, subject, "58.9", 1, reason="scale recalibrated")
    db.session.expire_all()
    assert signature.status == "invalidated"
    assert signature.invalidated_reason == "signed content changed"
    audit = db.session.scalars(
        select(AuditLog).where(AuditLog.table_name == "signature", AuditLog.field == "status")
    ).all()
    changes = [(a.old_value, a.new_value, a.reason) for a in audit if a.old_value]
    assert changes == [("valid", "invalidated", "signed content changed")]
    assert all(a.row_id == str(signature.id) for a in audit if a.old_value)
    assert signoff.casebook_state(subject.id).state == signoff.INVALIDATED
    assert signoff.casebook_state(other.id).state == signoff.UNSIGNED  # not the other's
    page = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "No longer applies" in page
    assert "the signature no longer applies" in page
    assert re.search(MANIFEST, page)
    todo = client.get("/signatures/casebooks").get_data(as_text=True)
    assert f">{subject.label}</a>" in todo.split("casebooks-again")[1].split("casebooks-ready")[0]
    text = _pdf_text(tmp_path, users["monitor"], subject)
    assert "Investigator approval of casebook invalidated: no longer applies" in text
    assert (
        _sign_page(client, subject, {"username": "inv.user", "password": PASSWORD}).status_code
        == 302
    )
    assert signoff.casebook_state(subject.id).state == signoff.SIGNED
    todo = client.get("/signatures/casebooks").get_data(as_text=True)
    assert f">{subject.label}</a>" not in todo
    assert db.session.get(Signature, signature.id).status == "invalidated"  # history kept


def test_a_change_elsewhere_keeps_the_signature(users, enrolled):
    inv = users["investigator"]
    subject, other = enrolled
    signature = _sign(inv, subject)
    _save_vitals(inv, other, "60.1", 1, reason="typo")
    db.session.expire_all()
    assert signature.status == "valid"
    assert signoff.casebook_state(subject.id).state == signoff.SIGNED


@pytest.mark.req("P11-14")
def test_a_visit_sign_off_covers_that_visit_only(users, enrolled, tmp_path):
    inv = users["investigator"]
    subject = enrolled[0]
    visit = signoff.find_visit(subject.id, "3")
    content = signoff.casebook_content(subject.id, visit)
    assert [v["table"] for v in content.values()] == ["vital_signs"]
    with acting_as(inv), transaction():
        signature = signoff.sign_casebook(inv, subject.id, "inv.user", PASSWORD, visit=visit)
    assert (signature.table_name, signature.row_id) == ("visit", str(visit.id))
    assert signature.meaning == "Investigator approval of visit data"
    assert signoff.casebook_state(subject.id, visit).state == signoff.SIGNED
    assert signoff.casebook_state(subject.id).state == signoff.UNSIGNED
    text = _pdf_text(tmp_path, users["monitor"], subject)
    assert "+08:00 Investigator approval of visit data valid" in text  # in the visit's section
    _save_vitals(inv, subject, "58.9", 1, reason="scale recalibrated")
    db.session.expire_all()
    assert signature.status == "invalidated"
    text = _pdf_text(tmp_path, users["monitor"], subject)
    assert "Investigator approval of visit data invalidated: no longer applies" in text
    _ready, again = signoff.to_do(inv)
    assert [(item.subject.id, item.visit) for item in again] == [(subject.id, visit)]


@pytest.mark.req("P11-14")
def test_the_signature_cannot_move_to_another_record(users, enrolled):
    inv = users["investigator"]
    subject, other = enrolled
    signature = _sign(inv, subject)
    assert signature.content_hash != content_hash(signoff.casebook_content(other.id))
    assert signoff.casebook_state(other.id).signature is None
    other_visit = signoff.find_visit(other.id, "2")
    with pytest.raises(NotFound), acting_as(inv):
        signoff.sign_casebook(inv, subject.id, None, PASSWORD, visit=other_visit)
    # pointed at the other casebook, it does not match what it would then claim to sign
    assert not is_current(signature, signoff.casebook_content(other.id))
    assert is_current(signature, signoff.casebook_content(subject.id))


@pytest.mark.req("P11-16", "GCP-09")
@pytest.mark.parametrize("role", ["monitor", "coordinator", "data_manager"])
def test_only_the_investigator_signs(client, auth, users, enrolled, role):
    subject = enrolled[0]
    with pytest.raises(PermissionDenied), acting_as(users[role]):
        signoff.sign_casebook(users[role], subject.id, None, PASSWORD)
    auth.login(users[role].username)
    page = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert 'name="password"' not in page
    token = csrf_token(page)
    answer = client.post(
        f"/signatures/casebooks/{subject.id}", data={"csrf_token": token, "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert signoff.casebook_state(subject.id).state == signoff.UNSIGNED


def test_a_wrong_password_in_the_service_is_refused(users, enrolled):
    inv = users["investigator"]
    with pytest.raises(SignatureRefused), acting_as(inv):
        signoff.sign_casebook(inv, enrolled[0].id, "inv.user", "wrong password")


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/signatures/casebooks/999999", {"password": PASSWORD}, 404),
        ("/signatures/casebooks/99999999999999", {"password": PASSWORD}, 404),
        ("/signatures/casebooks/abc", {"password": PASSWORD}, 404),
        (None, {"password": "x" * 5000, "username": "inv.user"}, 422),
        (None, {"password": PASSWORD, "username": "\x00" * 200}, 400),
        (None, {"password": ["a", "b"], "username": "inv.user"}, 422),
    ],
)
def test_bad_input_never_fails_with_500(client, auth, enrolled, path, data, status):
    subject = enrolled[0]
    auth.login("inv.user")
    page = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    answer = client.post(
        path or f"/signatures/casebooks/{subject.id}",
        data={"csrf_token": csrf_token(page), **data},
    )
    assert answer.status_code == status
    assert signoff.casebook_state(subject.id).state == signoff.UNSIGNED


def test_a_screened_subject_is_not_signed_and_the_list_is_in_the_navigation(
    client, auth, users, enrolled
):
    inv = users["investigator"]
    screened = factories.screen_subject(inv)
    with pytest.raises(NotFound), acting_as(inv):
        signoff.sign_casebook(inv, 999999, "inv.user", PASSWORD)
    auth.login("inv.user")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/signatures/casebooks"' in home
    answer = _sign_page(client, screened, {"username": "inv.user", "password": PASSWORD})
    assert answer.status_code == 409
    assert "Only an enrolled subject" in answer.get_data(as_text=True)


@pytest.mark.req("P11-13")
def test_the_sign_off_reads_in_chinese(client, auth, users, enrolled):
    subject = enrolled[0]
    _sign(users["investigator"], subject)
    users["investigator"].locale = "zh_Hans"
    db.session.commit()
    auth.login("inv.user")
    page = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "病例报告集签署" in page
    assert "研究者批准病例报告集" in page  # the stored meaning, translated
    assert "待签名的病例报告集" in page  # the navigation link


@pytest.mark.req("P11-14")
def test_a_write_outside_the_save_sequence_invalidates_at_commit(users, enrolled):
    inv = users["investigator"]
    subject = enrolled[0]
    signature = _sign(inv, subject)
    record = db.session.scalar(select(VitalSigns).where(VitalSigns.subject_id == subject.id))
    with acting_as(inv), transaction():
        set_reason("transcription error")
        record.pulse = 72  # no save_record, no hook: the commit checks the sign-offs
    db.session.expire_all()
    assert signature.status == "invalidated"
    assert signature.invalidated_reason == "signed content changed"
    assert signoff.casebook_state(subject.id).state == signoff.INVALIDATED


@pytest.mark.req("P11-13", "P11-16")
def test_a_visit_is_signed_from_its_page(client, auth, users, enrolled):
    subject = enrolled[0]
    auth.login("inv.user")
    page = client.get(f"/signatures/casebooks/{subject.id}").get_data(as_text=True)
    listed = page.split('data-testid="visit-signoffs"')[1]
    assert f'href="/signatures/casebooks/{subject.id}/visits/3"' in listed
    assert "not signed" in listed
    path = f"/signatures/casebooks/{subject.id}/visits/3"
    assert client.get(f"/signatures/casebooks/{subject.id}/visits/9.99").status_code == 404
    answer = client.post(
        path,
        data={
            "csrf_token": csrf_token(client.get(path).get_data(as_text=True)),
            "username": "inv.user",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 302
    visit = signoff.find_visit(subject.id, "3")
    assert signoff.casebook_state(subject.id, visit).state == signoff.SIGNED
    page = client.get(path).get_data(as_text=True)
    assert re.search(MANIFEST.replace("casebook", "visit data"), page)
    assert signoff.casebook_state(subject.id).state == signoff.UNSIGNED  # the casebook is not
    _save_vitals(users["investigator"], subject, "58.9", 1, reason="scale recalibrated")
    todo = client.get("/signatures/casebooks").get_data(as_text=True)
    again = todo.split("casebooks-again")[1].split("casebooks-ready")[0]
    assert f'href="{path}">{subject.label}, visit 3</a>' in again


@pytest.mark.req("P11-14")
def test_a_monitors_verification_or_a_lock_does_not_void_the_signature(app, users, enrolled):
    """The signature covers what the investigator entered, not the record's bookkeeping: a
    monitor verifying the signed vital signs moves their status and version only."""
    from studyapp.monitoring.sdv import services as sdv

    first, _second = enrolled
    _sign(users["investigator"], first)
    record = db.session.scalar(select(VitalSigns).where(VitalSigns.subject_id == first.id))
    before = record.version
    with acting_as(users["monitor"]), transaction():
        assert sdv.verify_form(users["monitor"], "VS", record.id) > 0
    db.session.expire_all()
    assert record.status == "verified"
    assert record.version > before
    assert signoff.casebook_state(first.id).state == signoff.SIGNED
    _save_vitals(users["investigator"], first, "60.1", record.version, reason="re-weighed")
    assert signoff.casebook_state(first.id).state == signoff.INVALIDATED


def _to_do_statements(inv) -> int:
    db.session.expire_all()
    return statements_of(lambda: signoff.to_do(inv))


def test_the_to_do_list_costs_the_same_statements_however_many_subjects(users, enrolled):
    """Ready, signed, invalidated casebooks and an invalidated visit sign-off: the list reads
    them in a fixed number of statements (no query per subject)."""
    inv = users["investigator"]
    first, second = enrolled
    _sign(inv, first, username="inv.user")
    visit = signoff.find_visit(second.id, "2")
    with acting_as(inv), transaction():
        signoff.sign_casebook(inv, second.id, None, PASSWORD, visit=visit)
    _save_vitals(inv, second, "58.9", 1, reason="scale recalibrated")
    with_two = _to_do_statements(inv)
    ready, again = signoff.to_do(inv)
    assert [item.subject.id for item in ready] == [second.id]
    assert [(item.subject.id, item.visit) for item in again] == [(second.id, visit)]
    freeze_clock(datetime(2026, 3, 15, 1, 0, tzinfo=UTC))
    third = factories.make_enrolled(inv, date(2026, 3, 16), screened=date(2026, 3, 15))
    freeze_clock(datetime(2026, 3, 16, 4, 0, tzinfo=UTC))
    with acting_as(inv), transaction():
        vitals.save(
            inv,
            third.id,
            "1",
            vitals.VitalsEntry(
                date(2026, 3, 16),
                None,
                {
                    "weight": Decimal("61"),
                    "sysbp": 120,
                    "diabp": 80,
                    "pulse": 72,
                    "temp": Decimal("36.6"),
                },
            ),
            visit_date=date(2026, 3, 16),
            version=0,
        )
    _save_vitals(inv, first, "58.9", 1, reason="scale recalibrated")
    ready, again = signoff.to_do(inv)
    assert [item.subject.id for item in ready] == [second.id, third.id]
    assert [(item.subject.id, item.visit) for item in again] == [
        (first.id, None),
        (second.id, visit),
    ]
    assert again[0].state.state == signoff.INVALIDATED
    assert _to_do_statements(inv) <= with_two
