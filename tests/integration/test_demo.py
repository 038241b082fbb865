"""The demo study of `flask demo-data` (make run), built only through the real services.

The demo is dated back from the site's today (``site_today``); the tests that compare with
today take it from the same clock, and the visit statuses are also checked either side of the
site's midnight (a demo load per clock is slow, so only there).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from studyapp.audit.models import AuditLog
from studyapp.clinical import adverse
from studyapp.db import site_today, site_zone, utcnow
from studyapp.demo.loader import REPEAT_COUNT, demo_summary, load_demo
from studyapp.extensions import db
from studyapp.safety import events, overview, sae, tasks
from studyapp.safety import runin as dlt_review
from studyapp.safety.models import (
    FOLLOW_UP,
    INITIAL,
    NOT_AE,
    RECORDED_AE,
    AdverseEvent,
    LabAeDecision,
)
from studyapp.signatures.models import Signature
from studyapp.subjects import checklist, history, runin
from studyapp.subjects.models import ENROLLED, SCREEN_FAILED, SCREENING, Subject
from studyapp.visits.dosing import plan as dose_plan
from studyapp.visits.dosing.checks import steps_of
from tests.conftest import TemplateSpec

pytestmark = pytest.mark.both_engines  # the demo study's data through every constraint


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def subjects(*where):
    return list(db.session.scalars(select(Subject).where(*where).order_by(Subject.id)))


def who(table, field):
    """The users whose audit rows changed ``table.field``."""
    rows = select(AuditLog.username).where(AuditLog.table_name == table, AuditLog.field == field)
    return set(db.session.scalars(rows))


#: The clock when each demo template finished loading, and the clock it should be back on.
RELEASED: dict[str, tuple[datetime, datetime]] = {}


@pytest.fixture
def database_template(site_clock):
    """The demo study, loaded once per engine and site date (it is dated back from the site's
    today) and cloned for each test: every test gets its own copy, as if it had loaded it."""
    day = site_today().isoformat()

    def load(app):
        load_demo()
        RELEASED[day] = (utcnow(), site_clock or datetime.now(UTC))  # the clock after loading

    return TemplateSpec(f"demo-{day}", load)


@pytest.fixture
def demo(app):
    users = load_demo()  # the second load on the copy: adds nothing, returns the accounts
    db.session.expire_all()
    return {user.username: user for user in users}


def test_the_demo_study_has_screened_failed_enrolled_and_run_in_subjects(demo):
    assert count(Subject) == 8
    assert count(Subject, Subject.status == SCREEN_FAILED) == 2
    assert count(Subject, Subject.status == ENROLLED) == 5
    assert count(Subject, Subject.status == SCREENING) == 1
    assert len(runin.run_in_subjects()) == 3
    assert demo_summary().startswith(
        "Demo study: 8 screened, 5 enrolled (3 in the safety run-in), 2 screen failures, "
        "1 in screening; run-in gate: open.\n"
        "Monitoring: 4 queries (1 open, 1 answered, 2 closed), "
    )


def test_the_run_in_is_complete_and_its_signed_review_opens_enrolment(demo):
    today = site_today()
    state = runin.gate()
    assert state.state == "open"
    review = state.review
    assert (review.decision, review.dlt_count, review.cohort_size) == ("continue", 0, 3)
    signature = db.session.get(Signature, review.signature_id)
    assert signature.user_id == demo["inv.zhang"].id
    assert signature.meaning == dlt_review.MEANING
    days1 = [m.subject.day1_date for m in state.subjects]
    assert all(later - earlier >= timedelta(days=7) for earlier, later in pairwise(days1))
    signed_on = signature.signed_at.astimezone(site_zone()).date()
    assert all(m.window_end < signed_on < today for m in state.subjects)
    later = subjects(Subject.status == ENROLLED, Subject.run_in.is_(False))
    assert len(later) == 2
    assert all(s.enrolled_at > signature.signed_at for s in later)
    assert all(s.day1_date > today - timedelta(days=60) for s in later)


def test_the_subjects_are_realistic_and_identify_nobody(demo):
    everyone = subjects()
    assert {s.sex for s in everyone} == {"M", "F"}
    assert all(25 <= s.age_years <= 70 for s in everyone)
    assert all(s.initials.isalpha() and 2 <= len(s.initials) <= 3 for s in everyone)
    assert all(s.birth_year is None and s.consented for s in everyone)
    for s in subjects(Subject.status == ENROLLED):
        assert s.platelet_count < 30
        assert checklist.eligibility_signature_current(s)
        assert {t.category for t in history.therapies(s)} & {"rituximab", "tpo_ra"}
    assert sum(bool(history.history(s)) for s in everyone) >= 6
    failed = {
        s.screen_failed_criteria: s.screen_fail_reason
        for s in subjects(Subject.status == SCREEN_FAILED)
    }
    assert set(failed) == {"IN03", "EX03"}
    assert all(reason for reason in failed.values())
    (waiting,) = subjects(Subject.status == SCREENING)
    assert waiting.platelet_count is not None
    assert waiting.alt is None
    assert checklist.answers(waiting) == {}


def test_a_second_load_adds_nothing(demo):
    rows = count(AuditLog)
    users = load_demo()
    assert sorted(u.username for u in users) == sorted(demo)
    assert (count(Subject), count(AuditLog)) == (8, rows)


def test_the_demo_trail_verifies_and_names_who_did_each_step(app, demo):
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    anonymous = db.session.execute(
        select(AuditLog.table_name, AuditLog.action).where(AuditLog.username.is_(None))
    ).all()
    assert anonymous
    assert set(anonymous) == {("user", "insert")}
    stamps = list(db.session.scalars(select(AuditLog.ts).order_by(AuditLog.seq)))
    assert stamps == sorted(stamps)  # the history was written in date order
    assert who("subject", "screening_number") == {"crc.li"}
    assert who("subject", "consent_date") == {"crc.li"}
    assert who("subject", "platelet_count") == {"inv.zhang"}
    assert who("subject", "subject_number") == {"inv.zhang"}
    assert who("dlt_review", "decision") == {"inv.zhang"}
    assert who("signature", "meaning") == {"inv.zhang"}
    changed = select(AuditLog.reason).where(
        AuditLog.field == "platelet_count", AuditLog.old_value.is_not(None)
    )
    assert list(db.session.scalars(changed)) == [REPEAT_COUNT] * 5


def test_loading_releases_the_clock(demo, site_clock, database_template):
    """Back to the run's clock (pinned by --clock, else the system's) after the demo's dates."""
    assert abs(utcnow() - (site_clock or datetime.now(UTC))) < timedelta(minutes=5)
    # The load this copy is of, by the site date its template was keyed on (not today's:
    # a test that straddles the site's midnight would look for the next day's load).
    after_load, expected = RELEASED[database_template.key.removeprefix("demo-")]
    assert abs(after_load - expected) < timedelta(minutes=5)


