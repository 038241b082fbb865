"""Serious adverse events: the reporting clocks from awareness (24 h to the sponsor, 7/15-day
SUSAR reports), drafting and submitting reports, and who may do it (studyapp.safety.sae)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, NotFound, PermissionDenied, ReasonRequired, ValidationFailed
from studyapp.extensions import db
from studyapp.safety import events, sae
from studyapp.transaction import transaction
from tests import factories

DAY1 = date(2026, 3, 2)
SITE = ZoneInfo("Asia/Shanghai")
AWARE = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 at the site
PDF = b"%PDF-1.7 initial SAE report"
HOSPITALISED = {
    "aeterm": "pneumonia",
    "ctcae_term": "Lung infection",
    "grade": 3,
    "serious": True,
    "criteria": {"aeshosp"},
    "aware_at": AWARE,
    "relatedness": "unlikely",
}
SUSAR = {"relatedness": "probably", "expected": False}


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(AWARE + timedelta(hours=1))
    return subject


@pytest.fixture
def inv(users):
    return users["investigator"]


def serious_ae(inv, subject, **changes):
    return factories.record_ae(inv, subject, **HOSPITALISED | changes)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=SITE)


def draft(actor, found, kind="SAE", narrative="Admitted with pneumonia on 10 March.", **kw):
    with acting_as(actor), transaction():
        return sae.save_report(actor, found, kind=kind, narrative=narrative, **kw)


def submit(actor, report, pdf=PDF):
    with acting_as(actor), transaction():
        return sae.submit(actor, report, pdf, version=report.version)


def clock_of(found, kind="SAE"):
    (clock,) = [c for c in found.clocks if c.kind == kind]
    return clock


# --- clocks ---------------------------------------------------------------------------------


def test_a_serious_ae_starts_one_24_hour_clock(subject, inv):
    record = serious_ae(inv, subject)
    (found,) = sae.saes(inv, now=AWARE + timedelta(hours=1))
    assert (found.record.id, found.subject.id, found.reports) == (record.id, subject.id, [])
    (clock,) = found.clocks
    assert (clock.kind, clock.state, clock.remaining) == ("SAE", "open", timedelta(hours=23))
    assert clock.deadline == AWARE + timedelta(hours=24)
    assert clock.deadline.utcoffset() == timedelta(hours=8)  # shown in site time
    assert found.kinds_needed() == ["SAE"]
    assert found.open_clock == clock


@pytest.mark.parametrize(
    ("after", "state"),
    [
        (timedelta(hours=23, minutes=59), "open"),
        (timedelta(hours=24), "open"),
        (timedelta(hours=24, seconds=1), "overdue"),
    ],
)
def test_the_clock_is_overdue_only_after_24_hours(subject, inv, after, state):
    serious_ae(inv, subject)
    now = AWARE + after
    (found,) = sae.saes(inv, now=now)
    assert clock_of(found).state == state
    assert [s.record.id for s in sae.overdue(inv, now=now)] == (
        [found.record.id] if state == "overdue" else []
    )


@pytest.mark.req("GCP-06")
def test_awareness_late_in_the_evening_gives_a_deadline_the_next_evening(subject, inv):
    aware = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # 22:30 at the site
    freeze_clock(aware + timedelta(minutes=5))
    serious_ae(inv, subject, aware_at=aware)
    (found,) = sae.saes(inv)
    assert clock_of(found).deadline == datetime(2026, 3, 11, 22, 30, tzinfo=SITE)
    assert clock_of(found).deadline.date() == date(2026, 3, 11)


def test_a_non_serious_or_removed_ae_has_no_clock(subject, inv):
    mild = factories.record_ae(inv, subject)
    with pytest.raises(NotFound):
        sae.sae_of(inv, subject.id, mild.id)
    record = serious_ae(inv, subject)
    with acting_as(inv), transaction():
        events.remove(inv, subject.id, record.id, "duplicate of AE 1", version=record.version)
    assert sae.saes(inv) == []


# --- reports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "narrative", "field"),
    [("SAE", "   ", "narrative"), ("FAX", "Admitted.", "kind"), (None, "Admitted.", "kind")],
)
def test_a_report_needs_a_kind_and_a_narrative(subject, inv, kind, narrative, field):
    record = serious_ae(inv, subject)
    found = sae.sae_of(inv, subject.id, record.id)
    with pytest.raises(ValidationFailed) as excinfo:
        draft(inv, found, kind=kind, narrative=narrative)
    assert field in excinfo.value.field_errors


@pytest.mark.req("PRV-02")
def test_a_narrative_with_an_identifier_is_refused(subject, inv):
    found = sae.sae_of(inv, subject.id, serious_ae(inv, subject).id)
    with pytest.raises(ValidationFailed) as excinfo:
        draft(inv, found, narrative="Patient (mobile 13912345678) admitted.")
    assert "narrative" in excinfo.value.field_errors


def test_a_draft_does_not_stop_the_clock_and_submission_does(subject, inv):
    record = serious_ae(inv, subject)
    report = draft(inv, sae.sae_of(inv, subject.id, record.id))
    assert (report.kind, report.number, report.submitted_at, report.pdf) == ("SAE", 0, None, None)
    assert clock_of(sae.sae_of(inv, subject.id, record.id)).state == "open"

    sent_at = AWARE + timedelta(hours=5)
    freeze_clock(sent_at)
    submit(inv, report)
    assert (report.submitted_at, report.submitted_by_id) == (sent_at, inv.id)
    assert report.pdf == PDF
    assert report.pdf_sha256 == hashlib.sha256(PDF).hexdigest()
    found = sae.sae_of(inv, subject.id, record.id, now=AWARE + timedelta(days=3))
    clock = clock_of(found)
    assert (clock.state, clock.remaining) == ("met", None)
    assert not found.overdue
    assert found.open_clock is None
    assert [r.id for r in found.reports] == [report.id]


def test_a_report_submitted_after_the_deadline_is_late(subject, inv):
    record = serious_ae(inv, subject)
    report = draft(inv, sae.sae_of(inv, subject.id, record.id))
    freeze_clock(AWARE + timedelta(hours=24, minutes=1))
    submit(inv, report)
    assert clock_of(sae.sae_of(inv, subject.id, record.id)).state == "late"


def test_a_draft_is_corrected_with_a_reason(subject, inv):
    found = sae.sae_of(inv, subject.id, serious_ae(inv, subject).id)
    with transaction():  # the draft was saved by an earlier request
        report = draft(inv, found)
    with pytest.raises(ReasonRequired):
        draft(inv, found, narrative="Admitted on 10 March.", report=report, version=report.version)
    db.session.rollback()
    draft(
        inv,
        found,
        narrative="Admitted on 10 March.",
        report=report,
        version=report.version,
        reason="date made explicit",
    )
    assert report.narrative == "Admitted on 10 March."


@pytest.mark.req("P11-07")
def test_a_submitted_report_is_never_changed(subject, inv):
    found = sae.sae_of(inv, subject.id, serious_ae(inv, subject).id)
    report = submit(inv, draft(inv, found))
    with pytest.raises(Conflict):
        draft(inv, found, narrative="Rewritten.", report=report, version=report.version, reason="x")
    with pytest.raises(Conflict):
        submit(inv, report, b"%PDF another")
    db.session.rollback()
    assert (report.narrative, report.pdf) == ("Admitted with pneumonia on 10 March.", PDF)


def test_follow_up_reports_are_numbered(subject, inv):
    record = serious_ae(inv, subject)
    found = sae.sae_of(inv, subject.id, record.id)
    initial = submit(inv, draft(inv, found))
    follow_ups = [draft(inv, found, "FOLLOWUP", f"Update {n}: discharged.") for n in (1, 2)]
    assert [r.number for r in (initial, *follow_ups)] == [0, 1, 2]
    found = sae.sae_of(inv, subject.id, record.id)
    assert [(r.kind, r.number) for r in found.reports] == [
        ("SAE", 0),
        ("FOLLOWUP", 1),
        ("FOLLOWUP", 2),
    ]
    assert found.kinds_needed() == ["SAE"]  # follow-ups have no clock


# --- SUSARs ---------------------------------------------------------------------------------


def test_a_life_threatening_susar_gets_the_7_and_15_day_clocks(subject, inv):
    serious_ae(inv, subject, **SUSAR, grade=4, criteria={"aeslife", "aeshosp"})
    (found,) = sae.saes(inv)
    assert found.kinds_needed() == ["SAE", "SUSAR_FATAL", "SUSAR_FATAL_FOLLOWUP"]
    assert clock_of(found, "SUSAR_FATAL").deadline == end_of(date(2026, 3, 17))
    assert clock_of(found, "SUSAR_FATAL_FOLLOWUP").deadline == end_of(date(2026, 3, 25))
    assert found.open_clock.kind == "SAE"


def test_susar_days_count_from_the_site_calendar_day_of_awareness(subject, inv):
    aware = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 01:00 on 11 March at the site
    freeze_clock(aware + timedelta(hours=1))
    serious_ae(inv, subject, **SUSAR, grade=4, criteria={"aeslife"}, aware_at=aware)
    (found,) = sae.saes(inv)
    assert clock_of(found, "SUSAR_FATAL").deadline == end_of(date(2026, 3, 18))
    assert clock_of(found, "SUSAR_FATAL").state == "open"
    susar_late = datetime(2026, 3, 18, 16, 0, 1, tzinfo=UTC)  # 00:00:01 on 19 March
    found = sae.saes(inv, now=susar_late)[0]
    assert clock_of(found, "SUSAR_FATAL").state == "overdue"


def test_a_fatal_susar_gets_the_7_day_clocks(subject, inv):
    serious_ae(
        inv,
        subject,
        **SUSAR,
        ctcae_term="Sepsis",
        grade=5,
        criteria={"aesdth"},
        ongoing=False,
        end_date="2026-03-10",
        aeout="FATAL",
    )
    (found,) = sae.saes(inv)
    assert found.kinds_needed() == ["SAE", "SUSAR_FATAL", "SUSAR_FATAL_FOLLOWUP"]


def test_another_susar_gets_the_15_day_clock(subject, inv):
    serious_ae(inv, subject, **SUSAR)
    (found,) = sae.saes(inv)
    assert found.kinds_needed() == ["SAE", "SUSAR"]
    assert clock_of(found, "SUSAR").deadline == end_of(date(2026, 3, 25))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"relatedness": "probably", "expected": True}, id="expected"),
        pytest.param({"relatedness": "unlikely", "expected": False}, id="not-related"),
    ],
)
def test_an_expected_or_unrelated_sae_has_only_the_initial_clock(subject, inv, changes):
    serious_ae(inv, subject, **changes, criteria={"aeslife"})
    (found,) = sae.saes(inv)
    assert found.kinds_needed() == ["SAE"]


def test_a_susar_report_stops_only_its_own_clock(subject, inv):
    record = serious_ae(inv, subject, **SUSAR)
    found = sae.sae_of(inv, subject.id, record.id)
    submit(inv, draft(inv, found, kind="SUSAR", narrative="Expedited report."))
    found = sae.sae_of(inv, subject.id, record.id, now=AWARE + timedelta(days=2))
    assert (clock_of(found, "SUSAR").state, clock_of(found, "SAE").state) == ("met", "overdue")
    assert found.overdue


# --- episodes -------------------------------------------------------------------------------


def test_a_grade_change_of_a_serious_event_keeps_one_sae(subject, inv):
    record = serious_ae(inv, subject)
    freeze_clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    with acting_as(inv), transaction():
        worse = events.change_grade(
            inv, subject.id, record.id, grade=4, on=date(2026, 3, 12), version=record.version
        )
    assert (worse.aeser, worse.aware_at, worse.episode_id) == (True, AWARE, record.id)
    (found,) = sae.saes(inv)
    assert found.record.id == record.id
    assert sae.sae_of(inv, subject.id, worse.id).record.id == record.id
    assert clock_of(found).deadline == AWARE + timedelta(hours=24)


def test_removing_the_first_record_of_a_serious_episode_keeps_its_reports(subject, inv):
    record = serious_ae(inv, subject)
    report = submit(inv, draft(inv, sae.sae_of(inv, subject.id, record.id)))
    freeze_clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    with acting_as(inv), transaction():
        events.change_grade(
            inv, subject.id, record.id, grade=4, on=date(2026, 3, 12), version=record.version
        )
    with acting_as(inv):
        with pytest.raises(Conflict):  # continued by a grade change, and has SAE reports
            events.remove(
                inv,
                subject.id,
                record.id,
                "grade 3 record entered in error",
                version=record.version,
            )
        db.session.rollback()
    (found,) = sae.saes(inv)
    assert [r.id for r in found.reports] == [report.id]
    assert clock_of(found).state == "met"


# --- who may --------------------------------------------------------------------------------


@pytest.mark.req("P11-09")
def test_a_monitor_reads_saes_but_writes_no_report(subject, inv, users):
    monitor = users["monitor"]
    record = serious_ae(inv, subject)
    (found,) = sae.saes(monitor)
    assert sae.sae_of(monitor, subject.id, record.id).record.id == record.id
    with pytest.raises(PermissionDenied):
        draft(monitor, found)
    report = draft(inv, found)
    with pytest.raises(PermissionDenied):
        submit(monitor, report)
    with pytest.raises(PermissionDenied):
        draft(users["coordinator"], found)
