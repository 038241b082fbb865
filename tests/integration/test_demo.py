"""The demo study of `flask demo-data` (make run), built only through the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from studyapp.audit.models import AuditLog
from studyapp.db import utcnow
from studyapp.demo import REPEAT_COUNT, demo_summary, load_demo
from studyapp.extensions import db
from studyapp.signatures.models import Signature
from studyapp.subjects import checklist, history, runin
from studyapp.subjects.models import ENROLLED, SCREEN_FAILED, SCREENING, Subject


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def subjects(*where):
    return list(db.session.scalars(select(Subject).where(*where).order_by(Subject.id)))


def who(table, field):
    """The users whose audit rows changed ``table.field``."""
    rows = select(AuditLog.username).where(AuditLog.table_name == table, AuditLog.field == field)
    return set(db.session.scalars(rows))


@pytest.fixture
def demo(app):
    users = load_demo()
    db.session.expire_all()
    return {user.username: user for user in users}


def test_the_demo_study_has_screened_failed_enrolled_and_run_in_subjects(demo):
    assert count(Subject) == 8
    assert count(Subject, Subject.status == SCREEN_FAILED) == 2
    assert count(Subject, Subject.status == ENROLLED) == 5
    assert count(Subject, Subject.status == SCREENING) == 1
    assert len(runin.run_in_subjects()) == 3
    assert demo_summary() == (
        "Demo study: 8 screened, 5 enrolled (3 in the safety run-in), 2 screen failures, "
        "1 in screening; run-in gate: open."
    )


def test_the_run_in_is_complete_and_its_signed_review_opens_enrolment(demo):
    today = utcnow().date()
    state = runin.gate()
    assert state.state == "open"
    review = state.review
    assert (review.decision, review.dlt_count, review.cohort_size) == ("continue", 0, 3)
    signature = db.session.get(Signature, review.signature_id)
    assert signature.user_id == demo["inv.zhang"].id
    assert signature.meaning == runin.MEANING
    days1 = [m.subject.day1_date for m in state.subjects]
    assert all(later - earlier >= timedelta(days=7) for earlier, later in pairwise(days1))
    assert all(m.window_end < signature.signed_at.date() < today for m in state.subjects)
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


def test_loading_releases_the_clock(demo):
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_demo_visits_give_responders_a_non_responder_a_rescue_and_an_overdue_visit(demo):
    from studyapp.db import site_today
    from studyapp.visits import calendar, summary
    from studyapp.visits.models import RESCUE, DoseAdministration, Medication

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
        for r in calendar.calendar(s, today)
        if r.status in ("overdue", "due")
    ]
    assert ("ITP-004", "D22", "overdue") in statuses
    assert sum(1 for _s, _c, status in statuses if status == "overdue") == 1
    assert count(DoseAdministration) == 8 * 3 + 3 + 1  # the run-in subjects had all 8 doses
    assert who("lab_result", "stresn") == {"inv.zhang"}
