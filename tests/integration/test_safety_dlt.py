"""Dose-limiting toxicities: candidacy of run-in subjects' AEs, the investigator's decision,
and how confirmed DLTs drive the run-in gate and the signed DLT review."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, PermissionDenied, ValidationFailed
from studyapp.extensions import db
from studyapp.safety import events
from studyapp.safety import runin as dlt_review
from studyapp.subjects import runin, services
from studyapp.transaction import transaction
from tests import factories
from tests.factories import PASSWORD

T0 = date(2026, 3, 2)  # Day 1 of the first run-in subject
GRADE_3 = {"aeterm": "severe headache", "ctcae_term": "Headache", "grade": 3}


def on(day: date) -> None:
    freeze_clock(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))


def enrol_on(inv, day: date):
    on(day)
    return factories.make_enrolled(inv, day)


def day(subject, n: int) -> str:
    """The date of study day *n* of the subject, as the AE form takes it."""
    return (subject.day1_date + timedelta(days=n - 1)).isoformat()


@pytest.fixture
def inv(users):
    return users["investigator"]


@pytest.fixture
def first(app, inv):
    """The first subject enrolled: run-in; AEs are recorded on Day 41, after the window."""
    subject = enrol_on(inv, T0)
    on(T0 + timedelta(days=40))
    return subject


@pytest.fixture
def cohort(app, inv):
    """Three run-in subjects dosed 7 days apart: Day 1 on T0, T0+7, T0+14."""
    return [enrol_on(inv, T0 + timedelta(days=7 * n)) for n in range(3)]


def decide(actor, record, decision, reason):
    with acting_as(actor), transaction():
        return events.decide_dlt(
            actor,
            record.subject_id,
            record.id,
            decision=decision,
            reason=reason,
            version=record.version,
        )


def sign(inv, findings, decision):
    with acting_as(inv):
        return dlt_review.sign_review(
            inv,
            findings=findings,
            decision=decision,
            comments="",
            password=PASSWORD,
            username=None,
        )


# --- candidacy ----------------------------------------------------------------------------


def test_a_related_grade_3_toxicity_in_the_window_is_a_candidate(first, inv):
    assert first.run_in
    record = factories.record_ae(inv, first, **GRADE_3, start_date=day(first, 10))
    assert (record.dlt_candidate, record.dlt_reason, record.dlt_decision) == (
        True,
        "non_hematologic",
        None,
    )


@pytest.mark.parametrize(
    ("study_day", "candidate"),
    [(-1, False), (1, True), (28, True), (29, False)],
)
def test_the_dlt_window_is_days_1_to_28(first, inv, study_day, candidate):
    record = factories.record_ae(inv, first, **GRADE_3, start_date=day(first, study_day))
    assert record.dlt_candidate is candidate
    if not candidate:
        assert record.dlt_reason == "not_in_window"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"relatedness": "unlikely"}, "not_related", id="unlikely"),
        pytest.param({"relatedness": "not_related"}, "not_related", id="not-related"),
        pytest.param({"grade": 2}, "below_grade", id="grade-2"),
        pytest.param(
            {"ctcae_term": "Platelet count decreased", "grade": 4},
            "low_platelets",
            id="low-platelets",
        ),
    ],
)
def test_what_is_not_a_candidate(first, inv, changes, reason):
    record = factories.record_ae(inv, first, **GRADE_3 | changes, start_date=day(first, 10))
    assert (record.dlt_candidate, record.dlt_reason) == (False, reason)


def test_a_grade_3_gi_toxicity_is_a_candidate_with_its_exception(first, inv):
    record = factories.record_ae(
        inv, first, ctcae_term="Nausea", aeterm="nausea", grade=3, start_date=day(first, 10)
    )
    assert (record.dlt_candidate, record.dlt_reason) == (True, "non_hematologic,gi_controlled")


def test_a_grade_3_irr_is_a_candidate_unless_it_resolved(first, inv):
    dose = factories.give_dose(inv, first, "1", T0)
    record = factories.record_ae(
        inv,
        first,
        aeterm="chills and wheeze during infusion",
        ctcae_term="Infusion related reaction",
        grade=3,
        irr=True,
        dose_id=dose.id,
        start_date=day(first, 1),
        aeacn="DRUG INTERRUPTED",
    )
    assert record.dlt_candidate
    assert record.dlt_reason.split(",") == ["irr", "irr_resolved"]


def test_a_partial_onset_that_may_fall_in_the_window_is_an_uncertain_candidate(first, inv):
    record = factories.record_ae(inv, first, **GRADE_3, start_date="2026-03")
    assert record.dlt_candidate
    assert "onset_uncertain" in record.dlt_reason.split(",")


def test_correcting_an_ae_re_evaluates_candidacy(first, inv):
    record = factories.record_ae(inv, first, **GRADE_3 | {"grade": 2}, start_date=day(first, 10))
    assert not record.dlt_candidate
    with acting_as(inv), transaction():
        events.update(
            inv,
            first.id,
            record.id,
            dataclasses.replace(events.entry_of(record), grade=3),
            version=record.version,
            reason="grade misread",
        )
    assert (record.dlt_candidate, record.dlt_reason) == (True, "non_hematologic")


def test_an_ae_of_a_subject_outside_the_run_in_is_never_a_candidate(cohort, inv):
    on(T0 + timedelta(days=42))
    sign(inv, {s.id: (False, "") for s in cohort}, "continue")
    fourth = factories.make_enrolled(inv, T0 + timedelta(days=42))
    assert not fourth.run_in
    on(T0 + timedelta(days=60))
    record = factories.record_ae(inv, fourth, **GRADE_3, start_date=day(fourth, 10))
    assert (record.dlt_candidate, record.dlt_reason) == (False, None)


# --- the investigator's decision ----------------------------------------------------------


@pytest.mark.req("P11-05")
def test_confirming_a_candidate_needs_a_reason_and_is_audited(first, inv):
    record = factories.record_ae(inv, first, **GRADE_3, start_date=day(first, 10))
    with pytest.raises(ValidationFailed) as excinfo:
        decide(inv, record, "confirmed", "  ")
    assert "dlt_reason" in excinfo.value.field_errors
    with pytest.raises(ValidationFailed) as excinfo:
        decide(inv, record, "maybe", "unsure")
    assert "decision" in excinfo.value.field_errors
    decide(inv, record, "confirmed", "no other cause; resolved on stopping")
    assert (record.dlt_decision, record.dlt_decided_by_id, record.dlt_decided_at) == (
        "confirmed",
        inv.id,
        datetime(2026, 4, 11, 1, 0, tzinfo=UTC),
    )
    row = db.session.scalar(
        select(AuditLog).where(
            AuditLog.table_name == "adverse_event",
            AuditLog.row_id == str(record.id),
            AuditLog.field == "dlt_decision",
        )
    )
    assert (row.old_value, row.new_value, row.reason) == (
        None,
        "confirmed",
        "no other cause; resolved on stopping",
    )


def test_a_decision_can_be_revised_with_a_reason(first, inv):
    record = factories.record_ae(inv, first, **GRADE_3, start_date=day(first, 10))
    decide(inv, record, "confirmed", "no other cause")
    decide(inv, record, "rejected", "migraine history found in the notes")
    assert (record.dlt_decision, record.dlt_decision_reason) == (
        "rejected",
        "migraine history found in the notes",
    )


@pytest.mark.req("P11-09")
@pytest.mark.parametrize("role", ["coordinator", "monitor"])
def test_only_an_investigator_decides_a_dlt(first, inv, users, role):
    record = factories.record_ae(inv, first, **GRADE_3, start_date=day(first, 10))
    with pytest.raises(PermissionDenied):
        decide(users[role], record, "confirmed", "no other cause")


def test_a_non_candidate_is_not_decided(first, inv):
    record = factories.record_ae(inv, first, **GRADE_3, start_date=day(first, 29))
    with pytest.raises(Conflict):
        decide(inv, record, "confirmed", "looks like one")


# --- the run-in gate ------------------------------------------------------------------------


def record_candidate(inv, subject, n=10):
    return factories.record_ae(inv, subject, **GRADE_3, start_date=day(subject, n))


@pytest.mark.req("P11-08")
def test_an_undecided_candidate_blocks_the_review(cohort, inv):
    on(T0 + timedelta(days=42))
    record = record_candidate(inv, cohort[1])
    state = runin.gate()
    assert state.state == "review_due"
    assert [ae.id for ae in state.undecided] == [record.id]
    with pytest.raises(Conflict, match="Confirm or reject the candidate DLTs first"):
        sign(inv, {s.id: (s is cohort[1], "") for s in cohort}, "modify")
    decide(inv, record, "rejected", "tension headache, unrelated to infusion timing")
    assert runin.gate().undecided == []
    review = sign(inv, {s.id: (False, "") for s in cohort}, "continue")
    assert review.decision == "continue"


@pytest.mark.req("P11-08")
def test_a_confirmed_dlt_must_be_answered_yes_in_the_review(cohort, inv):
    on(T0 + timedelta(days=42))
    record = record_candidate(inv, cohort[1])
    decide(inv, record, "confirmed", "no other cause")
    state = runin.gate()
    assert state.confirmed_count == 1
    assert [m.confirmed for m in state.subjects][1] == (record,)
    with pytest.raises(ValidationFailed, match="confirmed a DLT in the adverse events"):
        sign(inv, {s.id: (False, "") for s in cohort}, "continue")
    review = sign(inv, {s.id: (s is cohort[1], "grade 3 headache") for s in cohort}, "modify")
    assert (review.dlt_count, review.rule_outcome) == (1, "expand")


def test_candidates_alone_do_not_stop_enrolment(cohort, inv):
    on(T0 + timedelta(days=20))
    record_candidate(inv, cohort[0])
    record_candidate(inv, cohort[1])
    state = runin.gate()
    assert (state.state, state.confirmed_count, len(state.undecided)) == ("waiting", 0, 2)


@pytest.mark.req("P11-08")
def test_two_confirmed_dlts_close_enrolment_and_only_stop_is_allowed(cohort, inv):
    on(T0 + timedelta(days=20))  # before the last run-in window ends
    for subject in cohort[:2]:
        decide(inv, record_candidate(inv, subject), "confirmed", "no other cause")
    state = runin.gate()
    assert (state.state, state.confirmed_count) == ("review_due", 2)
    assert not state.enrolment_open
    assert "stopping rule (2)" in state.message
    candidate = factories.make_signed(inv)
    with pytest.raises(Conflict):
        services.enrol(inv, candidate.id, day1=T0 + timedelta(days=21))
    findings = {s.id: (s in cohort[:2], "grade 3 headache") for s in cohort}
    for decision in ("continue", "modify"):
        with pytest.raises(ValidationFailed) as excinfo:
            sign(inv, findings, decision)
        assert "decision" in excinfo.value.field_errors
    review = sign(inv, findings, "stop")
    assert (review.dlt_count, review.rule_outcome) == (2, "halt")
    assert runin.gate().state == "halted"


def test_a_rejected_candidate_does_not_count_towards_the_stopping_rule(cohort, inv):
    on(T0 + timedelta(days=20))
    decide(inv, record_candidate(inv, cohort[0]), "confirmed", "no other cause")
    decide(inv, record_candidate(inv, cohort[1]), "rejected", "concurrent sinusitis")
    state = runin.gate()
    assert (state.state, state.confirmed_count, state.undecided) == ("waiting", 1, [])


def test_a_removed_dlt_no_longer_counts(cohort, inv):
    on(T0 + timedelta(days=20))
    records = [record_candidate(inv, s) for s in cohort[:2]]
    for record in records:
        decide(inv, record, "confirmed", "no other cause")
    assert runin.gate().state == "review_due"
    with acting_as(inv), transaction():
        events.remove(
            inv,
            cohort[0].id,
            records[0].id,
            "entered for the wrong subject",
            version=records[0].version,
        )
    assert (runin.gate().state, runin.gate().confirmed_count) == ("waiting", 1)
