"""Freeze and lock (issue 14, item 4): a form, visit, subject or study lock makes the data
read-only for everyone through the CRF core (page and service alike); unlock needs a reason;
every step is audited; only the role holding LOCK_DATA sets or releases them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.crf import status
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, PermissionDenied
from studyapp.extensions import db
from studyapp.monitoring.locks import services as locks
from studyapp.monitoring.locks.models import DataLock
from studyapp.permissions import PERMISSIONS, Action, Role
from studyapp.safety import events
from studyapp.subjects import history
from studyapp.subjects import services as subjects
from studyapp.transaction import transaction
from studyapp.visits.models import VitalSigns
from studyapp.visits.schedule import extra_visits
from studyapp.visits.schedule import service as schedule
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.factories import USERNAMES, csrf_token

DAY1 = date(2026, 3, 2)
DAY29 = date(2026, 3, 30)  # visit 5: CBC, CHEM, IG, VS, WEIGHT, BLEED, CM
REASON = "transcription error, checked against the source"
LOCKERS = [role for role in Role if Action.LOCK_DATA in PERMISSIONS[role]]
OTHERS = [role for role in Role if Action.LOCK_DATA not in PERMISSIONS[role]]
VITALS_PAGE = "/subjects/{id}/visits/5/vitals"


def _entry(pulse: int) -> vitals.VitalsEntry:
    values = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 76, "pulse": pulse}
    return vitals.VitalsEntry(DAY29, time(9, 0), {**values, "temp": Decimal("36.6")})


def _save_vitals(inv: Any, subject: Any, pulse: int, **kw: Any) -> VitalSigns:
    with acting_as(inv), transaction():
        return vitals.save(inv, subject.id, "5", _entry(pulse), visit_date=DAY29, **kw)


def _enrol(inv: Any) -> Any:
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))  # Day 30, 10:00 at the site
    return subject


@pytest.fixture
def enrolled(app, users):
    return _enrol(users["investigator"])


@pytest.fixture
def locker(users):
    assert LOCKERS, "some role may lock data"
    return users[LOCKERS[0].value]


def _set(actor: Any, scope: str, state: str = status.LOCKED, **where: Any) -> DataLock:
    with acting_as(actor), transaction():
        return locks.set_lock(actor, scope, state, reason="database lock", **where)


def _vitals_lock(locker: Any, subject: Any, state: str = status.LOCKED) -> DataLock:
    return _set(locker, status.FORM, state, subject_id=subject.id, visitnum="5", form="VS")


def _pulse(record: VitalSigns) -> int:
    db.session.expire_all()
    return db.session.get(VitalSigns, record.id).pulse


@pytest.mark.req("GCP-08", "P11-08")
@pytest.mark.parametrize("state", [status.FROZEN, status.LOCKED])
def test_a_locked_or_frozen_form_refuses_a_service_save(users, enrolled, locker, state):
    inv = users["investigator"]
    record = _save_vitals(inv, enrolled, 72)
    _vitals_lock(locker, enrolled, state)
    word = "locked" if state == status.LOCKED else "frozen"
    with pytest.raises(Conflict, match=f"This data is {word} \\(form"):
        _save_vitals(inv, enrolled, 80, version=record.version, reason=REASON)
    assert _pulse(record) == 72
    assert locks.state_of(enrolled.id, "5", "WEIGHT").state == state  # same page as VS
    assert locks.state_of(enrolled.id, "5", "CBC") is None  # another form stays open


@pytest.mark.req("GCP-08", "P11-08")
def test_a_locked_form_refuses_a_write_through_the_page_and_reads_only(
    client, auth, users, enrolled, locker
):
    record = _save_vitals(users["investigator"], enrolled, 72)
    _vitals_lock(locker, enrolled)
    auth.login(USERNAMES[Role.INVESTIGATOR])
    path = VITALS_PAGE.format(id=enrolled.id)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="lock-banner"' in html
    assert "<strong>Locked</strong>" in html
    assert "database lock" in html  # the reason, with who and when
    assert 'value="save"' not in html  # read-only: no Save button
    assert 'name="pulse"' not in html
    token = csrf_token(client.get(f"/subjects/{enrolled.id}/visits/5").get_data(as_text=True))
    sent = {"csrf_token": token, "vs_date": "2026-03-30", "weight": "58.3", "sysbp": "118"}
    sent |= {"diabp": "76", "pulse": "90", "temp": "36.6", "version": str(record.version)}
    response = client.post(path, data={**sent, "reason": REASON, "action": "save"})
    assert response.status_code == 409
    refused = response.get_data(as_text=True)
    assert "This data is locked" in refused
    assert 'data-testid="lock-banner"' in refused
    assert 'value="save"' not in refused  # the answer shows the form read-only too
    assert _pulse(record) == 72


@pytest.mark.req("GCP-08", "P11-05")
def test_unlock_needs_a_reason_then_changes_work_again(client, auth, users, enrolled, locker):
    inv = users["investigator"]
    record = _save_vitals(inv, enrolled, 72)
    lock = _vitals_lock(locker, enrolled)
    auth.login(locker.username)
    path = f"/monitoring/locks/{lock.id}/release"
    refused = auth.post(path, {"reason": "  "})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Give the reason for releasing it." in html
    assert html.index('name="reason"') < html.index("Give the reason for releasing it.")
    db.session.expire_all()
    assert db.session.get(DataLock, lock.id).active
    done = auth.post(path, {"reason": "query answered, correction allowed"})
    assert done.status_code == 302
    db.session.expire_all()
    released = db.session.get(DataLock, lock.id)
    assert released.release_reason == "query answered, correction allowed"
    assert released.released_by_id == locker.id
    assert locks.state_of(enrolled.id, "5", "VS") is None
    _save_vitals(inv, enrolled, 80, version=record.version, reason=REASON)
    assert _pulse(record) == 80


@pytest.mark.req("GCP-08", "P11-05")
def test_lock_and_unlock_are_audited(users, enrolled, locker):
    lock = _vitals_lock(locker, enrolled)
    with acting_as(locker), transaction():
        locks.release(locker, lock.id, "released for correction")
    query = select(AuditLog).where(AuditLog.table_name == "data_lock")
    rows = list(db.session.scalars(query.where(AuditLog.row_id == str(lock.id))))
    inserted = {row.field: row for row in rows if row.action == "insert"}
    assert inserted["state"].new_value == "locked"
    assert inserted["form"].new_value == "VS"
    assert inserted["state"].reason == "database lock"
    assert inserted["state"].username == locker.username
    assert inserted["state"].subject_id == enrolled.id
    updated = {row.field: row for row in rows if row.action == "update"}
    assert updated["release_reason"].new_value == "released for correction"
    assert updated["released_at"].reason == "released for correction"


@pytest.mark.req("GCP-08")
def test_a_subject_lock_covers_all_its_visits_and_forms(users, enrolled, locker):
    inv = users["investigator"]
    record = _save_vitals(inv, enrolled, 72)
    _set(locker, status.SUBJECT, status.FROZEN, subject_id=enrolled.id)
    for visit, form in (("5", "VS"), ("1", "EC"), ("3", "CBC"), (None, "AE"), (None, "DS")):
        assert locks.state_of(enrolled.id, visit, form).scope == status.SUBJECT
    with pytest.raises(Conflict, match="frozen \\(subject"):
        _save_vitals(inv, enrolled, 80, version=record.version, reason=REASON)
    with pytest.raises(Conflict, match="frozen"):  # a new record of another form and visit
        factories.save_cbc(inv, enrolled, "4", date(2026, 3, 23), PLAT="45")
    with pytest.raises(Conflict, match="frozen"):  # a subject-level form
        factories.record_ae(inv, enrolled)
    with pytest.raises(Conflict, match="frozen"), acting_as(inv), transaction():
        subjects.record_disposition(inv, enrolled.id, decod="COMPLETED", on=DAY29, reason="done")
    with pytest.raises(Conflict, match="frozen"), acting_as(inv), transaction():
        schedule.record_visit_date(inv, enrolled.id, "5", DAY29, version=1, reason=REASON)
    with pytest.raises(Conflict, match="frozen"), acting_as(inv), transaction():
        extra_visits.add_unscheduled(inv, enrolled.id, DAY29, "bleeding")
    assert _pulse(record) == 72
    # a lock on top of the freeze: the stronger state is shown
    _vitals_lock(locker, enrolled)
    assert locks.state_of(enrolled.id, "5", "VS").state == status.LOCKED


@pytest.mark.req("GCP-08")
def test_a_study_lock_covers_every_subject(users, enrolled, locker):
    inv = users["investigator"]
    record = _save_vitals(inv, enrolled, 72)
    other = factories.screen_subject(inv, screened=date(2026, 3, 31))
    _set(locker, status.STUDY)
    with pytest.raises(Conflict, match="locked \\(study"):
        _save_vitals(inv, enrolled, 80, version=record.version, reason=REASON)
    values = {"platelet_count": Decimal("25")}
    with pytest.raises(Conflict, match="locked \\(study"), acting_as(inv), transaction():
        subjects.save_screening_data(inv, other.id, values, version=other.version, reason=None)
    assert locks.state_of(other.id, None, "DM").scope == status.STUDY
    with pytest.raises(Conflict, match="locked"), acting_as(inv), transaction():
        history.add_medical_history(
            inv, other.id, term="asthma", start_date="2010", end_date=None, ongoing=True
        )


@pytest.mark.req("P11-09", "GCP-08")
@pytest.mark.parametrize("role", OTHERS, ids=lambda r: r.value)
def test_only_the_role_with_lock_data_may_lock_or_unlock(client, auth, users, enrolled, role):
    lock = _vitals_lock(users[LOCKERS[0].value], enrolled)
    actor = users[role.value]
    with pytest.raises(PermissionDenied), acting_as(actor), transaction():
        locks.set_lock(actor, status.SUBJECT, status.LOCKED, subject_id=enrolled.id)
    with pytest.raises(PermissionDenied), acting_as(actor), transaction():
        locks.release(actor, lock.id, "no")
    auth.login(actor.username)
    assert client.get("/monitoring/locks").status_code == 403
    new = f"/monitoring/locks/new?scope=subject&subject_id={enrolled.id}"
    assert client.get(new).status_code == 403
    token = csrf_token(client.get("/").get_data(as_text=True))
    posted = client.post(f"/monitoring/locks/{lock.id}/release", data={"csrf_token": token})
    assert posted.status_code == 403
    assert db.session.scalar(select(DataLock).where(DataLock.id == lock.id)).active


@pytest.mark.req("GCP-08")
def test_the_locking_role_locks_a_visit_through_the_pages(client, auth, users, enrolled, locker):
    inv = users["investigator"]
    _save_vitals(inv, enrolled, 72)
    auth.login(locker.username)
    visit = client.get(f"/subjects/{enrolled.id}/visits/5").get_data(as_text=True)
    assert "Freeze or lock this visit" in visit
    path = f"/monitoring/locks/new?scope=visit&subject_id={enrolled.id}&visitnum=5"
    assert auth.post(path, {"state": ""}).status_code == 422
    done = auth.post(path, {"state": "frozen", "reason": "interim analysis"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/subjects/{enrolled.id}/visits/5")
    listing = client.get("/monitoring/locks").get_data(as_text=True)
    assert "interim analysis" in listing
    assert f"Subject {enrolled.subject_number}, visit 5" in listing
    assert auth.post(path, {"state": "frozen"}).status_code == 409  # already frozen
    page = client.get(VITALS_PAGE.format(id=enrolled.id)).get_data(as_text=True)
    assert "<strong>Frozen</strong>" in page
    assert locks.state_of(enrolled.id, "5", "CBC").scope == status.VISIT
    assert locks.state_of(enrolled.id, "4", "CBC") is None


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("scope=form&subject_id={id}&visitnum=5&form=NOPE", 404),
        ("scope=visit&subject_id={id}&visitnum=99", 404),
        ("scope=subject&subject_id=999999", 404),
        ("scope=subject&subject_id=abc", 404),
        ("scope=galaxy&subject_id={id}", 404),
        ("scope=visit&subject_id={id}", 422),
        ("scope=form&subject_id={id}&form=VS", 422),
    ],
)
def test_bad_input_is_refused_never_500(client, auth, enrolled, locker, query, expected):
    auth.login(locker.username)
    path = "/monitoring/locks/new?" + query.format(id=enrolled.id)
    token = csrf_token(client.get("/monitoring/locks").get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "state": "locked"})
    assert response.status_code == expected
    assert client.get("/monitoring/locks/424242/release").status_code == 404
    assert db.session.scalar(select(DataLock)) is None


@pytest.mark.req("GCP-08")
def test_every_form_page_of_a_locked_subject_shows_the_lock_and_no_inputs(
    client, auth, users, enrolled, locker
):
    inv = users["investigator"]
    ae = factories.record_ae(inv, enrolled)
    _set(locker, status.SUBJECT, subject_id=enrolled.id)
    auth.login(USERNAMES[Role.INVESTIGATOR])
    base = f"/subjects/{enrolled.id}"
    pages = ["/visits/5/vitals", "/visits/5/labs/CBC", "/visits/5/bleeding", "/visits/1/dose"]
    pages += ["/visits/5/medications", f"/adverse-events/{ae.id}", "/adverse-events/new"]
    for page in pages:
        response = client.get(base + page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        assert "<strong>Locked</strong>" in html, page
        assert 'value="save"' not in html, page
    visit = client.get(base + "/visits/5").get_data(as_text=True)
    assert visit.count('data-testid="lock-state"') >= 4  # each collected form shows its state
    assert "Locked" in client.get(base).get_data(as_text=True)  # the subject page


@pytest.mark.req("SEC-06")
def test_setting_or_releasing_without_the_csrf_token_is_refused(client, auth, enrolled, locker):
    lock = _vitals_lock(locker, enrolled)
    auth.login(locker.username)
    path = f"/monitoring/locks/new?scope=subject&subject_id={enrolled.id}"
    assert client.post(path, data={"state": "locked"}).status_code == 400
    released = client.post(f"/monitoring/locks/{lock.id}/release", data={"reason": "x"})
    assert released.status_code == 400
    db.session.expire_all()
    assert db.session.get(DataLock, lock.id).active
    assert db.session.scalar(select(DataLock).where(DataLock.scope == status.SUBJECT)) is None


@pytest.mark.req("GCP-08")
def test_a_subject_level_form_lock_from_the_subject_page(client, auth, users, enrolled, locker):
    inv = users["investigator"]
    ae = factories.record_ae(inv, enrolled)
    auth.login(locker.username)
    page = client.get(f"/subjects/{enrolled.id}").get_data(as_text=True)
    assert 'data-lock-form="AE"' in page
    path = f"/monitoring/locks/new?scope=form&subject_id={enrolled.id}&form=IRR&visitnum=5"
    assert auth.post(path, {"state": "locked"}).status_code == 302
    lock = db.session.scalar(select(DataLock))
    assert (lock.form, lock.visitnum) == ("AE", None)  # the page's key; AEs have no visit
    assert f'data-testid="lock-{lock.id}"' in client.get(f"/subjects/{enrolled.id}").get_data(
        as_text=True
    )
    with pytest.raises(Conflict, match="locked \\(form"):
        factories.record_ae(inv, enrolled, aeterm="nausea", ctcae_term="Nausea")
    with pytest.raises(Conflict, match="locked \\(form"), acting_as(inv), transaction():
        events.remove(inv, enrolled.id, ae.id, "entered twice", version=ae.version)
    _save_vitals(inv, enrolled, 72)  # a visit form stays open


@pytest.mark.req("GCP-08")
def test_the_study_is_locked_from_the_monitoring_page(client, auth, users, enrolled, locker):
    auth.login(locker.username)
    listing = client.get("/monitoring/locks").get_data(as_text=True)
    assert 'data-testid="no-locks"' in listing
    assert 'data-testid="lock-study"' in listing
    done = auth.post("/monitoring/locks/new?scope=study", {"state": "locked", "reason": "DBL"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/monitoring/locks")
    assert locks.state_of(enrolled.id, "5", "VS").scope == status.STUDY
    assert "DBL" in client.get("/monitoring/locks").get_data(as_text=True)
