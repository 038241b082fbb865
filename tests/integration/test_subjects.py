"""Screening log, consent, eligibility, enrolment and disposition (issue 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, PermissionDenied, ValidationFailed
from studyapp.extensions import db
from studyapp.signatures.models import Signature
from studyapp.subjects import checklist, history, services
from studyapp.subjects.models import Subject
from tests import factories
from tests.factories import PASSWORD

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _today(app):
    freeze_clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.mark.req("PRV-01")
def test_screening_numbers_come_from_a_sequence_and_are_never_reused(app, users):
    inv = users["investigator"]
    first = factories.screen_subject(inv)
    second = factories.screen_subject(inv)
    assert (first.screening_number, second.screening_number) == ("S01-001", "S01-002")
    with acting_as(inv):
        services.screen_fail(inv, first.id, "withdrew consent before tests")
    third = factories.screen_subject(inv)
    assert third.screening_number == "S01-003"


@pytest.mark.req("PRV-02", "PRV-03")
def test_no_identifier_columns_and_no_birth_date(app):
    columns = {c["name"] for c in inspect(db.engine).get_columns("subject")}
    for forbidden in (
        "name",
        "full_name",
        "id_card",
        "phone",
        "address",
        "birth_date",
        "date_of_birth",
        "hospital_number",
    ):
        assert forbidden not in columns
    assert {"age_years", "birth_year", "initials"} <= columns


@pytest.mark.req("PRV-02")
@pytest.mark.parametrize("text", ["ID 11010519491231002X", "call 13812345678", "138 1234 5678"])
def test_identifiers_in_free_text_are_refused(app, users, text):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    with pytest.raises(ValidationFailed) as excinfo:
        services.screen_fail(inv, subject.id, text)
    assert "ID-card or phone" in excinfo.value.field_errors["reason"][0]


def test_registration_checks_its_fields(app, users):
    inv = users["investigator"]
    with pytest.raises(ValidationFailed) as excinfo:
        services.register_screening(
            inv,
            services.Screening(
                screening_date=TODAY + timedelta(days=1),
                sex="X",
                age_years=0,
                birth_year=1950,
                initials="Wang Wei",
            ),
        )
    assert set(excinfo.value.field_errors) == {
        "sex",
        "age_years",
        "birth_year",
        "initials",
        "screening_date",
    }


@pytest.mark.req("P11-08")
def test_no_study_procedure_before_consent(app, users):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    with pytest.raises(Conflict, match="consent first"):
        services.save_screening_data(inv, subject.id, {"ecog": 1}, version=None, reason=None)
    with pytest.raises(Conflict, match="consent first"):
        history.add_prior_therapy(
            inv, subject.id, history.Therapy("rituximab", "rituximab", None, None, None, None)
        )
    with pytest.raises(Conflict, match="consent first"):
        checklist.answer_criteria(inv, subject.id, {"IN06": True}, reason=None)


def test_consent_version_must_be_in_effect_on_the_consent_date(app, users):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    with pytest.raises(ValidationFailed) as excinfo:
        services.record_consent(
            inv, subject.id, on=date(2023, 1, 10), at=time(9), version="2.0", obtained_by_id=inv.id
        )
    assert "was not in effect" in excinfo.value.field_errors["version"][0]
    assert services.consent_versions_on(date(2023, 3, 1)) == ["2.0", "1.0"]


def test_eligibility_results_follow_the_data(app, users):
    inv = users["investigator"]
    subject = factories.make_eligible(inv)
    results = {r.code: r for r in checklist.evaluate(subject)}
    assert results["IN05"].value == "1"  # rituximab counts as second-line
    assert results["IN02"].value == "33"  # months from 2023-06(-01, imputed) to 2026-03-02
    assert results["IN08A"].threshold.startswith("<= ULN (")
    assert checklist.rules.is_eligible(list(results.values()))
    with acting_as(inv):
        services.save_screening_data(
            inv,
            subject.id,
            {"platelet_count": Decimal(45)},
            version=subject.version,
            reason="lab re-issued report",
        )
    results = {r.code: r for r in checklist.evaluate(subject)}
    assert results["IN03"].satisfied is False


@pytest.mark.req("P11-16", "P11-05")
def test_confirmation_needs_the_signers_credentials(app, users):
    inv = users["investigator"]
    subject = factories.make_eligible(inv)
    with acting_as(inv), pytest.raises(ValidationFailed) as excinfo:
        checklist.confirm_eligibility(
            inv, subject.id, password="wrong password here", username="inv.user"
        )
    assert "password" in excinfo.value.field_errors
    failures = db.session.scalars(select(AuditLog).where(AuditLog.action == "signature_failed"))
    assert len(list(failures)) == 1
    db.session.refresh(inv)
    assert inv.failed_logins == 1  # counts toward the lockout
    with acting_as(inv), pytest.raises(ValidationFailed) as excinfo:
        checklist.confirm_eligibility(inv, subject.id, password=PASSWORD, username="crc.user")
    assert "username" in excinfo.value.field_errors
    with acting_as(inv):
        checklist.confirm_eligibility(inv, subject.id, password=PASSWORD, username="inv.user")
    signature = db.session.get(Signature, subject.eligibility_signature_id)
    assert signature.printed_name == inv.full_name
    assert signature.meaning == checklist.ELIGIBILITY_MEANING
    assert len(signature.content_hash) == 64
    assert checklist.eligibility_signature_current(subject)
    inserted = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "signature"))
    assert {row.field for row in inserted} >= {"meaning", "content_hash", "printed_name"}


def test_only_investigators_confirm_eligibility(app, users):
    subject = factories.make_eligible(users["investigator"])
    with pytest.raises(PermissionDenied):
        checklist.confirm_eligibility(
            users["coordinator"], subject.id, password=PASSWORD, username="crc.user"
        )


def test_an_ineligible_subject_cannot_be_confirmed_and_screen_fails_with_the_criteria(app, users):
    inv = users["investigator"]
    subject = factories.make_eligible(inv)
    with acting_as(inv):
        checklist.answer_criteria(inv, subject.id, {"EX04": True}, reason="active bleeding seen")
        with pytest.raises(Conflict, match="Not every criterion"):
            checklist.confirm_eligibility(inv, subject.id, password=PASSWORD, username="inv.user")
        services.screen_fail(inv, subject.id, "overt haemorrhage at screening")
    assert subject.status == "screen_failed"
    assert subject.screen_failed_criteria == "EX04"
    with pytest.raises(Conflict):
        services.enrol(inv, subject.id, day1=TODAY)


@pytest.mark.req("P11-08")
def test_enrolment_needs_a_current_signature(app, users):
    inv = users["investigator"]
    subject = factories.make_eligible(inv)
    with pytest.raises(Conflict, match="signed by the investigator"):
        services.enrol(inv, subject.id, day1=TODAY)
    with acting_as(inv):
        checklist.confirm_eligibility(inv, subject.id, password=PASSWORD, username="inv.user")
        services.save_screening_data(
            inv, subject.id, {"ecog": 2}, version=subject.version, reason="re-assessed"
        )
    assert not checklist.eligibility_signature_current(subject)
    with pytest.raises(Conflict, match="unchanged since"):
        services.enrol(inv, subject.id, day1=TODAY)


def test_enrolment_assigns_the_subject_number_and_checks_day1(app, users):
    inv = users["investigator"]
    subject = factories.make_signed(inv)
    with acting_as(inv):
        with pytest.raises(ValidationFailed, match="Check the form") as excinfo:
            services.enrol(inv, subject.id, day1=TODAY + timedelta(days=5))
        assert "IN03" in excinfo.value.field_errors["day1"][0]  # count too old for that Day 1
        with pytest.raises(ValidationFailed):
            services.enrol(inv, subject.id, day1=TODAY - timedelta(days=1))
        services.enrol(inv, subject.id, day1=TODAY + timedelta(days=1))
    assert subject.subject_number == "ITP-001"
    assert subject.run_in
    assert subject.status == "enrolled"


@pytest.mark.both_engines  # the versioned UPDATE outside the CRF core
def test_a_stale_screening_edit_is_refused(app, users):
    inv = users["investigator"]
    subject = factories.make_eligible(inv)
    old_version = subject.version
    with acting_as(inv):
        services.save_screening_data(
            inv, subject.id, {"ecog": 0}, version=old_version, reason="corrected"
        )
    with pytest.raises(Exception, match="Another user changed"):
        services.save_screening_data(
            inv, subject.id, {"ecog": 2}, version=old_version, reason="mine"
        )


def test_disposition_ends_expected_visits(app, users):
    from studyapp.subjects import queries

    inv = users["investigator"]
    subject = factories.make_enrolled(inv, TODAY)
    assert queries.next_visit(subject).day == 1
    with acting_as(inv):
        with pytest.raises(ValidationFailed):
            services.record_disposition(inv, subject.id, decod="GONE", on=TODAY, reason="x")
        services.record_disposition(
            inv, subject.id, decod="WITHDRAWAL BY SUBJECT", on=TODAY, reason="moved to another city"
        )
        with pytest.raises(Conflict):
            services.record_disposition(inv, subject.id, decod="DEATH", on=TODAY, reason="x")
    assert queries.next_visit(subject) is None
    assert queries.phase(subject, TODAY) == "discontinued"
    assert db.session.get(Subject, subject.id) is not None


def test_prior_therapy_and_history_checks(app, users):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    factories.consent(inv, subject)
    with acting_as(inv):
        with pytest.raises(ValidationFailed) as excinfo:
            history.add_prior_therapy(
                inv,
                subject.id,
                history.Therapy("rituximab", "rituximab", "2024-05", "2024-02", None, None),
            )
        assert "before the start" in excinfo.value.field_errors["stop_date"][0]
        with pytest.raises(ValidationFailed):
            history.add_prior_therapy(
                inv, subject.id, history.Therapy("magic", "x", None, None, None, None)
            )
        with pytest.raises(ValidationFailed):
            history.add_medical_history(
                inv,
                subject.id,
                term="hypertension",
                start_date="2020-13",
                end_date=None,
                ongoing=True,
            )
        row = history.add_medical_history(
            inv, subject.id, term="hypertension", start_date="2020", end_date=None, ongoing=True
        )
        therapy = history.add_prior_therapy(
            inv, subject.id, history.Therapy("tpo_ra", "eltrombopag", "2024", None, "R", "RELAPSE")
        )
        history.remove_history_row(inv, therapy, "entered twice")
    assert history.history(subject) == [row]
    assert history.therapies(subject) == []


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (TODAY - timedelta(days=1), "enrolled"),  # Day 1 still ahead
        (TODAY, "in_treatment"),
        (TODAY + timedelta(days=55), "in_treatment"),  # Day 56: last dose Day 50 + 7 - 1
        (TODAY + timedelta(days=56), "in_follow_up"),  # Day 57, end of treatment visit
    ],
)
def test_phase_follows_the_dosing_schedule(app, users, today, expected):
    from studyapp.subjects import queries

    subject = factories.make_enrolled(users["investigator"], TODAY)
    assert queries.phase(subject, today) == expected


def test_completed_subjects_are_counted(app, users):
    from studyapp.subjects import queries

    inv = users["investigator"]
    done = factories.make_enrolled(inv, TODAY)
    factories.screen_subject(inv)
    with acting_as(inv):
        services.record_disposition(inv, done.id, decod="COMPLETED", on=TODAY, reason="Day 169")
    counts = queries.counts(queries.rows(inv, TODAY))
    assert (counts["screened"], counts["completed"], counts["enrolled_total"]) == (2, 1, 1)
    assert counts["screening"] == 1
    assert counts["target"] == 20


def test_screening_values_refuse_future_dates_and_contradictions(app, users):
    inv = users["investigator"]
    subject = factories.screen_subject(inv)
    factories.consent(inv, subject)
    with acting_as(inv):
        with pytest.raises(ValidationFailed) as excinfo:
            services.save_screening_data(
                inv,
                subject.id,
                {"platelet_date": TODAY + timedelta(days=1)},
                version=subject.version,
                reason=None,
            )
        assert "future" in excinfo.value.field_errors["platelet_date"][0]
        services.save_screening_data(
            inv, subject.id, {"no_emergency_tx": True}, version=subject.version, reason=None
        )
        with pytest.raises(ValidationFailed):  # both across two saves
            services.save_screening_data(
                inv,
                subject.id,
                {"last_emergency_tx_stop": TODAY - timedelta(days=30)},
                version=subject.version,
                reason=None,
            )


def test_history_is_closed_once_screening_ends(app, users):
    inv = users["investigator"]
    subject = factories.make_enrolled(inv, TODAY)
    with acting_as(inv), pytest.raises(Conflict):
        history.add_prior_therapy(
            inv, subject.id, history.Therapy("ivig", "IVIG", None, None, None, None)
        )