@pytest.mark.site_midnight
def test_the_demo_visits_give_responders_a_non_responder_a_rescue_and_an_overdue_visit(demo):
    from studyapp.visits import summary
    from studyapp.visits.models import RESCUE, DoseAdministration, Medication
    from studyapp.visits.schedule import service as schedule

    today = site_today()
    enrolled = subjects(Subject.status == ENROLLED)
    best = {}
    for s in enrolled:
        info = summary.summary(s, today)
        best[s.subject_number] = info.assessment.best_response
    assert best == {
        "ITP-001": "CR",
        "ITP-002": "R",
        "ITP-003": "NR",
        "ITP-004": "NR",
        "ITP-005": "NR",
    }
    rescue = db.session.scalars(select(Medication).where(Medication.category == RESCUE)).all()
    assert [(m.rescue_type, len(m.start_date)) for m in rescue] == [("IVIG", 10)]
    statuses = [
        (s.subject_number, r.code, r.status)
        for s in enrolled
        for r in schedule.calendar(s, today)
        if r.status in ("overdue", "due")
    ]
    assert ("ITP-004", "D22", "overdue") in statuses
    assert sum(1 for _s, _c, status in statuses if status == "overdue") == 1
    assert count(DoseAdministration) == 8 * 3 + 3 + 1  # the run-in subjects had all 8 doses
    assert who("lab_result", "stresn") == {"inv.zhang"}


def enrolled(number):
    (subject,) = subjects(Subject.subject_number == number)
    return subject


