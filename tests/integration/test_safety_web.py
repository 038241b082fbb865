"""The safety pages in the browser's place: AE form, SAE page and PDF, tasks, overview, home,
permissions and bad input (messages next to the fields, typed values kept, 4xx not 500)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.safety.models import AdverseEvent, SaeReport
from studyapp.transaction import transaction
from tests import factories

DAY1 = date(2026, 3, 2)
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, Day 15


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(NOW)
    return subject


def ae(**extra):
    return {
        "aeterm": "Headache after the infusion",
        "ctcae_term": "Headache",
        "start_date": "2026-03-09",
        "end_date": "2026-03-10",
        "ongoing": "",
        "grade": "2",
        "serious": "no",
        "aware_date": "",
        "aware_time": "",
        "relatedness": "possibly",
        "expected": "",
        "aeacn": "DOSE NOT CHANGED",
        "aeout": "RECOVERED/RESOLVED",
        "treatment": "paracetamol 1 g",
        "dose_id": "",
        "action": "save",
        **extra,
    }


def serious(**extra):
    return ae(
        **{
            "aeterm": "Epistaxis needing admission",
            "ctcae_term": "Epistaxis",
            "grade": "3",
            "end_date": "",
            "ongoing": "y",
            "serious": "yes",
            "criteria": "aeshosp",
            "aware_date": "2026-03-15",
            "aware_time": "22:30",
            "relatedness": "unlikely",
            "aeout": "RECOVERING/RESOLVING",
            **extra,
        }
    )


def records():
    db.session.expire_all()
    return list(db.session.scalars(select(AdverseEvent).order_by(AdverseEvent.id)))


def new_path(subject):
    return f"/subjects/{subject.id}/adverse-events/new"


def test_record_an_ae_and_see_it_listed(client, auth, subject):
    auth.login("inv.user")
    response = auth.post(new_path(subject), ae())
    assert response.status_code == 302, response.get_data(as_text=True)
    [record] = records()
    assert (record.aedecod, record.aesoc, record.grade, record.aerel) == (
        "Headache",
        "Nervous system disorders",
        2,
        "RELATED",
    )
    html = client.get(f"/subjects/{subject.id}/adverse-events").get_data(as_text=True)
    assert "Headache after the infusion" in html
    assert "AE 1" in html


def test_the_form_shows_the_grade_definitions_of_the_term(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae())
    [record] = records()
    html = client.get(f"/subjects/{subject.id}/adverse-events/{record.id}").get_data(as_text=True)
    assert "System organ class: Nervous system disorders" in html
    assert "Moderate pain; limiting instrumental ADL" in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"grade": "6"}, "grade", "The CTCAE grade is 1 to 5."),
        ({"end_date": "2026-03-01"}, "end_date", "The end date is before the onset date."),
        ({"serious": "yes", "criteria": ""}, "serious", "at least one criterion"),
        ({"ctcae_term": "Headachy"}, "ctcae_term", "Choose a CTCAE v5.0 term from the list."),
        ({"start_date": "2026-02-30"}, "start_date", "is not a date"),
        ({"grade": "abc"}, "grade", "The CTCAE grade is 1 to 5."),
        ({"grade": "３"}, "grade", "The CTCAE grade is 1 to 5."),
        (
            {"dose_id": "99999999999"},
            "dose_id",
            "Only an infusion-related reaction names an infusion.",
        ),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field(client, auth, subject, changes, field, message):
    auth.login("inv.user")
    response = auth.post(new_path(subject), ae(**changes), page=new_path(subject))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}' in html
    assert "Headache after the infusion" in html  # typed values kept
    assert records() == []


def test_serious_ae_goes_to_its_clock_and_report(client, auth, subject):
    auth.login("inv.user")
    response = auth.post(new_path(subject), serious())
    assert response.status_code == 302, response.get_data(as_text=True)
    [record] = records()
    sae_path = f"/subjects/{subject.id}/adverse-events/{record.id}/sae"
    assert response.headers["Location"].endswith(sae_path)
    html = client.get(sae_path).get_data(as_text=True)
    assert "2026-03-16 22:30" in html  # 24 h after 22:30 on the 15th, site time
    assert "running" in html
    assert "12 h 30 min left" in html  # now is 10:00 site time on the 16th
    drafted = auth.post(
        sae_path, {"new-kind": "SAE", "new-narrative": "Admitted for nasal packing."}
    )
    assert drafted.status_code == 302
    [report] = db.session.scalars(select(SaeReport)).all()
    report_path = f"{sae_path}/reports/{report.id}"
    preview = client.get(f"{report_path}/report.pdf")
    assert preview.mimetype == "application/pdf"
    assert preview.data.startswith(b"%PDF-")
    submitted = auth.post(
        f"{report_path}/submit", {"sub-version": str(report.version)}, page=report_path
    )
    assert submitted.status_code == 302, submitted.get_data(as_text=True)
    db.session.expire_all()
    report = db.session.get(SaeReport, report.id)
    assert report.submitted_at is not None
    assert report.pdf_sha256
    html = client.get(sae_path).get_data(as_text=True)
    assert "reported on time" in html
    kept = client.get(f"{report_path}/report.pdf")
    assert kept.data == report.pdf


def test_overdue_sae_is_red_on_home_and_dashboard(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), serious(aware_time="09:30"))  # due 09:30 today, now 10:00
    home = client.get("/").get_data(as_text=True)
    assert 'class="fail" data-testid="sae-row"' in home
    assert "overdue by 0 h 30 min" in home
    auth.logout()
    auth.login("mon.user")
    dashboard = client.get("/subjects/").get_data(as_text=True)
    assert 'data-testid="overdue-saes"' in dashboard


def test_monitor_reads_but_cannot_edit(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae())
    [record] = records()
    auth.logout()
    auth.login("mon.user")
    for path in (
        f"/subjects/{subject.id}/adverse-events",
        f"/subjects/{subject.id}/adverse-events/{record.id}",
        "/safety/",
        "/safety/saes",
        "/safety/tasks",
    ):
        assert client.get(path).status_code == 200, path
    page = f"/subjects/{subject.id}/adverse-events/{record.id}"
    assert auth.post(page, ae(version=str(record.version), reason="x")).status_code == 403
    assert auth.post(new_path(subject), ae(), page=page).status_code == 403


def test_grade_change_from_the_page(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae(end_date="", ongoing="y", aeout="NOT RECOVERED/NOT RESOLVED"))
    [first] = records()
    page = f"/subjects/{subject.id}/adverse-events/{first.id}"
    response = auth.post(
        f"{page}/grade",
        {"gc-version": str(first.version), "gc-grade": "3", "gc-on": "2026-03-12"},
        page=page,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    old, new = records()
    assert (old.end_date, old.ongoing, new.grade, new.start_date) == (
        "2026-03-12",
        False,
        3,
        "2026-03-12",
    )
    assert new.episode_id == old.episode_id == old.id
    overview = client.get("/safety/?min_grade=3").get_data(as_text=True)
    assert "2 → 3" in overview


def test_ctcae_search(client, auth, subject):
    auth.login("mon.user")
    found = client.get("/safety/ctcae.json?q=infusion").get_json()
    assert found[0]["term"] == "Infusion related reaction"
    assert found[0]["soc"] == "Injury, poisoning and procedural complications"
    assert "1" in found[0]["grades"]
    assert found[0]["synonym"] is None
    nosebleed = client.get("/safety/ctcae.json?q=nosebleed").get_json()[0]
    assert (nosebleed["term"], nosebleed["synonym"]) == ("Epistaxis", "nosebleed")


def test_unknown_subject_and_ae_are_404(client, auth, subject):
    auth.login("inv.user")
    assert client.get(f"/subjects/{subject.id}/adverse-events/999").status_code == 404
    assert client.get(f"/subjects/{subject.id}/adverse-events/999/sae").status_code == 404
    assert client.get("/subjects/999/adverse-events").status_code == 404
    assert client.get("/safety/?min_grade=9&subject=abc").status_code == 200


def test_pages_have_no_server_error_for_hostile_filters(client, auth, subject):
    auth.login("inv.user")
    for query in ("term=%3Cscript%3E", "soc=" + "x" * 5000, "min_grade=-1", "subject=99999999999"):
        response = client.get(f"/safety/?{query}")
        assert response.status_code == 200
        assert "<script>" not in response.get_data(as_text=True)


def test_the_irr_link_of_a_dose_prefills_the_form(client, auth, users, subject):
    from decimal import Decimal

    from studyapp.audit import acting_as
    from studyapp.visits.models import DoseAdministration, Visit

    with acting_as(users["investigator"]):
        visit = Visit(subject_id=subject.id, code="D1", visitnum="1", visit_date=DAY1)
        db.session.add(visit)
        db.session.flush()
        dose = DoseAdministration(
            subject_id=subject.id,
            visit_id=visit.id,
            dose_number=1,
            ec_date=DAY1,
            given_dose=Decimal(930),
            status="complete",
        )
        db.session.add(dose)
        db.session.commit()
    auth.login("inv.user")
    html = client.get(f"{new_path(subject)}?dose={dose.id}").get_data(as_text=True)
    assert 'value="Infusion related reaction"' in html
    assert f'<option selected value="{dose.id}">' in html or f'value="{dose.id}" selected' in html
    assert 'value="2026-03-02"' in html


def test_a_record_ended_by_a_grade_change_can_still_be_corrected(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae(end_date="", ongoing="y", aeout="NOT RECOVERED/NOT RESOLVED"))
    [first] = records()
    page = f"/subjects/{subject.id}/adverse-events/{first.id}"
    data = {"gc-version": str(first.version), "gc-grade": "3", "gc-on": "2026-03-12"}
    auth.post(f"{page}/grade", data, page=page)
    old, _new = records()
    fixed = ae(
        aeterm="Headache (typo fixed)",
        end_date="2026-03-12",
        aeout="NOT RECOVERED/NOT RESOLVED",
        version=str(old.version),
        reason="Typo in the term",
    )
    response = auth.post(page, fixed)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert records()[0].aeterm == "Headache (typo fixed)"


def test_the_monitor_follows_an_ae_to_its_audit_trail(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae())
    [record] = records()
    auth.logout()
    auth.login("mon.user")
    html = client.get(f"/subjects/{subject.id}/adverse-events/{record.id}").get_data(as_text=True)
    assert "table_name=adverse_event" in html
    trail = client.get(
        f"/audit/?subject_id={subject.id}&table_name=adverse_event&row_id={record.id}"
    ).get_data(as_text=True)
    assert "Headache after the infusion" in trail


def neutrophils_grade_3(users, subject):
    """Neutrophils 0.8 x10^9/L at Dose 3 (Day 15): grade 3, an AE task."""
    from studyapp.visits.models import LabResult

    factories.save_cbc(users["investigator"], subject, "3", date(2026, 3, 16), NEUT="0.8")
    return db.session.scalar(select(LabResult).where(LabResult.testcd == "NEUT"))


def test_a_task_is_answered_from_its_page(client, auth, users, subject):
    lab = neutrophils_grade_3(users, subject)
    auth.login("inv.user")
    page = client.get("/safety/tasks").get_data(as_text=True)
    assert "Grade 3 Neutrophil count decreased" in page
    assert "Neutrophil count decreased" in client.get("/").get_data(as_text=True)
    path = f"/safety/tasks/{lab.id}"
    refused = auth.post(path, {f"t{lab.id}-decision": "not_ae"}, page="/safety/tasks")
    assert refused.status_code == 422
    assert "Say why this result is not an adverse event." in refused.get_data(as_text=True)
    closed = auth.post(
        path,
        {f"t{lab.id}-decision": "not_ae", f"t{lab.id}-reason": "Benign ethnic neutropenia"},
        page="/safety/tasks",
    )
    assert closed.status_code == 302
    assert 'data-testid="no-tasks"' in client.get("/safety/tasks").get_data(as_text=True)
    assert client.post(path, data={}).status_code in (400, 404)  # no open task any more


def test_an_ae_recorded_from_a_task_closes_it(client, auth, users, subject):
    lab = neutrophils_grade_3(users, subject)
    auth.login("inv.user")
    form = client.get(f"{new_path(subject)}?result={lab.id}").get_data(as_text=True)
    assert 'value="Neutrophil count decreased"' in form
    assert 'value="2026-03-16"' in form
    data = ae(
        aeterm="Neutropenia",
        ctcae_term="Neutrophil count decreased",
        start_date="2026-03-16",
        end_date="2026-03-16",
        grade="3",
        relatedness="probably",
    )
    response = auth.post(f"{new_path(subject)}?result={lab.id}", data, page=new_path(subject))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert 'data-testid="no-tasks"' in client.get("/safety/tasks").get_data(as_text=True)
    assert "no open AE task" in client.get(f"{new_path(subject)}?result={lab.id}").get_data(
        as_text=True
    )


def test_a_candidate_dlt_is_decided_on_the_ae_page(client, auth, subject):
    auth.login("inv.user")
    data = ae(aeterm="Diarrhoea", ctcae_term="Diarrhea", grade="3", relatedness="probably")
    assert auth.post(new_path(subject), data).status_code == 302
    [record] = records()
    assert record.dlt_candidate  # run-in subject, Day 8, related, grade 3 non-haematological
    page = f"/subjects/{subject.id}/adverse-events/{record.id}"
    html = client.get(page).get_data(as_text=True)
    assert "not a DLT if grade 3 GI symptoms were controlled within 72 h" in html
    no_reason = auth.post(
        f"{page}/dlt", {"dlt-version": str(record.version), "dlt-decision": "rejected"}, page=page
    )
    assert no_reason.status_code == 422
    assert "Give the reason for your decision." in no_reason.get_data(as_text=True)
    done = auth.post(
        f"{page}/dlt",
        {
            "dlt-version": str(record.version),
            "dlt-decision": "rejected",
            "dlt-dlt_reason": "Controlled within 24 h with loperamide",
        },
        page=page,
    )
    assert done.status_code == 302
    assert records()[0].dlt_decision == "rejected"
    stale = auth.post(
        f"{page}/dlt",
        {"dlt-version": "1", "dlt-decision": "confirmed", "dlt-dlt_reason": "second thoughts"},
        page=page,
    )
    assert stale.status_code == 409


def test_an_ae_is_removed_with_a_reason_from_its_page(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae())
    [record] = records()
    page = f"/subjects/{subject.id}/adverse-events/{record.id}"
    refused = auth.post(f"{page}/remove", {"rm-version": str(record.version)}, page=page)
    assert refused.status_code == 422
    done = auth.post(
        f"{page}/remove",
        {"rm-version": str(record.version), "rm-reason": "Entered for the wrong subject"},
        page=page,
    )
    assert done.status_code == 302
    assert records()[0].deleted_at is not None
    assert client.get(page).status_code == 404


def test_a_draft_report_is_corrected_with_a_reason_and_then_frozen(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), serious())
    [record] = records()
    sae_path = f"/subjects/{subject.id}/adverse-events/{record.id}/sae"
    empty = auth.post(sae_path, {"new-kind": "SAE", "new-narrative": ""})
    assert empty.status_code == 422
    assert "Write the narrative" in empty.get_data(as_text=True)
    auth.post(sae_path, {"new-kind": "SAE", "new-narrative": "Admitted."})
    [report] = db.session.scalars(select(SaeReport)).all()
    path = f"{sae_path}/reports/{report.id}"
    fixed = auth.post(
        path,
        {
            "kind": "SAE",
            "narrative": "Admitted for nasal packing.",
            "version": str(report.version),
            "reason": "More detail",
        },
    )
    assert fixed.status_code == 302, fixed.get_data(as_text=True)
    stale = auth.post(path, {"kind": "SAE", "narrative": "x", "version": "1", "reason": "y"})
    assert stale.status_code == 409
    db.session.expire_all()
    report = db.session.get(SaeReport, report.id)
    auth.post(f"{path}/submit", {"sub-version": str(report.version)}, page=path)
    again = auth.post(f"{path}/submit", {"sub-version": str(report.version)}, page=path)
    assert again.status_code == 409
    assert "Admitted for nasal packing." in client.get(path).get_data(as_text=True)


def test_an_ae_from_a_task_closed_meanwhile_is_still_saved(client, auth, users, subject):
    from studyapp.safety import tasks

    lab = neutrophils_grade_3(users, subject)
    auth.login("inv.user")
    link = f"{new_path(subject)}?result={lab.id}"
    with factories.acting_as(users["investigator"]), transaction():
        tasks.answer(users["investigator"], lab.id, decision="not_ae", reason="Lab error")
    data = ae(aeterm="Neutropenia", ctcae_term="Neutrophil count decreased", grade="3")
    response = auth.post(link, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(records()) == 1


def test_a_draft_ae_does_not_close_a_task_from_its_page(client, auth, users, subject):
    lab = neutrophils_grade_3(users, subject)
    auth.login("inv.user")
    auth.post(new_path(subject), ae(action="draft", end_date="", aeout=""))
    [draft] = records()
    response = auth.post(
        f"/safety/tasks/{lab.id}",
        {f"t{lab.id}-decision": "ae", f"t{lab.id}-ae_id": str(draft.id)},
        page="/safety/tasks",
    )
    assert response.status_code == 422
    assert "Complete the adverse event form first." in response.get_data(as_text=True)


def test_a_bad_grade_change_on_the_page_says_why(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), ae(end_date="", ongoing="y", aeout="NOT RECOVERED/NOT RESOLVED"))
    [record] = records()
    page = f"/subjects/{subject.id}/adverse-events/{record.id}"
    data = {"gc-version": str(record.version), "gc-grade": "3", "gc-on": "2026-03-01"}
    response = auth.post(f"{page}/grade", data, page=page)
    assert response.status_code == 422
    assert "The grade changes after the onset (2026-03-09)." in response.get_data(as_text=True)
    assert len(records()) == 1


def test_a_submitted_report_is_not_edited_on_its_page(client, auth, subject):
    auth.login("inv.user")
    auth.post(new_path(subject), serious())
    [record] = records()
    sae_path = f"/subjects/{subject.id}/adverse-events/{record.id}/sae"
    auth.post(sae_path, {"new-kind": "SAE", "new-narrative": "Admitted."})
    [report] = db.session.scalars(select(SaeReport)).all()
    path = f"{sae_path}/reports/{report.id}"
    auth.post(f"{path}/submit", {"sub-version": str(report.version)}, page=path)
    db.session.expire_all()
    version = db.session.get(SaeReport, report.id).version
    data = {"kind": "SAE", "narrative": "Changed.", "version": str(version), "reason": "x"}
    response = client.post(
        path,
        data={
            "csrf_token": factories.csrf_token(client.get(sae_path).get_data(as_text=True)),
            **data,
        },
    )
    assert response.status_code == 422
    assert "A submitted report is not changed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SaeReport, report.id).narrative == "Admitted."
