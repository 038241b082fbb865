"""Source data verification (issue 14, item 2): a monitor verifies a field, a whole form or a
whole visit of the forms the protocol's SDV plan names; a later change of a verified field
clears its verification, told on the form and in the monitor's list; the dashboard's progress.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.crf.status import COMPLETE, VERIFIED
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.monitoring.sdv import progress, services
from studyapp.monitoring.sdv.models import SdvMark
from studyapp.visits.models import LabPanel, LabResult, Visit, VitalSigns
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.factories import USERNAMES
from tests.statements import page_statements

DAY1 = date(2026, 3, 2)
VS_FIELDS = ("vs_date", "weight", "height", "sysbp", "diabp", "pulse", "temp")
MEASURES = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 74, "pulse": 71}


def save_vitals(inv, subject, *, version=None, reason=None, completing=True, on=DAY1, **values):
    with acting_as(inv):
        record = vitals.save(
            inv,
            subject.id,
            "1",
            vitals.VitalsEntry(on, time(9, 5), MEASURES | {"temp": Decimal("36.8")} | values),
            visit_date=on,
            version=version,
            reason=reason,
            completing=completing,
            confirmed=True,
        )
    db.session.commit()
    return record


def enrolled(inv, *, cbc=True, completing=True):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    save_vitals(inv, subject, completing=completing)
    if cbc:
        factories.save_cbc(inv, subject, "1", DAY1, PLAT=17)
    return subject


@pytest.fixture
def subject(app, users):
    return enrolled(users["investigator"])


def page(subject) -> str:
    return f"/subjects/{subject.id}/visits/1/vitals"


def record_of(subject) -> VitalSigns:
    return db.session.scalar(select(VitalSigns).where(VitalSigns.subject_id == subject.id))


def marks(subject, *, active=True) -> dict[str, SdvMark]:
    query = select(SdvMark).where(SdvMark.subject_id == subject.id)
    query = query.where(SdvMark.cleared_at.is_(None) if active else SdvMark.cleared_at.is_not(None))
    return {f"{m.form}.{m.field}": m for m in db.session.scalars(query)}


def as_monitor(auth):
    auth.login(USERNAMES[next(r for r in USERNAMES if r.value == "monitor")])


def verify(auth, subject, path, back=None):
    return auth.post(path, {"next": back or page(subject)}, page=page(subject))


@pytest.mark.req("P11-05")
def test_a_monitor_verifies_a_field_then_the_whole_form(client, auth, users, subject):
    as_monitor(auth)
    rec = record_of(subject)
    html = client.get(page(subject)).get_data(as_text=True)
    assert 'data-testid="sdv-verify-VS-weight"' in html
    assert 'data-testid="sdv-verify-form-VS"' in html
    got = verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}/fields/weight")
    assert got.status_code == 302
    assert got.headers["Location"].endswith(page(subject))
    assert set(marks(subject)) == {"VS.weight"}
    mark = marks(subject)["VS.weight"]
    assert mark.verified_by_id == users["monitor"].id
    assert mark.record_version == rec.version
    html = client.get(page(subject)).get_data(as_text=True)
    assert 'data-testid="sdv-tick-weight"' in html
    assert "✓ Verified" in html
    assert 'data-testid="sdv-tick-sysbp"' not in html
    assert "1 of 7 fields verified" in html
    assert verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}").status_code == 302
    assert set(marks(subject)) == {f"VS.{f}" for f in VS_FIELDS}
    db.session.expire_all()
    assert record_of(subject).status == VERIFIED
    html = client.get(page(subject)).get_data(as_text=True)
    assert "7 of 7 fields verified" in html
    assert 'data-testid="sdv-verify-form-VS"' not in html
    inserted = db.session.scalars(
        select(AuditLog).where(AuditLog.table_name == "sdv_mark", AuditLog.field == "field")
    ).all()
    assert len(inserted) == 7
    assert {a.username for a in inserted} == {"mon.user"}


def test_a_monitor_verifies_a_whole_visit_in_one_click(client, auth, subject):
    as_monitor(auth)
    visit = db.session.scalar(select(Visit).where(Visit.subject_id == subject.id))
    visit_page = f"/subjects/{subject.id}/visits/1"
    assert 'data-testid="sdv-verify-visit"' in client.get(visit_page).get_data(as_text=True)
    got = auth.post(f"/monitoring/sdv/visits/{visit.id}", {"next": visit_page}, page=visit_page)
    assert got.status_code == 302
    cbc = {"CBC.lb_date", "CBC.orres", "CBC.orresu"}  # the sample date, PLAT's value and unit
    assert set(marks(subject)) == {f"VS.{f}" for f in VS_FIELDS} | cbc
    db.session.expire_all()
    panel = db.session.scalar(select(LabPanel).where(LabPanel.subject_id == subject.id))
    assert record_of(subject).status == VERIFIED
    assert panel.status == VERIFIED
    # again: nothing new, no duplicate marks
    auth.post(f"/monitoring/sdv/visits/{visit.id}", {"next": visit_page}, page=visit_page)
    assert db.session.query(SdvMark).count() == 10


@pytest.mark.req("P11-07")
def test_a_later_change_clears_the_verification_on_the_form_and_in_the_list(
    client, auth, users, subject
):
    as_monitor(auth)
    rec = record_of(subject)
    verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}")
    db.session.expire_all()
    freeze_clock(datetime(2026, 3, 2, 6, 7, tzinfo=UTC))
    inv = users["investigator"]
    save_vitals(inv, subject, version=record_of(subject).version, reason="source says 85", pulse=85)
    db.session.expire_all()
    cleared = marks(subject, active=False)
    assert set(cleared) == {"VS.pulse"}
    assert cleared["VS.pulse"].cleared_reason == "source says 85"
    assert cleared["VS.pulse"].cleared_by_id == inv.id
    assert "VS.pulse" not in marks(subject)
    assert len(marks(subject)) == 6
    assert record_of(subject).status == COMPLETE
    assert db.session.scalar(
        select(AuditLog).where(AuditLog.table_name == "sdv_mark", AuditLog.field == "cleared_at")
    )
    html = client.get(page(subject)).get_data(as_text=True)
    assert 'data-testid="sdv-cleared-pulse"' in html
    assert "2026-03-02 06:07 (UTC) by inv.user" in html
    assert "source says 85" in html
    assert 'data-testid="sdv-tick-pulse"' not in html
    assert 'data-testid="sdv-tick-weight"' in html
    listed = client.get("/monitoring/sdv/").get_data(as_text=True)
    assert 'data-testid="sdv-cleared-row"' in listed
    assert "source says 85" in listed
    assert f"/audit/history/vital_signs/{rec.id}/pulse" in listed
    # verified again: gone from the list
    verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}/fields/pulse")
    listed = client.get("/monitoring/sdv/").get_data(as_text=True)
    assert 'data-testid="sdv-cleared-row"' not in listed
    assert "No verification to re-check." in listed


@pytest.mark.req("P11-07")
def test_a_platelet_count_is_verified_and_a_correction_clears_it(client, auth, users, subject):
    as_monitor(auth)
    panel = db.session.scalar(select(LabPanel).where(LabPanel.subject_id == subject.id))
    plat = db.session.scalar(select(LabResult).where(LabResult.panel_id == panel.id))
    cbc_page = f"/subjects/{subject.id}/visits/1/labs/CBC"
    html = client.get(cbc_page).get_data(as_text=True)
    assert 'data-testid="sdv-verify-PLAT-orres"' in html
    base = f"/monitoring/sdv/forms/CBC/{panel.id}/rows/{plat.id}/fields"
    assert auth.post(f"{base}/orres", {"next": cbc_page}, page=cbc_page).status_code == 302
    assert auth.post(f"{base}/orresu", {"next": cbc_page}, page=cbc_page).status_code == 302
    assert auth.post(f"{base}/stresn", {"next": cbc_page}, page=cbc_page).status_code == 404
    other = f"/monitoring/sdv/forms/CBC/{panel.id}/rows/{plat.id + 99}/fields/orres"
    assert auth.post(other, {"next": cbc_page}, page=cbc_page).status_code == 404
    html = client.get(cbc_page).get_data(as_text=True)
    assert 'data-testid="sdv-verified-PLAT-orres"' in html
    assert "2 of 3 fields verified" in html
    db.session.expire_all()
    factories.save_cbc(
        users["investigator"], subject, "1", DAY1, version=panel.version, reason="typo", PLAT=19
    )
    db.session.expire_all()
    assert set(marks(subject)) == {"CBC.orresu"}
    assert set(marks(subject, active=False)) == {"CBC.orres"}
    html = client.get(cbc_page).get_data(as_text=True)
    assert 'data-testid="sdv-cleared-orres-PLAT"' in html
    assert 'data-testid="sdv-verify-PLAT-orres"' in html


@pytest.mark.req("P11-09")
@pytest.mark.parametrize("role", ["investigator", "coordinator", "data_manager"])
def test_only_a_monitor_verifies(client, auth, users, subject, role):
    auth.login(USERNAMES[next(r for r in USERNAMES if r.value == role)])
    rec = record_of(subject)
    visit_id = rec.visit_id
    for path in (
        f"/monitoring/sdv/forms/VS/{rec.id}/fields/weight",
        f"/monitoring/sdv/forms/VS/{rec.id}",
        f"/monitoring/sdv/visits/{visit_id}",
    ):
        assert auth.post(path, {"next": "/"}, page="/").status_code == 403, path
    assert client.get("/monitoring/sdv/").status_code == 403
    page_html = client.get(page(subject)).get_data(as_text=True)
    assert "sdv-verify" not in page_html
    assert 'data-nav="sdv"' not in page_html
    assert db.session.query(SdvMark).count() == 0


def test_the_dashboard_counts_a_small_hand_made_case(client, auth, subject):
    as_monitor(auth)
    rec = record_of(subject)
    for name in ("weight", "pulse"):
        verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}/fields/{name}")
    numbers = progress.progress()
    (mine,) = numbers.subjects
    # VS 7 fields + CBC 3 (the sample date, PLAT's value and unit)
    assert (mine.verified, mine.total, mine.percent) == (2, 10, 20)
    (visit,) = numbers.visits
    assert (visit.verified, visit.total) == (2, 10)
    forms = {t.label.rsplit("(", 1)[1].rstrip(")"): t for t in numbers.forms}
    assert (forms["VS"].verified, forms["VS"].total, forms["VS"].percent) == (2, 7, 29)
    assert (forms["CBC"].verified, forms["CBC"].total) == (0, 3)
    assert forms["EC"].total == 0
    assert forms["AE"].total == 0
    html = client.get("/monitoring/sdv/").get_data(as_text=True)
    assert 'data-nav="sdv"' in html
    assert "20 %" in html
    assert "29 %" in html


def test_bad_input_is_refused_never_a_500(client, auth, users, subject):
    as_monitor(auth)
    rec = record_of(subject)
    for path in (
        f"/monitoring/sdv/forms/XX/{rec.id}",  # no such form code
        f"/monitoring/sdv/forms/BLEED/{rec.id}",  # a form the plan does not verify
        f"/monitoring/sdv/forms/VS/{rec.id}/fields/nope",  # no such field
        f"/monitoring/sdv/forms/VS/{rec.id}/fields/vs_time",  # a field not verified
        f"/monitoring/sdv/forms/VS/{rec.id + 999}",  # no such record
        f"/monitoring/sdv/forms/VS/{rec.id}/fields/",  # no field named
        "/monitoring/sdv/visits/999999",
    ):
        assert verify(auth, subject, path).status_code == 404, path
    assert db.session.query(SdvMark).count() == 0


def test_a_draft_is_not_verified(client, auth, users, app):
    subject = enrolled(users["investigator"], cbc=False, completing=False)
    rec = record_of(subject)
    as_monitor(auth)
    got = verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}")
    assert got.status_code == 302
    html = client.get(page(subject)).get_data(as_text=True)
    assert "A draft cannot be verified" in html
    assert "sdv-verify-VS" not in html
    got = verify(auth, subject, f"/monitoring/sdv/visits/{rec.visit_id}")
    assert "No complete form of this visit" in client.get(page(subject)).get_data(as_text=True)
    assert db.session.query(SdvMark).count() == 0


def _statements(client) -> int:
    return page_statements(client, "/monitoring/sdv/")


def test_the_dashboard_query_count_does_not_grow_with_subjects(client, auth, users, subject):
    as_monitor(auth)
    rec = record_of(subject)
    verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}/fields/weight")
    with_one = _statements(client)
    later = date(2026, 4, 6)  # run-in subjects start one at a time
    freeze_clock(datetime(2026, 4, 5, 1, 0, tzinfo=UTC))
    other = factories.make_enrolled(users["investigator"], later, screened=date(2026, 4, 5))
    freeze_clock(datetime(2026, 4, 6, 6, 0, tzinfo=UTC))
    save_vitals(users["investigator"], other, on=later)
    with acting_as(users["monitor"]):
        services.verify_field(users["monitor"], "VS", record_of(other).id, "weight")
    db.session.commit()
    freeze_clock(datetime(2026, 3, 2, 6, 1, tzinfo=UTC))  # the monitor's session stays fresh
    assert len(progress.progress().subjects) == 2
    assert _statements(client) == with_one


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"full": ["VS", "NOPE"]}, r"monitoring.sdv.full: \['NOPE'\] are forms of no visit"),
        ({"full": ["VS", "VS"]}, r"monitoring.sdv.full entry"),
        ({"full": ["VS"], "typo": 1}, r"monitoring.sdv: unknown key\(s\) typo"),
    ],
)
def test_the_protocol_file_refuses_a_bad_sdv_plan(plan, message):
    import copy
    import tomllib

    from studyapp.protocol.loader import DEFAULT_PATH, get_protocol, protocol_from_dict

    with DEFAULT_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    assert protocol_from_dict(copy.deepcopy(data)).sdv_full == get_protocol().sdv_full
    data["monitoring"]["sdv"] = plan
    with pytest.raises(ValueError, match=message):
        protocol_from_dict(data)


@pytest.mark.both_engines
def test_two_monitors_verifying_one_field_at_once_store_one_mark(
    client, auth, users, subject, monkeypatch
):
    """The race: both requests found the field unverified before either committed. The
    database keeps one active mark per field; the later request answers 409, never a 500."""
    as_monitor(auth)
    rec = record_of(subject)
    with acting_as(users["monitor"]):
        services.verify_field(users["monitor"], "VS", rec.id, "weight")
    db.session.commit()
    monkeypatch.setattr(services, "_done", lambda _subject_id: set())  # the stale read
    got = verify(auth, subject, f"/monitoring/sdv/forms/VS/{rec.id}/fields/weight")
    assert got.status_code == 409
    assert "at the same moment" in got.get_data(as_text=True)
    db.session.expire_all()
    assert len([m for m in marks(subject).values() if m.field == "weight"]) == 1
    assert services.verify_field(users["monitor"], "VS", rec.id, "pulse") == 1  # others still