def test_the_demo_infusion_reaction_follows_the_first_dose_and_slows_later_infusions(demo):
    from studyapp.visits.models import DoseAdministration

    subject = enrolled("ITP-001")
    (irr,) = [r for r in events.listing(subject) if r.irr]
    dose = db.session.get(DoseAdministration, irr.dose_id)
    assert (dose.subject_id, dose.dose_number, dose.ec_date) == (subject.id, 1, subject.day1_date)
    assert (irr.aedecod, irr.grade, irr.aeser, irr.aerel) == (
        "Infusion related reaction",
        2,
        False,
        "RELATED",
    )
    assert irr.start_date == irr.end_date == subject.day1_date.isoformat()
    assert (irr.aeacn, irr.aeout) == ("DRUG INTERRUPTED", "RECOVERED/RESOLVED")
    assert not irr.dlt_candidate  # in the DLT window, but grade 2
    assert (dose.interrupted, dose.interruption_minutes) == (True, 35)
    assert dose_plan.irr_history(subject.id, 3) == (True, True)
    later = [d for d in events.doses(subject) if d.dose_number >= 3]
    assert all(steps_of(d)[0].rate == 50 for d in later)  # the first start rate again
    fatigue = [r for r in events.listing(subject) if r.aedecod == "Fatigue"]
    assert [r.grade for r in fatigue] == [1, 2, 1]
    assert len({r.episode_id for r in fatigue}) == 1
    assert (fatigue[-1].ongoing, fatigue[-1].aeout) == (False, "RECOVERED/RESOLVED")


def test_the_demo_sae_met_its_clock_and_its_reports_keep_their_pdf(demo):
    inv = demo["inv.zhang"]
    (item,) = sae.saes(inv)
    record = item.record
    assert item.subject.subject_number == "ITP-003"
    assert (record.aedecod, record.grade, record.aeshosp, record.relatedness) == (
        "Epistaxis",
        3,
        True,
        "unlikely",
    )
    assert sae.required_kinds(record) == [INITIAL]  # unlikely related: not a SUSAR
    assert [(c.kind, c.state) for c in item.clocks] == [(INITIAL, adverse.MET)]
    assert [(r.kind, r.number) for r in item.reports] == [(INITIAL, 0), (FOLLOW_UP, 1)]
    for report in item.reports:
        assert report.pdf.startswith(b"%PDF")
        assert report.pdf_sha256 == hashlib.sha256(report.pdf).hexdigest()
        assert report.submitted_by_id == inv.id
    initial, follow_up = item.reports
    assert timedelta(hours=6) < initial.submitted_at - record.aware_at < timedelta(hours=24)
    assert follow_up.submitted_at > initial.submitted_at + timedelta(days=3)
    assert (record.ongoing, record.aeout) == (False, "RECOVERED/RESOLVED")
    reasons = select(AuditLog.reason).where(
        AuditLog.table_name == "adverse_event", AuditLog.field == "aeout"
    )
    assert "Follow-up: resolved after discharge" in set(db.session.scalars(reasons))
    assert who("sae_report", "pdf_sha256") == {"inv.zhang"}
    assert who("adverse_event", "grade") == {"inv.zhang"}


def test_the_demo_overview_lists_the_grade_3_events_and_the_sae(demo):
    found = overview.overview(demo["inv.zhang"])
    severe = {
        (e.subject.subject_number, e.first.aedecod, e.worst, e.serious, e.related)
        for e in found.severe_or_serious
    }
    assert severe == {
        ("ITP-002", "Hypertension", 3, False, False),
        ("ITP-003", "Epistaxis", 3, True, False),
    }
    assert [e.subject.subject_number for e in found.serious] == ["ITP-003"]
    assert [(e.subject.subject_number, e.worst) for e in found.irrs] == [("ITP-001", 2)]
    (fatigue,) = [e for e in found.episodes if e.first.aedecod == "Fatigue"]
    assert (fatigue.grades, fatigue.worst) == ([1, 2, 1], 2)  # the worst, not the latest
    assert found.dlts == []
    assert found.subjects_by_grade == {1: 0, 2: 1, 3: 2, 4: 0, 5: 0}


def test_the_demo_lab_tasks_are_answered_but_one(demo):
    (task,) = tasks.open_tasks(demo["inv.zhang"])
    assert (task.subject_label, task.testcd, task.grade) == ("ITP-004", "NEUT", 3)
    answers = {
        db.session.get(Subject, d.subject_id).subject_number: (d.decision, d.ae_id, d.reason)
        for d in db.session.scalars(select(LabAeDecision))
    }
    assert set(answers) == {"ITP-002", "ITP-003"}
    decision, _ae_id, reason = answers["ITP-002"]
    assert (decision, bool(reason)) == (NOT_AE, True)
    decision, ae_id, _reason = answers["ITP-003"]
    assert decision == RECORDED_AE
    assert db.session.get(AdverseEvent, ae_id).aedecod == "Epistaxis"


