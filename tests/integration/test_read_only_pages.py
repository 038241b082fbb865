"""Read-only pages (issue 12, item 7): who may not change a record sees its values, not inputs.

A monitor opening a visit form or an adverse event sees the stored values as text, no input,
select, textarea or Save button (Save would only answer 403), a note saying who makes changes,
a link to the record's audit trail and the place where queries and SDV will appear. The
investigator still gets the form. A coordinator enters visit data but records no AE.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.safety import sae
from studyapp.visits.bleeding import service as bleeding
from studyapp.visits.dosing import checks as dose_checks
from studyapp.visits.dosing import service as dosing
from studyapp.visits.labs import service as labs
from studyapp.visits.medications import service as medications
from studyapp.visits.vitals import service as vitals
from tests import factories

DAY1 = date(2026, 3, 2)
FORM_CONTROL = re.compile(r"<(input|select|textarea)\b[^>]*>", re.IGNORECASE)
#: The monitoring controls (SDV: verify a field, a form, a visit) post to /monitoring/, not
#: to the form: they are the monitor's own actions, not data entry.
MONITORING_FORM = re.compile(r'<form\b[^>]*action="/monitoring/[^"]*"[^>]*>.*?</form>', re.S)
SAVE_BUTTON = re.compile(r"<button\b[^>]*>\s*(Save|Correct|Record|Remove)", re.IGNORECASE)
NOTE = "You can read this form; changes are made by the site investigator."


@pytest.fixture
def stored(app, users):
    """A subject whose Day 1 visit has every form saved, a medication and an AE."""
    inv = users["investigator"]
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    measures = {
        "weight": Decimal("58.3"),
        "sysbp": 118,
        "diabp": 74,
        "pulse": 71,
        "temp": Decimal("37.2"),
    }
    with acting_as(inv):
        vitals.save(
            inv,
            subject.id,
            "1",
            vitals.VitalsEntry(DAY1, time(9, 5), measures),
            visit_date=DAY1,
            confirmed=True,
        )
        bleeding.save(
            inv, subject.id, "1", bleeding.BleedingEntry(DAY1, 1, {"PETECHIAE": 1}), confirmed=True
        )
        med = medications.add(
            inv,
            subject.id,
            "1",
            medications.MedicationEntry(
                category="CONCOMITANT",
                rescue_type=None,
                trt="Omeprazole",
                dose=Decimal(20),
                dose_unit="mg",
                route="ORAL",
                frequency="once daily",
                start_date="2026-01",
                end_date=None,
                ongoing=True,
                indication="reflux",
            ),
            confirmed=True,
        )
    factories.save_cbc(inv, subject, "1", DAY1, PLAT=17, HGB=123)
    screening = date(2026, 3, 1)
    with acting_as(inv):
        for form, testcd, value in (("CHEM", "ALT", "31"), ("IG", "IGG", "9.4")):
            unit = "U/L" if testcd == "ALT" else "g/L"
            entry = labs.LabEntry(screening, time(7, 45), {testcd: (Decimal(value), unit)})
            labs.save(inv, subject.id, "0", form, entry, visit_date=screening, confirmed=True)
    with acting_as(inv):
        dose = dosing.save(
            inv,
            subject.id,
            "1",
            dose_checks.DoseEntry(
                ec_date=DAY1,
                start_time=time(9, 30),
                stop_time=time(14, 0),
                given_dose=Decimal(930),
                given_volume=Decimal("46.5"),
                interrupted=False,
                premed_time=time(8, 15),
                premeds={"premed_methylpred": Decimal(80), "premed_paracetamol": Decimal(650)},
                steps=[
                    dose_checks.RateStepEntry(time(9, 30), Decimal(50)),
                    dose_checks.RateStepEntry(time(10, 30), Decimal(100)),
                ],
            ),
            completing=False,
            confirmed=True,
        )
    ae = factories.record_ae(inv, subject, aeterm="throbbing headache", start_date="2026-03-02")
    db.session.commit()
    return {"subject": subject, "med": med, "dose": dose, "ae": ae}


def pages(stored: dict) -> dict[str, str]:
    sid = stored["subject"].id
    visit = f"/subjects/{sid}/visits/1"
    return {
        "vitals": f"{visit}/vitals",
        "bleeding": f"{visit}/bleeding",
        "cbc": f"{visit}/labs/CBC",
        "chem": f"/subjects/{sid}/visits/0/labs/CHEM",
        "ig": f"/subjects/{sid}/visits/0/labs/IG",
        "dose": f"{visit}/dose",
        "medications": f"{visit}/medications",
        "medication": f"/subjects/{sid}/medications/{stored['med'].id}",
        "visit": visit,
        "ae": f"/subjects/{sid}/adverse-events/{stored['ae'].id}",
    }


#: Values each page shows, as stored: field -> text (choices by their label, a box as Yes/No,
#: nothing as "—").
SHOWN = {
    "vitals": {
        "vs_date": "2026-03-02",
        "vs_time": "09:05",
        "weight": "58.3",
        "sysbp": "118",
        "diabp": "74",
        "pulse": "71",
        "temp": "37.2",
    },
    "bleeding": {"assessed_date": "2026-03-02", "item_PETECHIAE": "1", "item_GI": "0"},
    "cbc": {"lb_date": "2026-03-02", "lb_time": "08:00"},
    "chem": {"lb_date": "2026-03-01", "lb_time": "07:45"},
    "ig": {"lb_date": "2026-03-01", "lb_time": "07:45"},
    "dose": {
        "ec_date": "2026-03-02",
        "premed_time": "08:15",
        "start_time": "09:30",
        "stop_time": "14:00",
        "given_dose": "930",
        "given_volume": "46.5",
        "interrupted": "No",
        "interruption_minutes": "—",
    },
    "medication": {
        "category": "concomitant medication",
        "trt": "Omeprazole",
        "dose": "20",
        "dose_unit": "mg",
        "route": "oral",
        "rescue_type": "—",
        "frequency": "once daily",
        "start_date": "2026-01",
        "end_date": "—",
        "ongoing": "Yes",
        "indication": "reflux",
    },
    "ae": {
        "aeterm": "throbbing headache",
        "ctcae_term": "Headache",
        "start_date": "2026-03-02",
        "ongoing": "Yes",
        "grade": "2",
        "serious": "No",
        "criteria": "—",
        "relatedness": "possibly related",
        "expected": "—",
        "aeacn": "dose not changed",
        "aeout": "not recovered",
        "irr": "No",
    },
}
#: Rows of the repeating tables, read-only: lab results (value, unit), premeds, rate steps;
#: and a choice whose label is long.
CELLS = {
    "bleeding": ['data-testid="value-who_grade">1: Petechial or minor'],
    "cbc": ['<td class="">17</td>', '<td class="">10^9/L</td>', '<td class="">123</td>'],
    "chem": ['<td class="">31</td>', '<td class="">U/L</td>'],
    "ig": ['<td class="">9.4</td>', '<td class="">g/L</td>'],
    "dose": ["<td>80</td>", "<td>650</td>", "<td>09:30</td>", "<td>50</td>", "<td>100</td>"],
}


def assert_values(html: str, name: str) -> None:
    for field, text in SHOWN.get(name, {}).items():
        assert f'data-testid="value-{field}">{text}</span>' in html, (field, text)
    for cell in CELLS.get(name, []):
        assert cell in html, cell


QUERIES = re.compile(r'<section class="card queries" data-testid="queries">.*?</section>', re.S)


def controls(html: str) -> list[str]:
    """The form controls of the page's main content (the sign-out form of the header aside,
    and the data queries box, where a monitor raises and closes queries, left aside)."""
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    main = QUERIES.sub("", main)
    main = MONITORING_FORM.sub("", main)
    return FORM_CONTROL.findall(main) + SAVE_BUTTON.findall(main)


@pytest.mark.parametrize("name", ["vitals", "bleeding", "cbc", "chem", "ig", "dose", "medication"])
def test_monitor_reads_visit_forms_without_inputs(client, auth, stored, name):
    auth.login("mon.user")
    page = client.get(pages(stored)[name])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert controls(html) == []
    assert NOTE in html
    assert 'data-testid="monitoring"' in html
    assert_values(html, name)


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("vitals", "vital_signs"),
        ("bleeding", "bleeding_assessment"),
        ("cbc", "lab_panel"),
        ("dose", "dose_administration"),
        ("medication", "medication"),
        ("ae", "adverse_event"),
    ],
)
def test_monitor_gets_the_audit_trail_of_the_record(client, auth, stored, name, table):
    auth.login("mon.user")
    html = client.get(pages(stored)[name]).get_data(as_text=True)
    link = re.search(r'href="(/audit/\?[^"]+)"[^>]*data-testid="(record|ae)-audit"', html)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert f"table_name={table}&" in url
    trail = client.get(url)
    assert trail.status_code == 200
    count = re.search(r'data-testid="audit-count">(\d+) rows', trail.get_data(as_text=True))
    assert count is not None
    assert int(count.group(1)) >= 1  # at least the row's insert


def test_monitor_reads_the_ae_without_inputs(client, auth, stored):
    auth.login("mon.user")
    html = client.get(pages(stored)["ae"]).get_data(as_text=True)
    assert controls(html) == []
    assert NOTE in html
    assert_values(html, "ae")


def test_monitor_sees_no_form_to_record_a_new_ae(client, auth, stored):
    auth.login("mon.user")
    html = client.get(f"/subjects/{stored['subject'].id}/adverse-events/new").get_data(as_text=True)
    assert controls(html) == []
    assert "Adverse events are recorded by the site investigator." in html
    assert 'data-testid="monitoring"' not in html


def test_monitor_medication_list_and_visit_page_have_no_inputs(client, auth, stored):
    auth.login("mon.user")
    for name in ("medications", "visit"):
        html = client.get(pages(stored)[name]).get_data(as_text=True)
        assert controls(html) == [], name
        assert 'data-testid="read-only"' in html, name
    assert "Omeprazole" in client.get(pages(stored)["medications"]).get_data(as_text=True)


def test_coordinator_enters_visit_data_but_reads_the_ae(client, auth, stored):
    auth.login("crc.user")
    vitals_page = client.get(pages(stored)["vitals"]).get_data(as_text=True)
    assert 'name="weight"' in vitals_page
    assert NOTE not in vitals_page
    html = client.get(pages(stored)["ae"]).get_data(as_text=True)
    assert controls(html) == []
    assert NOTE in html
    assert_values(html, "ae")
    assert 'data-testid="monitoring"' not in html  # the coordinator neither queries nor verifies
    assert 'data-testid="ae-audit"' not in html  # nor reads the audit trail


@pytest.mark.parametrize("name", ["vitals", "bleeding", "cbc", "dose", "medication", "ae"])
def test_investigator_still_gets_the_form(client, auth, stored, name):
    auth.login("inv.user")
    html = client.get(pages(stored)[name]).get_data(as_text=True)
    assert FORM_CONTROL.search(html.split("<main", 1)[-1])
    assert re.search(r'<button type="submit" class="primary"[^>]*>\s*Save', html)
    assert NOTE not in html
    assert 'data-testid="monitoring"' not in html


def test_monitor_sees_not_entered_for_an_empty_form(client, auth, stored):
    auth.login("mon.user")
    html = client.get(f"/subjects/{stored['subject'].id}/visits/2/vitals").get_data(as_text=True)
    assert controls(html) == []
    assert 'data-testid="not-entered"' in html


def test_data_manager_reads_visit_forms_without_controls(client, auth, stored):
    """The data manager reads study data (to check and export it) and never edits it."""
    auth.login("dm.user", code=factories.totp_now())
    answer = client.get(pages(stored)["vitals"])
    assert answer.status_code == 200
    assert controls(answer.get_data(as_text=True)) == []


def test_monitor_reads_an_sae_draft_without_the_forms(client, auth, stored, users):
    inv = users["investigator"]
    record = factories.record_ae(
        inv,
        stored["subject"],
        aeterm="pneumonia",
        ctcae_term="Lung infection",
        start_date="2026-03-02",
        grade=3,
        serious=True,
        criteria={"aeshosp"},
        aware_at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
        relatedness="unlikely",
    )
    with acting_as(inv):
        found = sae.sae_of(inv, stored["subject"].id, record.id)
        report = sae.save_report(inv, found, kind="SAE", narrative="Admitted on 2 March.")
    db.session.commit()
    path = f"/subjects/{stored['subject'].id}/adverse-events/{record.id}/sae/reports/{report.id}"
    auth.login("mon.user")
    html = client.get(path).get_data(as_text=True)
    assert controls(html) == []
    assert "reports are written by the site investigator" in html
    assert "Admitted on 2 March." in html
    auth.logout()
    auth.login("inv.user")
    assert 'data-testid="report-form"' in client.get(path).get_data(as_text=True)
