"""The visit calendar, the visit page and the vital signs form in the test client."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.transaction import transaction
from studyapp.visits.models import Visit, VitalSigns
from tests import factories
from tests.factories import csrf_token

DAY1 = date(2026, 3, 2)


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15
    return subject


def post(client, path, data):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_overview_shows_calendar_and_opens_the_due_visit(client, users, auth, subject):
    auth.login("inv.user")
    page = client.get(f"/subjects/{subject.id}/visits")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert 'data-testid="calendar"' in html
    assert "<svg" in html
    due = client.get(f"/subjects/{subject.id}/visits/due")
    assert due.headers["Location"].endswith(f"/subjects/{subject.id}/visits/3")


@pytest.mark.req("P11-05", "GCP-02", "REL-01")
def test_vitals_saved_edited_with_reason_and_audited(client, users, auth, subject):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/3/vitals"
    data = {
        "visit_date": "2026-03-16",
        "vs_date": "2026-03-16",
        "vs_time": "09:10",
        "weight": "58.3",
        "sysbp": "118",
        "diabp": "76",
        "pulse": "72",
        "temp": "36.6",
        "action": "save",
    }
    saved = post(client, path, data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    record = db.session.scalar(select(VitalSigns))
    assert record.weight_unit == "kg"
    assert record.status == "complete"
    again = post(client, path, {**data, "weight": "59.0", "version": str(record.version)})
    assert again.status_code == 422
    assert "Give a reason for this change." in again.get_data(as_text=True)
    edited = post(
        client,
        path,
        {**data, "weight": "59.0", "version": str(record.version), "reason": "transcription"},
    )
    assert edited.status_code == 302
    row = db.session.scalar(
        select(AuditLog)
        .where(AuditLog.table_name == "vital_signs", AuditLog.field == "weight")
        .order_by(AuditLog.seq.desc())
    )
    assert (row.old_value, row.new_value, row.reason) == ("58.3", "59.0", "transcription")
    stale = post(client, path, {**data, "weight": "60", "version": "1", "reason": "x"})
    assert stale.status_code == 409
    visit = db.session.scalar(select(Visit))
    assert visit.visit_date == date(2026, 3, 16)


def _statuses(subject, today):
    from studyapp.visits.schedule import service as schedule

    return {r.code: r.status for r in schedule.calendar(subject, today)}


def test_statuses_on_fixed_dates(app, users, subject):
    from studyapp.audit.context import acting_as
    from studyapp.visits.schedule import service as schedule

    inv = users["investigator"]
    assert _statuses(subject, date(2026, 3, 2))["D1"] == "due"
    assert _statuses(subject, date(2026, 3, 2))["D8"] == "upcoming"
    assert _statuses(subject, date(2026, 3, 8))["D8"] == "due"  # window opens Day 7
    assert _statuses(subject, date(2026, 3, 10))["D8"] == "due"  # window closes Day 9
    assert _statuses(subject, date(2026, 3, 11))["D8"] == "overdue"
    with acting_as(inv), transaction():
        schedule.record_visit_date(inv, subject.id, "1", date(2026, 3, 2))
        schedule.record_visit_date(inv, subject.id, "2", date(2026, 3, 11))  # Day 10
        schedule.mark_not_done(inv_or_crc(users), subject.id, "3", "patient hospitalised elsewhere")
    on = date(2026, 3, 16)
    statuses = _statuses(subject, on)
    assert statuses["D1"] == "done"
    assert statuses["D8"] == "done_out_of_window"
    assert statuses["D15"] == "missed"
    assert statuses["D22"] == "upcoming"
    assert statuses["EOS"] == "upcoming"


def inv_or_crc(users):
    return users["coordinator"]


def test_not_done_needs_a_reason_and_refuses_a_dated_visit(client, users, auth, subject):
    auth.login("crc.user")
    page = f"/subjects/{subject.id}/visits/4"
    token = csrf_token(client.get(page).get_data(as_text=True))
    empty = client.post(page + "/not-done", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422
    assert "Give the reason the visit was not done." in empty.get_data(as_text=True)
    done = client.post(page + "/not-done", data={"csrf_token": token, "reason": "travel"})
    assert done.status_code == 302
    visit = db.session.scalar(select(Visit).where(Visit.visitnum == "4"))
    assert visit.not_done
    assert visit.not_done_reason == "travel"
    logged = db.session.scalar(
        select(AuditLog).where(AuditLog.table_name == "visit", AuditLog.field == "not_done")
    )
    assert logged.reason == "visit not done: travel"
    shown = client.get(page).get_data(as_text=True)
    assert "Declared not done: travel" in shown
    undo = client.post(page + "/undo-not-done", data={"csrf_token": token, "reason": "came late"})
    assert undo.status_code == 302
    db.session.refresh(visit)
    dated = client.post(
        page,
        data={"csrf_token": token, "visit_date": "2026-03-16", "version": str(visit.version)},
    )
    assert dated.status_code == 302
    again = client.post(page + "/not-done", data={"csrf_token": token, "reason": "x"})
    assert again.status_code == 409
    assert "This visit has data" in again.get_data(as_text=True)


def test_visit_date_checks(client, users, auth, subject):
    auth.login("inv.user")
    page = f"/subjects/{subject.id}/visits/3"
    token = csrf_token(client.get(page).get_data(as_text=True))
    for bad, message in (
        ("2026-03-17", "The visit date cannot be in the future."),
        ("2026-02-30", "2026-02-30 is not a date of the calendar."),
        ("16/03/2026", "Type the date as YYYY-MM-DD"),
        ("", "Give the visit date."),
    ):
        response = client.post(page, data={"csrf_token": token, "visit_date": bad})
        assert response.status_code == 422, bad
        html = response.get_data(as_text=True)
        assert message in html, bad
        assert f'value="{bad}"' in html or not bad
    ok = client.post(page, data={"csrf_token": token, "visit_date": "2026-03-16"})
    assert ok.status_code == 302
    visit = db.session.scalar(select(Visit).where(Visit.visitnum == "3"))
    change = client.post(
        page,
        data={"csrf_token": token, "visit_date": "2026-03-15", "version": str(visit.version)},
    )
    assert change.status_code == 422
    assert "Give a reason for this change." in change.get_data(as_text=True)


def test_unscheduled_visit_numbered_after_the_previous_planned_visit(client, users, auth, subject):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/unscheduled"
    token = csrf_token(client.get(path).get_data(as_text=True))
    missing = client.post(path, data={"csrf_token": token, "on": "2026-03-12", "reason": ""})
    assert missing.status_code == 422
    for expected in ("2.01", "2.02"):
        response = client.post(
            path, data={"csrf_token": token, "on": "2026-03-12", "reason": "bruising"}
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/visits/{expected}")
    calendar_page = client.get(f"/subjects/{subject.id}/visits").get_data(as_text=True)
    assert "2.01" in calendar_page
    assert "Unscheduled" in calendar_page


def test_tracker_counts_and_filters(client, users, auth, subject):
    from studyapp.audit.context import acting_as
    from studyapp.visits.schedule import service as schedule

    inv = users["investigator"]
    with acting_as(inv), transaction():
        schedule.record_visit_date(inv, subject.id, "1", date(2026, 3, 2))
    # Day 15 (2026-03-16): D8 overdue since 03-10 (this week), D15 due.
    auth.login("crc.user")
    page = client.get("/visits/tracker")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-count="overdue">1<' in html
    assert 'data-count="due">1<' in html
    assert 'data-count="overdue_week">1<' in html
    assert "overdue" in html
    assert "vstatus-overdue" in html
    week = client.get("/visits/tracker?show=overdue_week").get_data(as_text=True)
    assert 'data-subject="ITP-001"' in week
    assert week.count("vstatus-") >= 1
    assert "vstatus-due" not in week.split("<tbody>")[1]
    out = client.get("/visits/tracker?show=out_of_window").get_data(as_text=True)
    assert "No visits match." in out
    assert client.get("/visits/tracker?show=<script>").status_code == 400
    freeze_clock(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))  # 3 weeks later
    assert client.get("/visits/tracker").status_code == 302  # the idle session timed out
    auth.login("crc.user")
    later = client.get("/visits/tracker?show=overdue_week").get_data(as_text=True)
    assert 'data-subject="ITP-001"' in later  # D22 closed 03-24: within the week
    assert "vstatus-overdue" in later


@pytest.mark.req("P11-09")
def test_monitor_reads_but_cannot_date_a_visit(client, users, auth, subject):
    auth.login("mon.user")
    page = f"/subjects/{subject.id}/visits/3"
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="visit-date-form"' not in html
    token = csrf_token(client.get("/visits/tracker").get_data(as_text=True))
    refused = client.post(page, data={"csrf_token": token, "visit_date": "2026-03-16"})
    assert refused.status_code == 403


@pytest.mark.req("P11-08")
def test_a_draft_is_completed_without_a_reason_and_required_fields_are_checked(
    client, users, auth, subject
):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/3/vitals"
    draft = {"visit_date": "2026-03-16", "vs_date": "2026-03-16", "weight": "58.3"}
    saved = post(client, path, {**draft, "action": "draft"})
    assert saved.status_code == 302
    record = db.session.scalar(select(VitalSigns))
    assert record.status == "in_progress"
    refused = post(client, path, {**draft, "version": str(record.version), "action": "save"})
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count("Required to complete this form.") == 4
    complete = {**draft, "sysbp": "120", "diabp": "80", "pulse": "70", "temp": "36.9"}
    done = post(client, path, {**complete, "version": str(record.version), "action": "save"})
    assert done.status_code == 302
    db.session.refresh(record)
    assert record.status == "complete"
    status_row = db.session.scalar(
        select(AuditLog)
        .where(AuditLog.table_name == "vital_signs", AuditLog.field == "status")
        .order_by(AuditLog.seq.desc())
    )
    assert (status_row.old_value, status_row.new_value) == ("in_progress", "complete")
    assert status_row.reason is None


def test_plausibility_warning_needs_confirmation_which_is_audited(client, users, auth, subject):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/3/vitals"
    data = {
        "visit_date": "2026-03-16",
        "vs_date": "2026-03-16",
        "weight": "158.0",
        "sysbp": "118",
        "diabp": "76",
        "pulse": "72",
        "temp": "36.6",
    }
    warned = post(client, path, data)
    assert warned.status_code == 422
    html = warned.get_data(as_text=True)
    assert "Unusual value: outside 35 to 150 kg." in html
    assert 'data-testid="confirm-box"' in html
    assert 'value="158.0"' in html
    assert db.session.scalar(select(VitalSigns)) is None
    hard = post(client, path, {**data, "weight": "400"})
    assert "Must be between 20 and 300 kg." in hard.get_data(as_text=True)
    bp = post(client, path, {**data, "weight": "58", "diabp": "130"})
    assert "Diastolic pressure must be below systolic pressure." in bp.get_data(as_text=True)
    confirmed = post(client, path, {**data, "confirm": "y"})
    assert confirmed.status_code == 302
    record = db.session.scalar(select(VitalSigns))
    assert record.confirmed_warnings.startswith("weight: Unusual value")
    logged = db.session.scalar(
        select(AuditLog).where(
            AuditLog.table_name == "vital_signs", AuditLog.field == "confirmed_warnings"
        )
    )
    assert "Unusual value" in logged.new_value


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("weight", "abc", "Weight (kg): not a number. Enter a number, e.g. 58.3."),
        ("weight", "1e999", "Enter a number, e.g. 58.3."),
        ("weight", "NaN", "Enter a number, e.g. 58.3."),
        ("weight", "99999999999", "Out of range."),
        ("pulse", "7.5", "Heart rate (beats/min): not a whole number. Enter a whole number."),
        ("pulse", "99999999999999999999", "The number is too large."),
        ("vs_date", "2026-02-30", "2026-02-30 is not a date of the calendar."),
        ("vs_time", "25:99", "Not a valid time value."),
    ],
)
def test_bad_input_gets_a_field_message_and_keeps_what_was_typed(
    client, users, auth, subject, field, typed, message
):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/3/vitals"
    response = post(client, path, {"visit_date": "2026-03-16", field: typed})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{typed}"' in html
    assert 'type="number"' not in html  # a browser would drop the letters of a number box


@pytest.mark.req("SEC-10")
def test_html_typed_in_a_reason_comes_back_escaped(client, users, auth, subject):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/4"
    token = csrf_token(client.get(path).get_data(as_text=True))
    auth.logout()
    auth.login("crc.user")
    token = csrf_token(client.get(path).get_data(as_text=True))
    hostile = "<script>alert(1)</script>"
    client.post(path + "/not-done", data={"csrf_token": token, "reason": hostile})
    html = client.get(path).get_data(as_text=True)
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.req("GCP-01")
def test_a_form_entered_days_after_the_visit_is_flagged_late(client, users, auth, subject):
    from studyapp.audit.context import acting_as
    from studyapp.visits.schedule import service as schedule

    inv = users["investigator"]
    with acting_as(inv), transaction():
        schedule.record_visit_date(inv, subject.id, "2", date(2026, 3, 9))
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/2/vitals"
    data = {
        "vs_date": "2026-03-09",
        "weight": "58.3",
        "sysbp": "118",
        "diabp": "76",
        "pulse": "72",
        "temp": "36.6",
    }
    assert post(client, path, data).status_code == 302  # entered on Day 15, 7 days later
    page = client.get(f"/subjects/{subject.id}/visits/2").get_data(as_text=True)
    assert 'data-testid="late-VS"' in page
    assert "entered late: 7 days after the visit" in page
    record = db.session.scalar(select(VitalSigns))
    assert record.vs_date == date(2026, 3, 9)  # the clinical date stays as entered
    with acting_as(inv), transaction():
        schedule.record_visit_date(inv, subject.id, "3", date(2026, 3, 16))
    on_time = post(
        client, f"/subjects/{subject.id}/visits/3/vitals", {**data, "vs_date": "2026-03-16"}
    )
    assert on_time.status_code == 302
    assert "late-VS" not in client.get(f"/subjects/{subject.id}/visits/3").get_data(as_text=True)


@pytest.mark.req("GCP-07")
def test_clinical_dates_follow_the_site_calendar_not_utc(client, users, auth, subject):
    # 07:30 in Shanghai on 2026-03-17 is still 2026-03-16 in UTC: the site's today is the 17th.
    freeze_clock(datetime(2026, 3, 16, 23, 30, tzinfo=UTC))
    auth.login("inv.user")
    page = f"/subjects/{subject.id}/visits/3"
    token = csrf_token(client.get(page).get_data(as_text=True))
    response = client.post(page, data={"csrf_token": token, "visit_date": "2026-03-17"})
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit).where(Visit.visitnum == "3"))
    assert visit.visit_date == date(2026, 3, 17)
    future = client.post(
        f"/subjects/{subject.id}/visits/unscheduled",
        data={"csrf_token": token, "on": "2026-03-18", "reason": "bruising"},
    )
    assert "The visit date cannot be in the future." in future.get_data(as_text=True)


def test_home_lists_the_due_and_overdue_visits(client, users, auth, subject):
    # Day 15: Dose 2 (window closed Day 9) is overdue, Dose 3 is due.
    auth.login("crc.user")
    card = client.get("/").get_data(as_text=True).split('data-testid="visits-due"')[1]
    card = card.split("</div>")[0]
    assert "ITP-001 · Dose 2" in card
    assert "ITP-001 · Dose 3" in card
    assert card.index("Dose 2") < card.index("Dose 3")  # the oldest window first
    assert f'href="/subjects/{subject.id}/visits/3"' in card


def test_a_subject_without_day1_has_no_visits_yet(client, users, auth):
    candidate = factories.screen_subject(users["coordinator"])
    auth.login("inv.user")
    for path in (f"/subjects/{candidate.id}/visits", f"/subjects/{candidate.id}/visits/due"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/subjects/{candidate.id}")
    assert client.get(f"/subjects/{candidate.id}/visits/1").status_code == 409
