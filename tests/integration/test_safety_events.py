"""Recording adverse events: CTCAE coding, relatedness, edit checks, audit, grade changes,
removal and who may do what (studyapp.safety.events)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    StaleVersion,
    ValidationFailed,
)
from studyapp.extensions import db
from studyapp.safety import events
from studyapp.safety.models import AdverseEvent
from studyapp.transaction import transaction
from tests import factories

DAY1 = date(2026, 3, 2)
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # Day 15, 10:00 at the site
AWARE = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 11:00 at the site on the day of onset
SERIOUS = {"serious": True, "criteria": {"aeshosp"}, "aware_at": AWARE, "expected": True}


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(NOW)
    return subject


@pytest.fixture
def inv(users):
    return users["investigator"]


def another_subject(inv):
    """A second run-in subject, Day 1 on 9 March; the clock is back at NOW after."""
    freeze_clock(datetime(2026, 3, 8, 1, 0, tzinfo=UTC))
    other = factories.make_enrolled(inv, date(2026, 3, 9), screened=date(2026, 3, 8))
    freeze_clock(NOW)
    return other


def audit(record, **filters) -> list[AuditLog]:
    query = select(AuditLog).where(
        AuditLog.table_name == "adverse_event", AuditLog.row_id == str(record.id)
    )
    for key, value in filters.items():
        query = query.where(getattr(AuditLog, key) == value)
    return list(db.session.scalars(query.order_by(AuditLog.seq)))


def refused(actor, subject, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as excinfo:
        factories.record_ae(actor, subject, **changes)
    db.session.rollback()
    return excinfo.value.field_errors


def update(actor, record, *, reason=None, version=None, **changes):
    entry = dataclasses.replace(events.entry_of(record), **changes)
    with acting_as(actor), transaction():
        return events.update(
            actor,
            record.subject_id,
            record.id,
            entry,
            version=record.version if version is None else version,
            reason=reason,
            confirmed=True,
        )


def change_grade(actor, record, grade, on, expected=None):
    with acting_as(actor), transaction():
        return events.change_grade(
            actor,
            record.subject_id,
            record.id,
            grade=grade,
            on=on,
            version=record.version,
            expected=expected,
        )


# --- recording ----------------------------------------------------------------------------


def test_a_complete_ae_is_coded_to_its_ctcae_term(subject, inv):
    record = factories.record_ae(inv, subject, aeterm="bad headache", ctcae_term=" headache ")
    assert (record.aeterm, record.aedecod, record.aesoc, record.ctcae_code) == (
        "bad headache",
        "Headache",
        "Nervous system disorders",
        "10019211",
    )
    assert (record.status, record.aespid, record.label) == ("complete", 1, "AE 1")
    assert (record.episode_id, record.previous_id) == (record.id, None)


@pytest.mark.parametrize(
    ("relatedness", "aerel"),
    [
        ("not_related", "NOT RELATED"),
        ("unlikely", "NOT RELATED"),
        ("possibly", "RELATED"),
        ("probably", "RELATED"),
        ("definite", "RELATED"),
    ],
)
def test_relatedness_maps_to_aerel(subject, inv, relatedness, aerel):
    assert factories.record_ae(inv, subject, relatedness=relatedness).aerel == aerel


@pytest.mark.req("P11-05")
def test_recording_an_ae_writes_insert_audit_rows(subject, inv):
    record = factories.record_ae(inv, subject)
    rows = {row.field: row for row in audit(record, action="insert")}
    for field, value in (
        ("aeterm", "headache"),
        ("aedecod", "Headache"),
        ("grade", "2"),
        ("start_date", "2026-03-10"),
        ("aerel", "RELATED"),
    ):
        assert (rows[field].old_value, rows[field].new_value) == (None, value)
    assert rows["grade"].username == "inv.user"
    assert rows["grade"].subject_id == subject.id
    assert "end_date" not in rows  # an empty field writes no insert row
    # The episode is the record itself, known once its id is: set straight after the insert.
    (episode,) = audit(record, action="update")
    assert (episode.field, episode.old_value, episode.new_value) == ("episode_id", None, "1")


@pytest.mark.req("GCP-02", "P11-05")
def test_changing_a_saved_value_needs_a_reason_and_is_audited(subject, inv):
    record = factories.record_ae(inv, subject)
    saved = record.version
    with pytest.raises(ReasonRequired):
        update(inv, record, grade=3)
    db.session.rollback()
    record = db.session.get(AdverseEvent, record.id)
    assert (record.grade, record.version) == (2, saved)
    update(inv, record, grade=3, reason="grade misread from the notes")
    (change,) = audit(record, action="update", field="grade")
    assert (change.old_value, change.new_value, change.reason) == (
        "2",
        "3",
        "grade misread from the notes",
    )
    assert record.version == saved + 1


def test_filling_an_empty_field_needs_no_reason(subject, inv):
    record = factories.record_ae(inv, subject)
    update(inv, record, treatment="paracetamol")
    (filled,) = audit(record, action="update", field="treatment")
    assert (filled.old_value, filled.new_value, filled.reason) == (None, "paracetamol", None)


@pytest.mark.req("REL-01")
def test_a_stale_version_is_refused(subject, inv):
    record = factories.record_ae(inv, subject)
    opened = record.version
    update(inv, record, treatment="paracetamol")
    with pytest.raises(StaleVersion) as excinfo:
        update(inv, record, version=opened, grade=3, reason="late edit")
    assert excinfo.value.version == opened + 1
    assert excinfo.value.current["treatment"] == "paracetamol"
    db.session.rollback()
    assert db.session.get(AdverseEvent, record.id).grade == 2


# --- edit checks ------------------------------------------------------------------------


ENDED = {"ongoing": False, "aeout": "RECOVERED/RESOLVED"}


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({**ENDED, "end_date": "2026-03-09"}, "end_date", id="end-before-onset"),
        pytest.param({"end_date": "2026-03-12"}, "end_date", id="ongoing-with-end-date"),
        pytest.param(
            {"ongoing": False, "end_date": None}, "end_date", id="neither-end-nor-ongoing"
        ),
        pytest.param({"grade": 6}, "grade", id="grade-6"),
        pytest.param({"grade": 0}, "grade", id="grade-0"),
        pytest.param({"ctcae_term": "Anaphylaxis", "grade": 1}, "grade", id="no-such-grade"),
        pytest.param({"ctcae_term": "Brain freeze"}, "ctcae_term", id="unknown-term"),
        pytest.param({"ctcae_term": None}, "ctcae_term", id="no-term"),
        pytest.param({"aeterm": " "}, "aeterm", id="no-verbatim-term"),
        pytest.param({"start_date": "2026-13"}, "start_date", id="not-a-date"),
        pytest.param({"start_date": "2026-03-17"}, "start_date", id="onset-in-future"),
        pytest.param({**SERIOUS, "criteria": set()}, "serious", id="serious-no-criterion"),
        pytest.param({"criteria": {"aeshosp"}}, "serious", id="criteria-not-serious"),
        pytest.param({**SERIOUS, "criteria": {"aesbad"}}, "serious", id="unknown-criterion"),
        pytest.param({"serious": None}, "serious", id="serious-unanswered"),
        pytest.param({**SERIOUS, "aware_at": None}, "aware_date", id="serious-no-awareness"),
        pytest.param(
            {**SERIOUS, "aware_at": NOW + timedelta(minutes=1)}, "aware_date", id="aware-in-future"
        ),
        pytest.param(
            {**SERIOUS, "aware_at": datetime(2026, 3, 9, 15, 59, tzinfo=UTC)},
            "aware_date",
            id="aware-before-onset",  # 23:59 on 9 March at the site
        ),
        pytest.param({"aware_at": AWARE}, "aware_date", id="awareness-not-serious"),
        pytest.param(
            {
                "ctcae_term": "Sepsis",
                "grade": 5,
                "serious": True,
                "criteria": {"aesdth"},
                "aware_at": AWARE,
            },
            "aeout",
            id="grade-5-not-fatal",
        ),
        pytest.param(
            {**ENDED, "end_date": "2026-03-12", "aeout": "FATAL"}, "aeout", id="fatal-not-grade-5"
        ),
        pytest.param({"aeout": "RECOVERED/RESOLVED"}, "aeout", id="ongoing-but-recovered"),
        pytest.param({"relatedness": "maybe"}, "relatedness", id="unknown-relatedness"),
        pytest.param({"aeacn": "DOSE DOUBLED"}, "aeacn", id="unknown-action"),
        pytest.param(
            {"irr": True, "ctcae_term": "Infusion related reaction"}, "dose_id", id="irr-no-dose"
        ),
        pytest.param({"dose_id": 1}, "dose_id", id="dose-without-irr"),
    ],
)
def test_bad_input_is_refused_with_a_field_message(subject, inv, changes, field):
    errors = refused(inv, subject, **changes)
    assert field in errors, errors
    assert db.session.scalar(select(AdverseEvent.id)) is None


def test_grade_5_needs_the_death_criterion(subject, inv):
    errors = refused(
        inv,
        subject,
        ctcae_term="Sepsis",
        grade=5,
        **ENDED | {"aeout": "FATAL", "end_date": "2026-03-12"},
        **SERIOUS,
    )
    assert "results in death" in errors["serious"][0]


def test_a_fatal_event_is_recorded(subject, inv):
    record = factories.record_ae(
        inv,
        subject,
        ctcae_term="Sepsis",
        grade=5,
        ongoing=False,
        end_date="2026-03-12",
        aeout="FATAL",
        serious=True,
        criteria={"aesdth", "aeshosp"},
        aware_at=AWARE,
        expected=True,
    )
    assert (record.grade, record.aeout, record.aesdth, record.aeshosp) == (5, "FATAL", True, True)


def test_the_grade_message_lists_the_grades_the_term_has(subject, inv):
    errors = refused(inv, subject, ctcae_term="Anaphylaxis", grade=1)
    assert errors["grade"] == ["Anaphylaxis has no grade 1 in CTCAE v5.0 (grades 3, 4, 5)."]


def test_an_irr_names_a_dose_of_the_same_subject(subject, inv, users):
    other = another_subject(inv)
    theirs = factories.give_dose(inv, other, "1", date(2026, 3, 9))
    irr = {"irr": True, "ctcae_term": "Infusion related reaction", "start_date": "2026-03-09"}
    assert "dose_id" in refused(inv, subject, **irr, dose_id=theirs.id)
    ours = factories.give_dose(inv, subject, "1", DAY1)
    record = factories.record_ae(inv, subject, **irr, dose_id=ours.id)
    assert (record.irr, record.dose_id) == (True, ours.id)


def test_an_irr_cannot_start_before_its_infusion(subject, inv):
    dose = factories.give_dose(inv, subject, "2", date(2026, 3, 9))
    errors = refused(
        inv,
        subject,
        irr=True,
        ctcae_term="Infusion related reaction",
        dose_id=dose.id,
        start_date="2026-03-08",
    )
    assert errors["start_date"] == ["The reaction cannot start before the infusion."]


def test_an_irr_coded_to_another_term_asks_for_confirmation(subject, inv):
    from studyapp.crf.checks import NeedsConfirmation

    dose = factories.give_dose(inv, subject, "1", DAY1)
    with pytest.raises(NeedsConfirmation) as excinfo:
        factories.record_ae(
            inv, subject, irr=True, dose_id=dose.id, start_date="2026-03-02", confirmed=False
        )
    assert "ctcae_term" in excinfo.value.warnings


def test_a_draft_saves_with_fields_missing(subject, inv):
    record = factories.record_ae(
        inv,
        subject,
        completing=False,
        ctcae_term=None,
        grade=None,
        serious=None,
        relatedness=None,
        aeacn=None,
        aeout=None,
    )
    assert (record.status, record.aedecod, record.grade, record.aerel) == (
        "in_progress",
        None,
        None,
        None,
    )
    assert record.aeterm == "headache"


def test_a_draft_still_refuses_impossible_values(subject, inv):
    with pytest.raises(ValidationFailed) as excinfo:
        factories.record_ae(inv, subject, completing=False, grade=6)
    assert "grade" in excinfo.value.field_errors


@pytest.mark.req("GCP-07")
@pytest.mark.parametrize("onset", ["2026-03", "2026"])
def test_a_partial_onset_date_is_kept_as_typed(subject, inv, onset):
    record = factories.record_ae(inv, subject, start_date=onset)
    db.session.expire_all()
    assert db.session.get(AdverseEvent, record.id).start_date == onset


def test_a_partial_onset_still_needs_awareness_not_before_it(subject, inv):
    aware = datetime(2026, 2, 28, 3, 0, tzinfo=UTC)
    assert "aware_date" in refused(
        inv, subject, start_date="2026-03", **SERIOUS | {"aware_at": aware}
    )
    record = factories.record_ae(inv, subject, start_date="2026-03", **SERIOUS)
    assert record.aware_at == AWARE


@pytest.mark.req("PRV-02")
def test_an_identifier_in_free_text_is_refused(subject, inv):
    errors = refused(inv, subject, aeterm="headache, call 13812345678")
    assert "aeterm" in errors
    errors = refused(inv, subject, treatment="ID 110101199003074518 given paracetamol")
    assert "treatment" in errors


# --- who may ------------------------------------------------------------------------------


@pytest.mark.req("P11-09")
@pytest.mark.parametrize("role", ["monitor", "coordinator", "data_manager"])
def test_only_an_investigator_records_an_ae(subject, users, role):
    with pytest.raises(PermissionDenied):
        factories.record_ae(users[role], subject)


@pytest.mark.req("P11-09")
def test_a_monitor_reads_but_does_not_change_an_ae(subject, inv, users):
    record = factories.record_ae(inv, subject)
    monitor = users["monitor"]
    found_subject, found = events.get(monitor, subject.id, record.id)
    assert (found_subject.id, found.id) == (subject.id, record.id)
    with pytest.raises(PermissionDenied):
        update(monitor, record, treatment="paracetamol")
    with pytest.raises(PermissionDenied):
        change_grade(monitor, record, 3, date(2026, 3, 12))
    with pytest.raises(PermissionDenied), acting_as(monitor):
        events.remove(monitor, subject.id, record.id, "entered in error")


def test_an_ae_of_another_subject_is_not_found(subject, inv):
    other = another_subject(inv)
    record = factories.record_ae(inv, subject)
    with pytest.raises(NotFound):
        events.get(inv, other.id, record.id)


# --- grade changes ------------------------------------------------------------------------


def test_a_higher_grade_ends_the_record_and_starts_one_in_the_same_episode(subject, inv):
    first = factories.record_ae(inv, subject)
    new = change_grade(inv, first, 3, date(2026, 3, 12))
    db.session.expire_all()
    first = db.session.get(AdverseEvent, first.id)
    assert (first.ongoing, first.end_date, first.aeout, first.grade) == (
        False,
        "2026-03-12",
        "NOT RECOVERED/NOT RESOLVED",
        2,
    )
    assert (new.grade, new.start_date, new.ongoing, new.end_date, new.aeout) == (
        3,
        "2026-03-12",
        True,
        None,
        "NOT RECOVERED/NOT RESOLVED",
    )
    assert (new.episode_id, new.previous_id) == (first.id, first.id)
    assert (new.aedecod, new.aeterm, new.relatedness) == ("Headache", "headache", "possibly")
    assert new.aespid == 2  # each record has its own AE number; the episode links them
    assert [r.id for r in events.episode(new)] == [first.id, new.id]
    assert [r.id for r in events.listing(subject)] == [first.id, new.id]


def test_a_lower_grade_leaves_the_old_record_recovering(subject, inv):
    first = factories.record_ae(inv, subject, grade=3)
    change_grade(inv, first, 1, date(2026, 3, 12))
    db.session.expire_all()
    assert db.session.get(AdverseEvent, first.id).aeout == "RECOVERING/RESOLVING"
    (outcome,) = audit(first, action="update", field="aeout")
    assert (outcome.old_value, outcome.new_value, outcome.reason) == (
        "NOT RECOVERED/NOT RESOLVED",
        "RECOVERING/RESOLVING",
        "Grade changed from 3 to 1 on 2026-03-12",
    )


@pytest.mark.req("P11-05")
def test_a_grade_change_is_audited_with_its_reason(subject, inv):
    first = factories.record_ae(inv, subject)
    new = change_grade(inv, first, 3, date(2026, 3, 12))
    reason = "Grade changed from 2 to 3 on 2026-03-12"
    ended = {row.field: row for row in audit(first, action="update")}
    assert (ended["ongoing"].old_value, ended["ongoing"].new_value) == ("true", "false")
    assert (ended["end_date"].old_value, ended["end_date"].new_value) == (None, "2026-03-12")
    assert (ended["ongoing"].reason, ended["end_date"].reason) == (reason, reason)
    inserted = {row.field: row.new_value for row in audit(new, action="insert")}
    assert (inserted["grade"], inserted["previous_id"]) == ("3", str(first.id))


def test_a_record_ended_by_a_grade_change_can_still_be_corrected(subject, inv):
    first = factories.record_ae(inv, subject)
    change_grade(inv, first, 3, date(2026, 3, 12))
    db.session.expire_all()
    first = db.session.get(AdverseEvent, first.id)
    corrected = update(inv, first, aeterm="tension headache", reason="verbatim term completed")
    assert (corrected.aeterm, corrected.end_date, corrected.aeout) == (
        "tension headache",
        "2026-03-12",
        "NOT RECOVERED/NOT RESOLVED",
    )


def test_a_grade_change_to_5_records_death(subject, inv):
    first = factories.record_ae(inv, subject, ctcae_term="Sepsis", grade=3, **SERIOUS)
    new = change_grade(inv, first, 5, date(2026, 3, 14))
    assert (new.grade, new.aeout, new.ongoing, new.end_date) == (5, "FATAL", False, "2026-03-14")
    assert (new.aeser, new.aesdth, new.aeshosp, new.aware_at) == (True, True, True, AWARE)


def test_a_serious_events_grade_change_record_can_be_corrected(subject, inv):
    first = factories.record_ae(inv, subject, ctcae_term="Sepsis", grade=3, **SERIOUS)
    new = change_grade(inv, first, 4, date(2026, 3, 12))
    assert new.aware_at == AWARE  # the episode's awareness, two days before this record
    corrected = update(inv, new, treatment="iv antibiotics")
    assert corrected.treatment == "iv antibiotics"


def test_an_event_with_a_partial_onset_changes_grade_within_that_month(subject, inv):
    first = factories.record_ae(inv, subject, start_date="2026-03")
    new = change_grade(inv, first, 3, date(2026, 3, 12))
    assert (new.grade, new.start_date) == (3, "2026-03-12")


def test_a_partial_onset_event_ends_within_that_month(subject, inv):
    record = factories.record_ae(inv, subject, start_date="2026-03", **ENDED, end_date="2026-03-12")
    assert (record.start_date, record.end_date) == ("2026-03", "2026-03-12")


def test_a_related_event_changed_to_grade_5_records_death(subject, inv):
    record = factories.record_ae(inv, subject, ctcae_term="Lung infection", grade=3)
    assert (record.aerel, record.aeser, record.expected) == ("RELATED", False, None)
    with pytest.raises(ValidationFailed) as excinfo:  # expectedness decides the SUSAR clocks
        change_grade(inv, record, 5, date(2026, 3, 14))
    assert "expected" in excinfo.value.field_errors
    db.session.rollback()
    new = change_grade(inv, record, 5, date(2026, 3, 14), expected=False)
    assert (new.grade, new.aeout, new.aeser, new.aesdth) == (5, "FATAL", True, True)
    assert new.expected is False


def test_only_an_ongoing_event_changes_grade(subject, inv):
    record = factories.record_ae(inv, subject, **ENDED, end_date="2026-03-12")
    with pytest.raises(Conflict):
        change_grade(inv, record, 3, date(2026, 3, 12))


@pytest.mark.parametrize(
    ("grade", "on", "field"),
    [
        pytest.param(3, date(2026, 3, 9), "on", id="before-onset"),
        pytest.param(3, date(2026, 3, 17), "on", id="in-future"),
        pytest.param(3, None, "on", id="no-date"),
        pytest.param(2, date(2026, 3, 12), "grade", id="same-grade"),
        pytest.param(7, date(2026, 3, 12), "grade", id="grade-7"),
        pytest.param(5, date(2026, 3, 12), "grade", id="grade-the-term-lacks"),
    ],
)
def test_a_bad_grade_change_is_refused(subject, inv, grade, on, field):
    record = factories.record_ae(inv, subject)
    with pytest.raises(ValidationFailed) as excinfo:
        change_grade(inv, record, grade, on)
    assert field in excinfo.value.field_errors
    db.session.rollback()
    assert [r.id for r in events.listing(subject)] == [record.id]
    assert db.session.get(AdverseEvent, record.id).ongoing is True


def test_a_grade_change_from_a_stale_form_is_refused(subject, inv):
    record = factories.record_ae(inv, subject)
    opened = record.version
    update(inv, record, treatment="paracetamol")
    with pytest.raises(StaleVersion), acting_as(inv):
        events.change_grade(
            inv, subject.id, record.id, grade=3, on=date(2026, 3, 12), version=opened
        )


# --- removal ------------------------------------------------------------------------------


@pytest.mark.req("P11-03")
def test_removal_needs_a_reason_and_keeps_the_row(subject, inv):
    record = factories.record_ae(inv, subject)
    with pytest.raises(ValidationFailed) as excinfo, acting_as(inv):
        events.remove(inv, subject.id, record.id, "  ", version=record.version)
    assert "reason" in excinfo.value.field_errors
    with acting_as(inv):
        events.remove(inv, subject.id, record.id, "entered in error", version=record.version)
    db.session.expire_all()
    kept = db.session.get(AdverseEvent, record.id)
    assert kept is not None
    assert (kept.deleted_at, kept.delete_reason) == (NOW, "entered in error")
    rows = audit(record, action="delete")
    assert {row.reason for row in rows} == {"entered in error"}
    assert "deleted_at" in {row.field for row in rows}
    assert events.listing(subject) == []
    with pytest.raises(NotFound):
        events.get(inv, subject.id, record.id)


@pytest.mark.req("GCP-07")
def test_awareness_is_compared_with_the_onset_in_site_time(subject, inv):
    just_after_midnight = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # 00:00 on 10 March at the site
    record = factories.record_ae(inv, subject, **SERIOUS | {"aware_at": just_after_midnight})
    assert (record.start_date, record.aware_at) == ("2026-03-10", just_after_midnight)
