"""Concomitant medications and rescue therapy: the list, add, edit, remove, checks, audit,
and the rescue therapy's effect on the response shown on the subject page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.visits.models import (
    BleedingAssessment,
    LabPanel,
    LabResult,
    Medication,
    Visit,
)
from tests import factories
from tests.factories import csrf_token

DAY1 = date(2026, 3, 2)


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15, visit 3
    return subject


@pytest.fixture
def path(subject):
    return f"/subjects/{subject.id}/visits/3/medications"


def post(client, path, data, page=None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def drug(**extra):
    return {
        "visit_date": "2026-03-16",
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
        **extra,
    }


def rescue(**extra):
    return drug(
        **{
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
            **extra,
        }
    )


def stored():
    db.session.expire_all()
    return list(db.session.scalars(select(Medication).order_by(Medication.id)))


def test_add_concomitant_medication_listed_with_its_visit(client, auth, path):
    auth.login("inv.user")
    saved = post(client, path, drug())
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert saved.headers["Location"].endswith(path)
    [med] = stored()
    visit = db.session.get(Visit, med.visit_id)
    assert (visit.visitnum, visit.visit_date) == ("3", date(2026, 3, 16))
    assert (med.category, med.rescue_type, med.trt, med.dose, med.dose_unit) == (
        "CONCOMITANT",
        None,
        "Omeprazole",
        Decimal(20),
        "mg",
    )
    assert (med.start_date, med.end_date, med.ongoing, med.status) == (
        "2026-02",
        None,
        True,
        "complete",
    )
    html = client.get(path).get_data(as_text=True)
    for text in ("Omeprazole", "20 mg", "oral", "2026-02", "ongoing", "gastric protection"):
        assert text in html
    assert ">Dose 3</a>" in html  # the visit where it was recorded


def test_rescue_therapy_listed_with_its_label(client, auth, path):
    auth.login("inv.user")
    assert post(client, path, rescue()).status_code == 302
    [med] = stored()
    assert (med.category, med.rescue_type, med.start_date) == ("RESCUE", "IVIG", "2026-03-14")
    html = client.get(path).get_data(as_text=True)
    assert "rescue therapy" in html
    assert "IVIG" in html
    assert "1 g/kg" in html


def test_save_and_next_leaves_the_list(client, auth, path, subject):
    auth.login("inv.user")
    saved = post(client, path, drug(action="next"))
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/subjects/{subject.id}/visits/3")


def test_draft_skips_required_checks(client, auth, path):
    auth.login("inv.user")
    data = drug(start_date="", ongoing="", action="draft", category="RESCUE", trt="Prednisone")
    saved = post(client, path, data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    [med] = stored()
    assert (med.status, med.start_date, med.rescue_type) == ("in_progress", None, None)


ERRORS = [
    ({"trt": ""}, "trt", "Give the drug name."),
    ({"trt": "x" * 201}, "trt", "Field cannot be longer than 200 characters."),
    ({"dose": "abc"}, "dose", "Enter a number, e.g. 58.3."),
    ({"dose": "1e3"}, "dose", "Enter a number, e.g. 58.3."),
    ({"dose": "NaN"}, "dose", "Enter a number, e.g. 58.3."),
    ({"dose": "99999999999"}, "dose", "Out of range."),
    ({"dose": "10000000"}, "dose", "The dose must be less than 10,000,000."),
    ({"dose": "0"}, "dose", "The dose must be more than 0."),
    ({"dose": "1.23456"}, "dose", "At most 3 decimal places."),
    ({"dose_unit": ""}, "dose_unit", "Give the unit of the dose."),
    ({"dose": ""}, "dose", "Give the dose in this unit, or clear the unit."),
    ({"start_date": "2026-02-30"}, "start_date", "2026-02-30 is not a date"),
    ({"start_date": "2026-13"}, "start_date", "2026-13 is not a date"),
    ({"start_date": "March 2026"}, "start_date", "use YYYY, YYYY-MM, YYYY-MM-DD or YYYY---DD"),
    ({"start_date": "2026-03-17"}, "start_date", "The date cannot be in the future."),
    ({"start_date": ""}, "start_date", "Required to complete this form."),
    ({"end_date": "2026-01", "ongoing": ""}, "end_date", "The end date is before the start date."),
    ({"end_date": "2026-03-01"}, "end_date", "An ongoing medication has no end date"),
    ({"ongoing": ""}, "end_date", "Give the end date, or tick Ongoing."),
    ({"category": "PRIOR"}, "category", "Choose a category from the list."),
    ({"route": "NASAL<b>"}, "route", "Choose a route from the list."),
    ({"rescue_type": "IVIG"}, "rescue_type", "Only a rescue therapy has a rescue type"),
    ({"indication": "call 13912345678"}, "indication", "Do not enter ID-card or phone numbers"),
]


@pytest.mark.parametrize(("change", "field", "message"), ERRORS)
def test_bad_input_gets_a_field_message(client, auth, path, change, field, message):
    auth.login("inv.user")
    answer = post(client, path, drug(**change))
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert stored() == []
    for name, value in change.items():
        if value and name not in ("category", "route", "rescue_type"):
            assert f'value="{value}"' in html.replace("&lt;", "<").replace("&gt;", ">")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"rescue_type": ""}, "rescue_type", "Required to complete this form."),
        ({"rescue_type": "PLASMA"}, "rescue_type", "Choose a rescue therapy from the list."),
        ({"start_date": "2026-03"}, "start_date", "A rescue therapy needs its full start date"),
        ({"start_date": "2026"}, "start_date", "A rescue therapy needs its full start date"),
        ({"end_date": "2026-03-13"}, "end_date", "The end date is before the start date."),
    ],
)
def test_rescue_therapy_checks(client, auth, path, change, field, message):
    auth.login("inv.user")
    answer = post(client, path, rescue(**change))
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert stored() == []


def test_end_date_compared_on_the_precision_both_have(client, auth, path):
    auth.login("inv.user")
    same_month = drug(start_date="2026-02-20", end_date="2026-02", ongoing="")
    assert post(client, path, same_month).status_code == 302
    assert stored()[0].end_date == "2026-02"


def test_rescue_before_day1_needs_confirmation(client, auth, path):
    auth.login("inv.user")
    data = rescue(start_date="2026-02-27", end_date="2026-02-28")
    asked = post(client, path, data)
    assert asked.status_code == 422
    html = asked.get_data(as_text=True)
    assert "started before Day 1 (2026-03-02)" in html
    assert 'data-testid="confirm-box"' in html
    assert post(client, path, {**data, "confirm": "y"}).status_code == 302
    assert "started before Day 1" in stored()[0].confirmed_warnings


def test_html_in_the_drug_name_comes_back_escaped(client, auth, path):
    auth.login("inv.user")
    name = "<script>alert(1)</script>"
    assert post(client, path, drug(trt=name)).status_code == 302
    assert stored()[0].trt == name
    html = client.get(path).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    refused = post(client, path, drug(trt=name, dose="abc"))
    assert refused.status_code == 422
    assert "<script>alert(1)</script>" not in refused.get_data(as_text=True)


def test_edit_needs_reason_is_audited_and_stale_is_409(client, auth, path, subject):
    auth.login("inv.user")
    assert post(client, path, drug()).status_code == 302
    [med] = stored()
    edit = f"/subjects/{subject.id}/medications/{med.id}"
    page = client.get(edit)
    assert page.status_code == 200
    assert 'value="20"' in page.get_data(as_text=True)  # not the column's 20.000
    change = drug(dose="40", version=str(med.version))
    refused = post(client, edit, change)
    assert refused.status_code == 422
    assert "Give a reason for this change." in refused.get_data(as_text=True)
    edited = post(client, edit, {**change, "reason": "dose doubled on 1 March"})
    assert edited.status_code == 302, edited.get_data(as_text=True)
    assert edited.headers["Location"].endswith(path)
    [med] = stored()
    assert med.dose == Decimal(40)
    assert med.version == 2
    row = db.session.scalar(
        select(AuditLog)
        .where(AuditLog.table_name == "medication", AuditLog.field == "dose")
        .order_by(AuditLog.seq.desc())
    )
    assert row.action == "update"
    assert row.reason == "dose doubled on 1 March"
    assert (Decimal(row.old_value), Decimal(row.new_value)) == (Decimal(20), Decimal(40))
    stale = post(client, edit, {**change, "dose": "60", "version": "1", "reason": "late"})
    assert stale.status_code == 409
    assert 'data-testid="conflict"' in stale.get_data(as_text=True)
    assert stored()[0].dose == Decimal(40)


def test_edit_applies_the_same_checks(client, auth, path, subject):
    auth.login("inv.user")
    assert post(client, path, rescue()).status_code == 302
    [med] = stored()
    edit = f"/subjects/{subject.id}/medications/{med.id}"
    answer = post(client, edit, rescue(start_date="2026-03", version="1", reason="month only"))
    assert answer.status_code == 422
    assert "A rescue therapy needs its full start date" in answer.get_data(as_text=True)
    assert stored()[0].start_date == "2026-03-14"


def test_remove_needs_a_reason_and_is_audited(client, auth, path, subject):
    auth.login("inv.user")
    assert post(client, path, drug()).status_code == 302
    [med] = stored()
    edit = f"/subjects/{subject.id}/medications/{med.id}"
    remove = edit + "/remove"
    token = csrf_token(client.get(edit).get_data(as_text=True))
    refused = client.post(
        remove, data={"csrf_token": token, "rm-csrf_token": token, "rm-version": "1"}
    )
    assert refused.status_code == 422
    assert "Give a reason for removing this medication." in refused.get_data(as_text=True)
    stale = client.post(
        remove,
        data={"csrf_token": token, "rm-csrf_token": token, "rm-version": "7", "rm-reason": "x"},
    )
    assert stale.status_code == 409
    done = client.post(
        remove,
        data={
            "csrf_token": token,
            "rm-csrf_token": token,
            "rm-version": "1",
            "rm-reason": "entered for the wrong subject",
        },
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(path)
    [med] = stored()
    assert med.deleted_at is not None
    assert med.delete_reason == "entered for the wrong subject"
    row = db.session.scalar(
        select(AuditLog).where(AuditLog.table_name == "medication", AuditLog.action == "delete")
    )
    assert row.reason == "entered for the wrong subject"
    assert "Omeprazole" not in client.get(path).get_data(as_text=True)
    assert client.get(edit).status_code == 404


def test_monitor_reads_but_cannot_write(client, auth, path, subject):
    auth.login("inv.user")
    assert post(client, path, drug()).status_code == 302
    [med] = stored()
    auth.logout()
    auth.login("mon.user")
    edit = f"/subjects/{subject.id}/medications/{med.id}"
    listed = client.get(path)
    assert listed.status_code == 200
    assert "Omeprazole" in listed.get_data(as_text=True)
    assert 'data-testid="medication-form"' not in listed.get_data(as_text=True)
    assert client.get(edit).status_code == 200
    token = csrf_token(client.get(edit).get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token, **drug()}).status_code == 403
    change = {"csrf_token": token, **drug(dose="40", version="1", reason="x")}
    assert client.post(edit, data=change).status_code == 403
    gone = {"csrf_token": token, "rm-csrf_token": token, "rm-version": "1", "rm-reason": "x"}
    assert client.post(edit + "/remove", data=gone).status_code == 403
    [med] = stored()
    assert (med.dose, med.deleted_at) == (Decimal(20), None)


def test_other_subjects_medication_is_404(client, auth, subject):
    auth.login("inv.user")
    assert client.get(f"/subjects/{subject.id}/medications/999").status_code == 404


# --- rescue therapy and the response ------------------------------------------------------


def _count(subject, visitnum, code, day, platelets):
    on = DAY1 + timedelta(days=day - 1)
    visit = Visit(subject_id=subject.id, code=code, visitnum=visitnum, visit_date=on)
    db.session.add(visit)
    db.session.flush()
    panel = LabPanel(
        subject_id=subject.id, visit_id=visit.id, form="CBC", lb_date=on, status="complete"
    )
    db.session.add(panel)
    db.session.flush()
    db.session.add_all(
        [
            LabResult(
                subject_id=subject.id,
                visit_id=visit.id,
                panel_id=panel.id,
                testcd="PLAT",
                orres=Decimal(platelets),
                orresu="10^9/L",
                stresn=Decimal(platelets),
                stresu="10^9/L",
            ),
            BleedingAssessment(
                subject_id=subject.id,
                visit_id=visit.id,
                assessed_date=on,
                who_grade=0,
                skin_grade=0,
                mucosa_grade=0,
                organ_grade=0,
                smog="S0M0O0",
                status="complete",
            ),
        ]
    )


def test_rescue_therapy_makes_later_counts_not_evaluable(client, auth, users, subject):
    freeze_clock(datetime(2026, 3, 24, 2, 0, tzinfo=UTC))  # Day 23
    with acting_as(users["investigator"]):
        _count(subject, "1", "D1", 1, 15)  # baseline
        for visitnum, code, day in (("2", "D8", 8), ("3", "D15", 15), ("4", "D22", 22)):
            _count(subject, visitnum, code, day, 60)  # >= 30 and >= 2 x baseline
        db.session.commit()
    auth.login("inv.user")
    overview = f"/subjects/{subject.id}/visits"
    before = client.get(overview).get_data(as_text=True)
    assert 'data-testid="current-response">response (R)<' in before
    ivig = rescue(start_date="2026-03-08", end_date="2026-03-08")  # Day 7
    saved = post(client, f"/subjects/{subject.id}/visits/4/medications", ivig)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    after = client.get(overview).get_data(as_text=True)
    assert 'data-testid="current-response">no response (NR)<' in after
    assert "Rescue: IVIG" in after  # the chart's marker
