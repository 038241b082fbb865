"""The safety run-in gate and the signed DLT review (issue 4, DOMAIN.md section 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, PermissionDenied, ValidationFailed
from studyapp.safety import runin as dlt_review
from studyapp.subjects import runin, services
from tests import factories
from tests.factories import PASSWORD

T0 = date(2026, 3, 2)


def on(day: date) -> None:
    freeze_clock(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))


def enrol_on(inv, day: date):
    on(day)
    return factories.make_enrolled(inv, day)


@pytest.fixture
def cohort(app, users):
    """Three run-in subjects dosed 7 days apart: Day 1 on T0, T0+7, T0+14."""
    inv = users["investigator"]
    return [enrol_on(inv, T0 + timedelta(days=7 * n)) for n in range(3)]


def sign(inv, findings, decision, **kw):
    with acting_as(inv):
        return dlt_review.sign_review(
            inv,
            findings=findings,
            decision=decision,
            comments="",
            password=PASSWORD,
            username=None,
            **kw,
        )


def test_run_in_subjects_are_dosed_one_at_a_time(app, users):
    inv = users["investigator"]
    enrol_on(inv, T0)
    on(T0 + timedelta(days=6))
    subject = factories.make_signed(inv)
    with acting_as(inv), pytest.raises(ValidationFailed) as excinfo:
        services.enrol(inv, subject.id, day1=T0 + timedelta(days=6))
    assert "no earlier than 2026-03-09" in excinfo.value.field_errors["day1"][0]


def test_enrolment_pauses_after_the_cohort_and_says_until_when(app, users, cohort):
    inv = users["investigator"]
    assert all(s.run_in for s in cohort)
    state = runin.gate(T0 + timedelta(days=14))
    assert state.state == "waiting"
    last_window_end = T0 + timedelta(days=14 + 27)
    assert state.until == last_window_end + timedelta(days=1)
    assert str(last_window_end) in state.message
    assert [m.days_left for m in state.subjects] == [13, 20, 27]
    on(T0 + timedelta(days=15))
    subject = factories.make_signed(inv)
    with pytest.raises(Conflict, match="paused until every run-in subject"):
        services.enrol(inv, subject.id, day1=T0 + timedelta(days=15))
    with pytest.raises(Conflict):
        runin.check_can_dose(subject)


def test_the_review_is_due_only_after_every_dlt_window(app, users, cohort):
    inv = users["investigator"]
    on(T0 + timedelta(days=14 + 27))
    with pytest.raises(Conflict):
        sign(inv, {s.id: (False, "") for s in cohort}, "continue")
    on(T0 + timedelta(days=14 + 28))
    assert runin.gate().state == "review_due"


@pytest.mark.req("P11-08")
def test_a_signed_review_with_no_dlt_opens_enrolment(app, users, cohort):
    inv = users["investigator"]
    on(T0 + timedelta(days=42))
    with pytest.raises(ValidationFailed, match="Answer DLT yes or no"):
        sign(inv, {cohort[0].id: (False, "")}, "continue")
    with pytest.raises(PermissionDenied):
        dlt_review.sign_review(
            users["coordinator"],
            findings={},
            decision="continue",
            comments="",
            password=PASSWORD,
            username=None,
        )
    review = sign(inv, {s.id: (False, "") for s in cohort}, "continue")
    assert (review.dlt_count, review.rule_outcome, review.decision) == (0, "open", "continue")
    assert runin.gate().state == "open"
    fourth = factories.make_enrolled(inv, T0 + timedelta(days=42))
    assert not fourth.run_in
    assert fourth.subject_number == "ITP-004"
    runin.check_can_dose(fourth)


def test_one_dlt_expands_the_run_in_and_continue_is_refused(app, users, cohort):
    inv = users["investigator"]
    on(T0 + timedelta(days=42))
    findings = {s.id: (s is cohort[1], "grade 3 rash" if s is cohort[1] else "") for s in cohort}
    with pytest.raises(ValidationFailed) as excinfo:
        sign(inv, findings, "continue")
    assert "gives 'expand the run-in'" in excinfo.value.field_errors["decision"][0]
    review = sign(inv, findings, "modify")
    assert review.rule_outcome == "expand"
    state = runin.gate()
    assert (state.state, state.cohort_size, state.dlt_count) == ("expanding", 6, 1)
    fourth = factories.make_enrolled(inv, T0 + timedelta(days=42))
    assert fourth.run_in


def test_two_dlts_halt_enrolment(app, users, cohort):
    inv = users["investigator"]
    on(T0 + timedelta(days=42))
    findings = {s.id: (s is not cohort[0], "grade 4 IRR") for s in cohort}
    with pytest.raises(ValidationFailed):
        sign(inv, findings, "modify")
    sign(inv, findings, "stop")
    state = runin.gate()
    assert state.state == "halted"
    assert not state.enrolment_open
    subject = factories.make_signed(inv)
    with pytest.raises(Conflict, match="halted"):
        services.enrol(inv, subject.id, day1=T0 + timedelta(days=42))


def test_a_failed_signature_writes_no_review(app, users, cohort):
    from sqlalchemy import select

    from studyapp.extensions import db
    from studyapp.subjects.models import DltReview

    inv = users["investigator"]
    on(T0 + timedelta(days=42))
    with acting_as(inv), pytest.raises(ValidationFailed):
        dlt_review.sign_review(
            inv,
            findings={s.id: (False, "") for s in cohort},
            decision="continue",
            comments="",
            password="not the password",
            username=None,
        )
    assert list(db.session.scalars(select(DltReview))) == []
    assert runin.gate().state == "review_due"
