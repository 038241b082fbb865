"""The subject pages in the test client: every step a coordinator and investigator take."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.subjects.models import Subject
from tests import factories
from tests.factories import PASSWORD, csrf_token

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _today(app):
    freeze_clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


def form_post(client, path, data, page=None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_coordinator_registers_consents_and_enters_screening_values(client, users, auth):
    auth.login("crc.user")
    response = form_post(
        client,
        "/subjects/screen",
        {
            "screening_date": "2026-03-02",
            "sex": "F",
            "age_years": "34",
            "birth_year": "",
            "initials": "lx",
        },
    )
    assert response.status_code == 302
    subject = db.session.scalar(select(Subject))
    assert subject.screening_number == "S01-001"
    assert subject.initials == "LX"
    early = form_post(
        client,
        f"/subjects/{subject.id}/screening-data",
        {"ecog": "1", "version": str(subject.version), "reason": ""},
    )
    assert early.status_code == 409
    assert "Record informed consent first" in early.get_data(as_text=True)
    consent = form_post(
        client,
        f"/subjects/{subject.id}/consent",
        {
            "consent_date": "2026-03-02",
            "consent_time": "09:15",
            "version": "2.0",
            "obtained_by_id": str(users["coordinator"].id),
        },
    )
    assert consent.status_code == 302
    db.session.refresh(subject)
    saved = form_post(
        client,
        f"/subjects/{subject.id}/screening-data",
        {
            "itp_diagnosis_date": "2022-11",
            "ecog": "1",
            "platelet_count": "17",
            "platelet_date": "2026-03-02",
            "alt": "20",
            "ast": "19",
            "bilirubin": "10",
            "creatinine": "65",
            "pregnancy_test": "NEGATIVE",
            "last_emergency_tx_stop": "",
            "no_emergency_tx": "y",
            "version": str(subject.version),
            "reason": "",
        },
    )
    assert saved.status_code == 302
    db.session.refresh(subject)
    assert subject.platelet_count == 17
    page = client.get(f"/subjects/{subject.id}/eligibility").get_data(as_text=True)
    assert 'data-code="IN03"' in page
    assert "&lt; 30 10^9/L" in page


def test_bad_values_keep_what_was_typed(client, users, auth):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    factories.consent(inv, subject)
    auth.login("crc.user")
    response = form_post(
        client,
        f"/subjects/{subject.id}/screening-data",
        {
            "itp_diagnosis_date": "last spring",
            "ecog": "7",
            "platelet_count": "lots",
            "version": str(subject.version),
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="last spring"' in body
    assert "Number must be between 0 and 5." in body
    assert "Enter a number, e.g. 58.3." in body
    response = form_post(
        client,
        f"/subjects/{subject.id}/screening-data",
        {"itp_diagnosis_date": "spring 24", "version": str(subject.version)},
    )
    assert "is not a date: use YYYY" in response.get_data(as_text=True)


@pytest.mark.req("P11-16")
def test_investigator_signs_from_the_page_username_only_the_first_time(client, users, auth):
    inv = users["investigator"]
    first, second = factories.make_eligible(inv), factories.make_eligible(inv)
    auth.login("inv.user")
    page = client.get(f"/subjects/{first.id}/eligibility").get_data(as_text=True)
    assert 'name="username"' in page
    assert "Investigator confirmation of eligibility" in page
    assert inv.full_name in page
    wrong = client.post(
        f"/subjects/{first.id}/eligibility",
        data={"csrf_token": csrf_token(page), "username": "inv.user", "password": "nope nope"},
    )
    assert wrong.status_code == 422
    assert "The password is not correct." in wrong.get_data(as_text=True)
    ok = client.post(
        f"/subjects/{first.id}/eligibility",
        data={"csrf_token": csrf_token(page), "username": "inv.user", "password": PASSWORD},
    )
    assert ok.status_code == 302
    page = client.get(f"/subjects/{second.id}/eligibility").get_data(as_text=True)
    assert 'name="username"' not in page
    ok = client.post(
        f"/subjects/{second.id}/eligibility",
        data={"csrf_token": csrf_token(page), "password": PASSWORD},
    )
    assert ok.status_code == 302
    detail = client.get(f"/subjects/{second.id}").get_data(as_text=True)
    assert "confirmed and signed" in detail
    # the manifestation: printed name, local date-time with offset, meaning (11.50)
    assert re.search(
        r"Signed by Inv User \(Investigator\) on 2026-03-02 09:00:00 \(\+08:00\): "
        r'"Investigator confirmation of eligibility"',
        detail,
    )
    auth.logout()
    auth.login("inv.user")
    third = factories.make_eligible(inv)
    page = client.get(f"/subjects/{third.id}/eligibility").get_data(as_text=True)
    assert 'name="username"' in page  # a new session asks for the username again


def test_who_acts_next_enrol_disabled_until_signed_and_answers_signed_in_one_step(
    client, users, auth
):
    """Issue 15: the checklist says who acts next; Enrol is disabled with the reason until the
    eligibility signature; the investigator answers the judged criteria and signs at once."""
    from studyapp.protocol.loader import get_protocol
    from studyapp.subjects import checklist

    subject = factories.make_eligible(users["investigator"], answered=False)
    judged = [c for c in get_protocol().eligibility if c.check == "investigator"]
    auth.login("crc.user")
    detail = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "<strong>Next: the investigator</strong> — answer the criteria judged" in detail
    assert 'data-testid="enrol-disabled"' in detail
    assert "Enrolment needs every criterion answered and satisfied" in detail
    enrol = client.get(f"/subjects/{subject.id}/enrol").get_data(as_text=True)
    assert 'disabled aria-describedby="enrol-blocked"' in enrol
    auth.logout()

    auth.login("inv.user")
    path = f"/subjects/{subject.id}/eligibility"
    page = client.get(path).get_data(as_text=True)
    assert "Save answers and sign" in page
    answers = {c.code: "yes" if c.kind == "inclusion" else "no" for c in judged}
    sign = {"which": "sign", "username": "inv.user", **answers}
    wrong = form_post(client, path, {**sign, "password": "not my password"})
    assert wrong.status_code == 422
    assert "The password is not correct." in wrong.get_data(as_text=True)
    assert 'value="yes" checked' in wrong.get_data(as_text=True)  # the answers are kept
    assert checklist.answers(subject) == {}  # and nothing of them saved
    signed = form_post(client, path, {**sign, "password": PASSWORD})
    assert signed.status_code == 302
    assert checklist.answers(subject) == {c: v == "yes" for c, v in answers.items()}
    assert checklist.eligibility_signature_current(subject)
    auth.logout()

    auth.login("crc.user")
    detail = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "<strong>Next: the study coordinator</strong> — enrol the subject" in detail
    assert 'data-testid="enrol-disabled"' not in detail
    assert f'href="/subjects/{subject.id}/enrol"' in detail


def test_answers_from_the_checklist(client, users, auth):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    factories.consent(inv, subject)
    auth.login("inv.user")
    response = form_post(
        client,
        f"/subjects/{subject.id}/eligibility",
        {"which": "answers", "IN06": "yes", "EX04": "no"},
    )
    assert response.status_code == 302
    from studyapp.subjects import checklist

    assert checklist.answers(subject) == {"IN06": True, "EX04": False}
    changed = form_post(
        client, f"/subjects/{subject.id}/eligibility", {"which": "answers", "EX04": "yes"}
    )
    follow = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "reason" in follow.lower()
    assert checklist.answers(subject)["EX04"] is False  # not changed without a reason


def test_enrol_page_explains_the_closed_gate(client, users, auth):
    inv = users["investigator"]
    for n in range(3):
        freeze_clock(datetime(2026, 3, 2, 1, tzinfo=UTC) + timedelta(days=7 * n))
        factories.make_enrolled(inv, TODAY + timedelta(days=7 * n))
    freeze_clock(datetime(2026, 3, 20, 1, tzinfo=UTC))
    waiting = factories.make_signed(inv)
    auth.login("crc.user")
    response = form_post(client, f"/subjects/{waiting.id}/enrol", {"day1": "2026-03-20"})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "paused until every run-in subject" in body
    assert "2026-04-12" in body  # the third subject's DLT window ends on Day 28
    dashboard = client.get("/subjects/").get_data(as_text=True)
    assert 'data-testid="gate-state">paused: DLT windows running' in dashboard
    assert 'data-testid="enrolled-count">3</strong> / 20' in dashboard


def test_dlt_review_page_opens_enrolment(client, users, auth):
    inv = users["investigator"]
    cohort = []
    for n in range(3):
        freeze_clock(datetime(2026, 3, 2, 1, tzinfo=UTC) + timedelta(days=7 * n))
        cohort.append(factories.make_enrolled(inv, TODAY + timedelta(days=7 * n)))
    freeze_clock(datetime(2026, 4, 13, 1, tzinfo=UTC))
    auth.login("inv.user")
    page = client.get("/subjects/run-in").get_data(as_text=True)
    assert 'data-testid="dlt-review"' in page
    data = {f"dlt-{s.id}": "no" for s in cohort} | {
        "decision": "continue",
        "comments": "no DLT",
        "username": "inv.user",
        "password": PASSWORD,
    }
    response = client.post("/subjects/run-in", data={"csrf_token": csrf_token(page), **data})
    assert response.status_code == 302
    assert "enrolment open" in client.get("/subjects/").get_data(as_text=True)


def test_screen_failure_and_disposition_pages(client, users, auth):
    inv = users["investigator"]
    failing = factories.screen_subject(inv)
    enrolled = factories.make_enrolled(inv, TODAY)
    auth.login("inv.user")
    assert (
        form_post(
            client, f"/subjects/{failing.id}/screen-fail", {"reason": "declined further tests"}
        ).status_code
        == 302
    )
    response = form_post(
        client,
        f"/subjects/{enrolled.id}/disposition",
        {"decod": "WITHDRAWAL BY SUBJECT", "on": "2026-03-02", "reason": "moved away"},
    )
    assert response.status_code == 302
    listing = client.get("/subjects/", query_string={"phase": "discontinued"}).get_data(
        as_text=True
    )
    assert enrolled.subject_number in listing
    assert failing.screening_number not in listing


def test_dashboard_sorts_filters_and_refuses_unknown_columns(client, users, auth):
    inv = users["investigator"]
    factories.screen_subject(inv)
    factories.screen_subject(inv)
    auth.login("mon.user")
    page = client.get("/subjects/", query_string={"sort": "screening", "desc": "1"})
    numbers = re.findall(r">(S01-\d{3})</a>", page.get_data(as_text=True))
    assert numbers == ["S01-002", "S01-001"]
    assert client.get("/subjects/", query_string={"sort": "id; drop table"}).status_code == 400
    assert client.get("/subjects/", query_string={"phase": "nonsense"}).status_code == 400


@pytest.mark.req("P11-09")
def test_monitor_reads_but_cannot_register_or_sign(client, users, auth):
    subject = factories.make_eligible(users["investigator"])
    auth.login("mon.user")
    assert client.get(f"/subjects/{subject.id}").status_code == 200
    assert client.get("/subjects/screen").status_code == 403
    response = form_post(
        client,
        f"/subjects/{subject.id}/eligibility",
        {"username": "mon.user", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert client.get("/subjects/999999").status_code == 404


def test_prior_therapy_and_history_pages(client, users, auth):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    factories.consent(inv, subject)
    auth.login("crc.user")
    path = f"/subjects/{subject.id}/therapies"
    added = form_post(
        client,
        path,
        {
            "category": "tpo_ra",
            "name": "eltrombopag",
            "start_date": "2024-02",
            "stop_date": "2024-09",
            "best_response": "R",
            "reason_stopped": "RELAPSE",
        },
    )
    assert added.status_code == 302
    bad = form_post(
        client,
        f"/subjects/{subject.id}/history",
        {"mh-term": "hypertension", "mh-start_date": "2020-13"},
        page=path,
    )
    assert bad.status_code == 422
    assert 'value="hypertension"' in bad.get_data(as_text=True)
    good = form_post(
        client,
        f"/subjects/{subject.id}/history",
        {"mh-term": "hypertension", "mh-start_date": "2020", "mh-ongoing": "y"},
        page=path,
    )
    assert good.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "TPO receptor agonist" in page
    assert "hypertension" in page
    from studyapp.subjects import history

    therapy = history.therapies(subject)[0]
    removed = form_post(
        client, f"{path}/{therapy.id}/remove", {"reason": "entered twice"}, page=path
    )
    assert removed.status_code == 302
    assert history.therapies(subject) == []
    no_reason = form_post(client, f"{path}/{therapy.id}/remove", {"reason": ""}, page=path)
    assert no_reason.status_code == 302  # refused with a message, nothing changed


def test_consent_correction_needs_a_reason(client, users, auth):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    factories.consent(inv, subject)
    auth.login("crc.user")
    data = {
        "consent_date": "2026-03-02",
        "consent_time": "10:45",
        "version": "2.0",
        "obtained_by_id": str(users["coordinator"].id),
    }
    refused = form_post(client, f"/subjects/{subject.id}/consent", data)
    assert refused.status_code == 422
    assert "Give a reason for this change." in refused.get_data(as_text=True)
    fixed = form_post(
        client,
        f"/subjects/{subject.id}/consent",
        {**data, "reason": "time copied wrongly from the form"},
    )
    assert fixed.status_code == 302
