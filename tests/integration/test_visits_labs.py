"""The laboratory forms of a visit (CBC, chemistry, immunoglobulins) in the test client."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.visits.labs import findings as lab_findings
from studyapp.visits.labs import readings as lab_readings
from studyapp.visits.models import LabPanel, LabResult
from tests import factories
from tests.factories import csrf_token

DAY1 = date(2026, 3, 2)
DAY15 = "2026-03-16"  # visit 3 (Day 15), window 2026-03-15 to 2026-03-17


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15
    return subject


def path(subject, form="CBC", visitnum="3"):
    return f"/subjects/{subject.id}/visits/{visitnum}/labs/{form}"


def post(client, url, data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def cbc(**values):
    return {
        "visit_date": DAY15,
        "lb_date": DAY15,
        "lb_time": "08:30",
        "action": "save",
        **values,
    }


def results():
    return {r.testcd: r for r in db.session.scalars(select(LabResult))}


def audit(table, field):
    return db.session.scalars(
        select(AuditLog)
        .where(AuditLog.table_name == table, AuditLog.field == field)
        .order_by(AuditLog.seq)
    ).all()


def test_cbc_converts_units_flags_grades_and_prompts_for_an_ae(client, auth, subject):
    auth.login("inv.user")
    page = client.get(path(subject))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="plat"' in html
    assert 'name="hgb_unit"' in html
    assert '<option value="/uL">/uL</option>' in html
    assert "150–400 10^9/L" in html  # the normal range is shown before any value
    assert 'src="/static/js/labs.js" defer' in html
    assert "<script>" not in html

    saved = post(
        client,
        path(subject),
        cbc(plat="8000", plat_unit="/uL", hgb="9.5", hgb_unit="g/dL", wbc="4.2"),
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    panel = db.session.scalar(select(LabPanel))
    assert (panel.form, panel.lb_date, panel.status) == ("CBC", date(2026, 3, 16), "complete")
    found = results()
    assert set(found) == {"PLAT", "HGB", "WBC"}  # blank values: not done, no row
    plat, hgb, wbc = found["PLAT"], found["HGB"], found["WBC"]
    assert (plat.orres, plat.orresu) == (Decimal(8000), "/uL")
    assert (plat.stresn, plat.stresu) == (Decimal(8), "10^9/L")
    assert (plat.nrlo, plat.nrhi, plat.nrind, plat.toxgr) == (150, 400, "LOW", 4)
    assert (hgb.orres, hgb.orresu, hgb.stresn, hgb.stresu) == (Decimal("9.5"), "g/dL", 95, "g/L")
    assert (hgb.nrlo, hgb.nrhi, hgb.nrind, hgb.toxgr) == (115, 150, "LOW", 2)  # female range
    assert (wbc.stresu, wbc.nrind, wbc.toxgr) == ("10^9/L", "NORMAL", None)

    # baseline 18 (the screening count), then 8: below 10 and below half of 18, a prompt
    prompt = (
        "Grade 4 platelet count decreased (8 x10^9/L on 2026-03-16): record an adverse "
        "event, or document why it is not one."
    )
    flashed = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert prompt in flashed
    assert "significant worsening" in flashed
    again = client.get(path(subject)).get_data(as_text=True)
    assert 'data-testid="ae-prompt"' in again
    assert prompt in again
    assert "Baseline platelets 18 x10^9/L" in again  # the screening count
    assert "grade 4" in again
    assert "grade 2" in again
    assert 'value="8000"' in again
    assert '<option selected value="/uL">' in again

    found = lab_findings.findings(subject.id)
    assert [(f.testcd, f.grade, f.value, f.on) for f in found] == [
        ("PLAT", 4, Decimal(8), date(2026, 3, 16))
    ]


@pytest.mark.parametrize(
    ("count", "prompted"),
    [("9", False), ("8", True), ("18", False), ("45", False)],
)
def test_a_platelet_count_prompts_only_on_significant_worsening(
    client, auth, subject, count, prompted
):
    """Baseline 18 (G4, the screening count): 9 is half, not below it; 8 is; 18 and 45 are
    at or above baseline (45 is grade 3, at the task grade, yet no AE)."""
    auth.login("inv.user")
    assert post(client, path(subject), cbc(plat=count)).status_code == 302
    page = client.get(path(subject)).get_data(as_text=True)
    assert ('data-testid="ae-prompt"' in page) is prompted
    live = preview(client, subject, testcd="PLAT", value=count, unit="10^9/L", on=DAY15)
    assert live.get_json()["ae_prompt"] is prompted


def test_chemistry_flags_alt_high_and_grades_against_the_baseline(client, auth, subject):
    auth.login("inv.user")
    screening = post(
        client,
        path(subject, "CHEM", "0"),
        {"visit_date": "2026-03-01", "lb_date": "2026-03-01", "alt": "100", "action": "save"},
    )
    assert screening.status_code == 302, screening.get_data(as_text=True)
    saved = post(
        client,
        path(subject, "CHEM"),
        cbc(alt="200", ast="130", bili="1.5", bili_unit="mg/dL", creat="70"),
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    found = {r.testcd: r for r in db.session.scalars(select(LabResult).order_by(LabResult.id))}
    alt, ast, bili = found["ALT"], found["AST"], found["BILI"]
    # ALT 200 U/L: > 3 x ULN 40 is grade 2 by ULN, but the abnormal baseline (100) makes it
    # 2 x baseline: grade 1. AST has no baseline: 130 > 3 x ULN 35, grade 2.
    assert (alt.nrind, alt.toxgr, alt.nrhi) == ("HIGH", 1, 40)
    assert (ast.nrind, ast.toxgr) == ("HIGH", 2)
    assert (bili.stresn, bili.stresu, bili.nrind, bili.toxgr) == (
        Decimal("25.65"),
        "umol/L",
        "HIGH",
        1,
    )
    assert found["CREAT"].nrind == "NORMAL"
    assert lab_readings.baseline_value(subject, "ALT") == 100


def test_immunoglobulins_at_the_day_29_visit(client, auth, subject):
    freeze_clock(datetime(2026, 3, 30, 2, 0, tzinfo=UTC))  # Day 29
    auth.login("inv.user")
    assert client.get(path(subject, "IG", "3")).status_code == 404  # no IG at Day 15
    saved = post(
        client,
        path(subject, "IG", "5"),
        {
            "visit_date": "2026-03-30",
            "lb_date": "2026-03-30",
            "igg": "600",
            "igg_unit": "mg/dL",
            "iga": "1.2",
            "action": "save",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    found = results()
    assert set(found) == {"IGG", "IGA"}
    igg = found["IGG"]
    assert (igg.orres, igg.orresu, igg.stresn, igg.stresu) == (600, "mg/dL", 6, "g/L")
    assert (igg.nrind, igg.toxgr) == ("LOW", None)  # below LLN; Ig is not CTCAE-graded here
    assert found["IGA"].nrind == "NORMAL"


def test_edit_needs_a_reason_is_audited_and_refuses_a_stale_version(client, auth, subject):
    auth.login("inv.user")
    url = path(subject)
    assert post(client, url, cbc(plat="45", hgb="95")).status_code == 302
    panel = db.session.scalar(select(LabPanel))
    version = panel.version
    freeze_clock(datetime(2026, 3, 16, 2, 1, tzinfo=UTC))  # touch() stamps the time

    refused = post(client, url, cbc(plat="60", hgb="95", version=str(version)))
    assert refused.status_code == 422
    assert "Give a reason for this change." in refused.get_data(as_text=True)

    edited = post(client, url, cbc(plat="60", hgb="95", version=str(version), reason="lab re-run"))
    assert edited.status_code == 302, edited.get_data(as_text=True)
    db.session.expire_all()
    panel = db.session.scalar(select(LabPanel))
    assert panel.version == version + 1  # only a result changed: the panel was touched
    row = audit("lab_result", "orres")[-1]
    assert (Decimal(row.old_value), Decimal(row.new_value), row.reason) == (45, 60, "lab re-run")
    assert results()["PLAT"].toxgr == 2  # 60: grade 2

    cleared = post(
        client, url, cbc(plat="60", hgb="", version=str(panel.version), reason="not done")
    )
    assert cleared.status_code == 302, cleared.get_data(as_text=True)
    hgb = results()["HGB"]
    assert (hgb.orres, hgb.orresu, hgb.stresn, hgb.nrind) == (None, None, None, None)
    row = audit("lab_result", "stresn")[-1]
    assert (Decimal(row.old_value), row.new_value, row.reason) == (95, None, "not done")

    stale = post(client, url, cbc(plat="70", version=str(version), reason="x"))
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert 'data-testid="conflict"' in html
    assert "Another user changed this form" in html
    assert results()["PLAT"].orres == 60


def test_hard_limit_refused_with_the_typed_value_kept(client, auth, subject):
    auth.login("inv.user")
    refused = post(client, path(subject), cbc(plat="5000"))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="plat-error"' in html
    assert "Must be between 0 and 2000 10^9/L." in html
    assert 'value="5000"' in html
    assert db.session.scalar(select(LabPanel)) is None
    too_fine = post(client, path(subject), cbc(hgb="9.55", hgb_unit="g/dL"))
    assert too_fine.status_code == 422
    assert "At most 1 decimal places in g/dL." in too_fine.get_data(as_text=True)


def test_unusual_value_needs_confirmation_then_is_stored_and_audited(client, auth, subject):
    auth.login("inv.user")
    asked = post(client, path(subject), cbc(plat="1500"))
    assert asked.status_code == 422
    html = asked.get_data(as_text=True)
    assert 'data-testid="confirm-box"' in html
    assert "Unusual value: outside 1 to 1000" in html
    assert db.session.scalar(select(LabPanel)) is None
    confirmed = post(client, path(subject), cbc(plat="1500", confirm="y"))
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    panel = db.session.scalar(select(LabPanel))
    assert panel.confirmed_warnings.startswith("plat: Unusual value")
    assert audit("lab_panel", "confirmed_warnings")[-1].new_value == panel.confirmed_warnings
    assert results()["PLAT"].nrind == "HIGH"


def test_sample_date_checks(client, auth, subject):
    auth.login("inv.user")
    outside = post(client, path(subject), cbc(lb_date="2026-03-10", plat="45"))
    assert outside.status_code == 422
    assert "Sample date 2026-03-10 is outside the visit window 2026-03-15 to 2026-03-17." in (
        outside.get_data(as_text=True)
    )
    future = post(client, path(subject), cbc(lb_date="2026-03-20", plat="45"))
    assert future.status_code == 422
    assert "The date cannot be in the future." in future.get_data(as_text=True)
    missing = post(client, path(subject), cbc(lb_date="", plat="45"))
    assert missing.status_code == 422
    assert "Required to complete this form." in missing.get_data(as_text=True)
    empty = post(client, path(subject), cbc())
    assert empty.status_code == 422
    assert "Enter at least one result, or save as draft." in empty.get_data(as_text=True)
    draft = post(client, path(subject), cbc(lb_date="", action="draft"))
    assert draft.status_code == 302
    assert db.session.scalar(select(LabPanel)).status == "in_progress"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"plat": "abc"}, "Enter a number, e.g. 58.3."),
        ({"plat": "1e999"}, "Enter a number, e.g. 58.3."),
        ({"plat": "NaN"}, "Enter a number, e.g. 58.3."),
        ({"plat": "Infinity"}, "Enter a number, e.g. 58.3."),
        ({"plat": "99999999999"}, "Out of range."),
        ({"plat": "-5"}, "Out of range."),
        ({"plat": "45", "lb_date": "2026-02-30"}, "2026-02-30 is not a date of the calendar."),
        ({"plat": "45", "lb_time": "25:99"}, "Not a valid time value."),
        ({"plat": "45", "plat_unit": "furlongs"}, "Choose one of the units: 10^9/L, /uL, 10^3/uL."),
        ({"plat": "45", "plat_unit": "<b>x</b>"}, "Choose one of the units"),
    ],
)
def test_bad_input_gets_a_message_never_a_500(client, auth, subject, values, message):
    auth.login("inv.user")
    response = post(client, path(subject), cbc(**values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "<b>x</b>" not in html
    assert db.session.scalar(select(LabPanel)) is None


def preview(client, subject, form="CBC", **query):
    return client.get(path(subject, form) + "/preview", query_string=query)


def test_preview_reads_a_value_as_the_save_does(client, auth, subject):
    auth.login("inv.user")
    answer = preview(client, subject, testcd="PLAT", value="8", unit="10^9/L", on=DAY15)
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["si"] == "8"
    assert data["si_unit"] == "10^9/L"
    assert (data["flag"], data["flag_label"], data["grade"]) == ("LOW", "low", 4)
    assert data["range"] == "150–400 10^9/L"
    assert data["ae_prompt"] is True  # baseline 18, then 8: significant worsening
    assert data["message"].startswith("Grade 4 platelet count decreased (8 x10^9/L on 2026-03-16)")

    per_ul = preview(client, subject, testcd="PLAT", value="45000", unit="/uL").get_json()
    assert (per_ul["si"], per_ul["grade"], per_ul["value"], per_ul["unit"]) == (
        "45",
        3,
        "45000",
        "/uL",
    )
    hb = preview(client, subject, testcd="HGB", value="13", unit="g/dL").get_json()
    assert (hb["si"], hb["flag"], hb["grade"], hb["ae_prompt"]) == ("130", "NORMAL", None, False)
    unusual = preview(client, subject, testcd="PLAT", value="1500", unit="10^9/L").get_json()
    assert unusual["flag"] == "HIGH"
    assert "Unusual value" in unusual["warning"]
    alt = preview(client, subject, "CHEM", testcd="ALT", value="130", unit="U/L").get_json()
    assert (alt["flag"], alt["grade"]) == ("HIGH", 2)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"testcd": "PLAT", "value": "abc", "unit": "10^9/L"}, "Enter a number"),
        ({"testcd": "PLAT", "value": "1e999", "unit": "10^9/L"}, "Enter a number"),
        ({"testcd": "PLAT", "value": "", "unit": "10^9/L"}, "Enter a number."),
        ({"testcd": "PLAT", "value": "45", "unit": "furlongs"}, "Choose one of the units"),
        ({"testcd": "PLAT", "value": "5000", "unit": "10^9/L"}, "Must be between 0 and 2000"),
        ({"testcd": "ALT", "value": "45", "unit": "U/L"}, "This form has no test ALT."),
        ({"testcd": "PLAT", "value": "45", "unit": "10^9/L", "on": "2026-02-30"}, "not a date"),
    ],
)
def test_preview_refuses_bad_input_with_400(client, auth, subject, query, message):
    auth.login("inv.user")
    answer = preview(client, subject, **query)
    assert answer.status_code == 400
    assert message in answer.get_json()["message"]


def test_monitor_reads_but_cannot_save(client, auth, subject):
    auth.login("inv.user")
    assert post(client, path(subject), cbc(plat="45")).status_code == 302
    auth.logout()
    auth.login("mon.user")
    assert client.get(path(subject)).status_code == 200
    assert preview(client, subject, testcd="PLAT", value="45", unit="10^9/L").status_code == 200
    refused = post(client, path(subject), cbc(plat="50", reason="x", version="2"))
    assert refused.status_code == 403
    assert results()["PLAT"].orres == 45