def test_the_demo_shows_queries_sdv_a_signed_casebook_and_a_frozen_visit(demo):
    from studyapp.crf.status import FROZEN
    from studyapp.demo import monitoring as demo_monitoring
    from studyapp.monitoring import signoff
    from studyapp.monitoring.locks import services as locks
    from studyapp.monitoring.queries import models as qm
    from studyapp.monitoring.sdv.models import SdvMark
    from studyapp.monitoring.sdv.scope import planned

    states = [q.state for q in db.session.scalars(select(qm.DataQuery))]
    assert {qm.OPEN, qm.ANSWERED, qm.CLOSED} <= set(states)
    kinds = set(db.session.scalars(select(qm.QueryMessage.kind)))
    assert {qm.RAISE, qm.REPLY, qm.ANSWER_BY_CHANGE, qm.CLOSE} <= kinds
    # some planned records verified, some not, one verification cleared by the correction
    marks = list(db.session.scalars(select(SdvMark)))
    active = {(m.form, m.table_name, m.row_id, m.field) for m in marks if m.active}
    verified = unverified = 0
    for item in planned():
        for record in db.session.scalars(select(item.model)):
            if not item.covers(record) or record.deleted_at is not None:
                continue
            done = [(item.code, *t) in active for t in item.targets(record)]
            verified += all(done)
            unverified += not any(done)
    assert verified > 0
    assert unverified > 0
    (cleared,) = [m for m in marks if not m.active]
    assert (cleared.form, cleared.field) == ("VS", "pulse")
    assert cleared.cleared_reason == demo_monitoring.CORRECTION
    assert cleared.cleared_by_id == demo["inv.zhang"].id
    assert (cleared.form, cleared.table_name, cleared.row_id, cleared.field) not in active
    assert who("sdv_mark", "field") == {"mon.chen"}
    # ITP-001: casebook signed by the investigator and still valid, Day 1 frozen
    first = enrolled("ITP-001")
    state = signoff.casebook_state(first.id)
    assert state.state == signoff.SIGNED
    assert state.signature.user_id == demo["inv.zhang"].id
    others = subjects(Subject.status == ENROLLED, Subject.id != first.id)
    assert all(signoff.casebook_state(s.id).state == signoff.UNSIGNED for s in others)
    frozen = locks.state_of(first.id, demo_monitoring.visitnum("D1"), None)
    assert (frozen.state, frozen.scope, frozen.by) == (FROZEN, "visit", "Wang Fang")
    assert locks.state_of(first.id, demo_monitoring.visitnum("D8"), None) is None
    assert demo_summary().endswith(
        "(1 cleared by a correction), 1 signed casebook, 1 frozen visit."
    )


def test_the_demo_monitoring_pages_answer(app, demo, auth):
    from flask import current_app

    password = current_app.config["DEMO_PASSWORD"]
    assert auth.login("mon.chen", password).status_code == 302
    pages = {
        path: auth.client.get(path)
        for path in ("/monitoring/queries", "/monitoring/sdv/", "/monitoring/locks")
    }
    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(pages, 200)
    assert "ITP-005" in pages["/monitoring/queries"].get_data(as_text=True)
    assert "ITP-001" in pages["/monitoring/locks"].get_data(as_text=True)
    auth.logout()
    assert auth.login("inv.zhang", password).status_code == 302
    page = auth.client.get("/signatures/casebooks")
    assert page.status_code == 200
    assert "ITP-002" in page.get_data(as_text=True)  # ready to sign; ITP-001 is signed


def test_every_enrolled_demo_subject_has_the_screening_examinations(demo):
    from studyapp.visits.assessments.models import BloodBank, Ecg, PhysicalExam

    enrolled = {s.id for s in subjects(Subject.status == ENROLLED)}
    for model in (PhysicalExam, Ecg, BloodBank):
        filled = set(db.session.scalars(select(model.subject_id).where(model.status == "complete")))
        assert enrolled <= filled, model.__tablename__
