"""The bleeding assessment form: WHO grade, ITP-BAT items, SMOG, checks, edits and audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.visits.models import BleedingAssessment, BleedingItem
from tests import factories
from tests.factories import csrf_token

DAY1 = date(2026, 3, 2)


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15, visit 3 (window 15-17 Mar)
    return subject


@pytest.fixture
def path(subject):
    return f"/subjects/{subject.id}/visits/3/bleeding"


def post(client, path, data):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def items(**grades):
    """Every protocol item at grade 0 unless given."""
    return {f"item_{i.code}": str(grades.get(i.code, 0)) for i in get_protocol().bleeding.items}


def form(**extra):
    return {
        "visit_date": "2026-03-16",
        "assessed_date": "2026-03-16",
        "who_grade": "1",
        **items(PETECHIAE=1),
        "action": "save",
        **extra,
    }


def record():
    db.session.expire_all()
    return db.session.scalar(select(BleedingAssessment))


def test_page_shows_who_wording_and_items_grouped(client, auth, path):
    auth.login("inv.user")
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    scale = get_protocol().bleeding
    for text in scale.who_grades:
        assert text.replace(">", "&gt;").replace("<", "&lt;") in html
    for item in scale.items:
        assert f'name="item_{item.code}"' in html
    for heading in ("Skin (S)", "Visible mucosae (M)", "Organs (O)"):
        assert heading in html


def test_save_stores_items_and_computes_smog(client, auth, path):
    auth.login("inv.user")
    saved = post(client, path, form(**items(PETECHIAE=1, GI=2)))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert saved.headers["Location"].endswith("/visits/3")
    row = record()
    assert (row.who_grade, row.status, row.assessed_date) == (1, "complete", date(2026, 3, 16))
    assert (row.skin_grade, row.mucosa_grade, row.organ_grade, row.smog) == (1, 0, 2, "S1M0O2")
    stored = db.session.scalars(select(BleedingItem).where(BleedingItem.assessment_id == row.id))
    grades = {i.item: i.grade for i in stored}
    assert len(grades) == len(get_protocol().bleeding.items)
    assert grades["PETECHIAE"] == 1
    assert grades["GI"] == 2
    assert grades["EPISTAXIS"] == 0
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="smog"' in page
    assert "S1M0O2" in page
    assert '<option selected value="2">2</option>' in page  # GI shows its stored grade


def test_item_edit_needs_reason_moves_version_and_is_audited(client, auth, path):
    auth.login("inv.user")
    assert post(client, path, form()).status_code == 302
    first = record().version
    changed = form(**items(PETECHIAE=1, EPISTAXIS=2), version=str(first))
    refused = post(client, path, changed)
    assert refused.status_code == 422
    assert "Give a reason for this change." in refused.get_data(as_text=True)
    assert record().smog == "S1M0O0"
    edited = post(client, path, {**changed, "reason": "nosebleed reported late"})
    assert edited.status_code == 302, edited.get_data(as_text=True)
    row = record()
    assert row.smog == "S1M2O0"
    assert row.version > first
    audit = db.session.scalar(
        select(AuditLog).where(AuditLog.table_name == "bleeding_item", AuditLog.action == "update")
    )
    assert (audit.field, audit.old_value, audit.new_value, audit.reason) == (
        "grade",
        "0",
        "2",
        "nosebleed reported late",
    )
    smog = db.session.scalar(
        select(AuditLog)
        .where(AuditLog.table_name == "bleeding_assessment", AuditLog.field == "smog")
        .order_by(AuditLog.seq.desc())
    )
    assert (smog.old_value, smog.new_value) == ("S1M0O0", "S1M2O0")


def test_unchanged_items_keep_the_version(client, auth, path):
    auth.login("inv.user")
    assert post(client, path, form()).status_code == 302
    version = record().version
    again = post(client, path, form(version=str(version)))
    assert again.status_code == 302
    assert record().version == version


def test_stale_version_answers_409_with_stored_grades(client, auth, path):
    auth.login("inv.user")
    assert post(client, path, form()).status_code == 302
    old = record().version
    other = form(**items(PETECHIAE=2), version=str(old), reason="other user")
    assert post(client, path, other).status_code == 302
    mine = post(client, path, form(**items(GUM=1), version=str(old), reason="mine"))
    assert mine.status_code == 409
    html = mine.get_data(as_text=True)
    assert 'data-testid="conflict"' in html
    assert "Petechiae" in html
    assert record().smog == "S2M0O0"


@pytest.mark.parametrize(
    ("who", "grades", "message"),
    [
        ("0", {"ECCHYMOSES": 1}, "WHO grade 0 (no bleeding), but ITP-BAT items record bleeding"),
        ("2", {}, "WHO grade 2, but every ITP-BAT item is 0"),
    ],
)
def test_who_and_items_disagree_needs_confirmation(client, auth, path, who, grades, message):
    auth.login("inv.user")
    data = form(who_grade=who, **items(**grades))
    asked = post(client, path, data)
    assert asked.status_code == 422
    html = asked.get_data(as_text=True)
    assert message in html
    assert 'data-testid="confirm-box"' in html
    assert record() is None
    confirmed = post(client, path, {**data, "confirm": "y"})
    assert confirmed.status_code == 302
    assert message in record().confirmed_warnings


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (items(PETECHIAE=7), "item_PETECHIAE", "Choose a grade from 0 to 2."),
        (items(GI=-1), "item_GI", "Choose a grade from 0 to 5."),
        (items(GI="abc"), "item_GI", "Invalid Choice"),
        ({"who_grade": "9"}, "who_grade", "Choose a WHO grade from 0 to 4."),
        ({"who_grade": "x<b>"}, "who_grade", "Invalid Choice"),
        ({"who_grade": ""}, "who_grade", "Invalid Choice"),
        ({"assessed_date": "2026-02-30"}, "assessed_date", "is not a date of the calendar"),
        ({"assessed_date": "16/03/2026"}, "assessed_date", "Type the date as YYYY-MM-DD"),
        ({"assessed_date": "2026-03-17"}, "assessed_date", "cannot be in the future"),
    ],
)
def test_bad_input_gets_a_field_message(client, auth, path, change, field, message):
    auth.login("inv.user")
    answer = post(client, path, form(**change))
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert record() is None


def test_required_when_completing_but_not_for_a_draft(client, auth, path):
    auth.login("inv.user")
    data = form()
    del data["who_grade"]
    refused = post(client, path, {**data, "assessed_date": ""})
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count("Required to complete this form.") == 2
    draft = post(client, path, {**data, "assessed_date": "", "action": "draft"})
    assert draft.status_code == 302
    row = record()
    assert (row.status, row.who_grade, row.smog) == ("in_progress", None, "S1M0O0")


def test_date_outside_the_window_needs_confirmation(client, auth, path):
    auth.login("inv.user")
    data = form(assessed_date="2026-03-12")
    asked = post(client, path, data)
    assert asked.status_code == 422
    assert "outside the visit window 2026-03-15 to 2026-03-17" in asked.get_data(as_text=True)
    assert post(client, path, {**data, "confirm": "y"}).status_code == 302
    assert "outside the visit window" in record().confirmed_warnings


def test_monitor_reads_but_cannot_save(client, auth, path):
    auth.login("inv.user")
    assert post(client, path, form()).status_code == 302
    auth.logout()
    auth.login("mon.user")
    page = client.get(path)
    assert page.status_code == 200
    assert "S1M0O0" in page.get_data(as_text=True)
    version = record().version
    refused = post(client, path, form(**items(GI=3), version=str(version), reason="x"))
    assert refused.status_code == 403
    assert record().smog == "S1M0O0"
    count = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.reason == "x")
    )
    assert count == 0
