"""From labs to AEs: a result graded at or above the task grade is a task for the investigator,
closed by an AE recorded for it or a reason why it is not one (studyapp.safety.tasks)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from studyapp.extensions import db
from studyapp.safety import events, tasks
from studyapp.safety.models import LabAeDecision
from studyapp.transaction import transaction
from studyapp.visits.models import LabPanel, LabResult
from tests import factories

DAY1 = date(2026, 3, 2)
DAY15 = date(2026, 3, 16)  # visit 3
DAY22 = date(2026, 3, 23)  # visit 4


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 24, 2, 0, tzinfo=UTC))  # Day 23
    return subject


@pytest.fixture
def inv(users):
    return users["investigator"]


@pytest.fixture
def neutropenia(subject, inv):
    """Neutrophils 0.8 x10^9/L on Day 15: grade 3."""
    factories.save_cbc(inv, subject, "3", DAY15, NEUT="0.8")
    return result("NEUT", DAY15)


def result(testcd: str, on: date) -> LabResult:
    return db.session.scalar(
        select(LabResult)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .where(LabResult.testcd == testcd, LabPanel.lb_date == on)
    )


def panel(on: date) -> LabPanel:
    return db.session.scalar(select(LabPanel).where(LabPanel.lb_date == on))


def answer(actor, lab: LabResult, decision, **kw):
    with acting_as(actor), transaction():
        return tasks.answer(actor, lab.id, decision=decision, **kw)


def open_ids(actor, subject=None) -> list[int]:
    return [t.result_id for t in tasks.open_tasks(actor, subject.id if subject else None)]


def test_a_grade_3_result_opens_a_task(subject, inv, neutropenia):
    assert neutropenia.toxgr == 3
    (task,) = tasks.open_tasks(inv)
    assert (task.result_id, task.subject_id, task.testcd, task.term, task.grade) == (
        neutropenia.id,
        subject.id,
        "NEUT",
        "Neutrophil count decreased",
        3,
    )
    assert task.unit.endswith("10^9/L")
    assert (task.value, task.on, task.visitnum, task.form, task.decision) == (
        Decimal("0.8"),
        DAY15,
        "3",
        "CBC",
        None,
    )
    assert tasks.get_task(inv, neutropenia.id) == task
    assert open_ids(inv, subject) == [neutropenia.id]


def test_a_grade_2_result_opens_no_task(subject, inv):
    factories.save_cbc(inv, subject, "3", DAY15, NEUT="1.2")
    assert result("NEUT", DAY15).toxgr == 2
    assert tasks.open_tasks(inv) == []
    with pytest.raises(NotFound):
        tasks.get_task(inv, result("NEUT", DAY15).id)


@pytest.mark.req("P11-05")
def test_not_an_ae_needs_a_reason(subject, inv, neutropenia):
    with pytest.raises(ValidationFailed) as excinfo:
        answer(inv, neutropenia, "not_ae", reason="  ")
    assert "reason" in excinfo.value.field_errors
    with pytest.raises(ValidationFailed) as excinfo:
        answer(inv, neutropenia, "maybe", reason="unsure")
    assert "decision" in excinfo.value.field_errors
    row = answer(inv, neutropenia, "not_ae", reason="benign ethnic neutropenia, known")
    assert (row.decision, row.grade, row.ae_id, row.reason, row.lab_result_id) == (
        "not_ae",
        3,
        None,
        "benign ethnic neutropenia, known",
        neutropenia.id,
    )
    assert tasks.open_tasks(inv) == []
    with pytest.raises(NotFound):
        tasks.get_task(inv, neutropenia.id)
    audited = {
        r.field: r.new_value
        for r in db.session.scalars(
            select(AuditLog).where(
                AuditLog.table_name == "lab_ae_decision", AuditLog.row_id == str(row.id)
            )
        )
    }
    assert audited["decision"] == "not_ae"
    assert audited["reason"] == "benign ethnic neutropenia, known"


def test_an_ae_answer_names_a_complete_ae_of_the_same_subject(subject, inv, neutropenia):
    neutropenic = {
        "aeterm": "neutropenia",
        "ctcae_term": "Neutrophil count decreased",
        "grade": 3,
        "start_date": "2026-03-16",
    }
    with pytest.raises(ValidationFailed) as excinfo:
        answer(inv, neutropenia, "ae")
    assert "ae_id" in excinfo.value.field_errors
    draft = factories.record_ae(inv, subject, completing=False, **neutropenic | {"aeout": None})
    with pytest.raises(Conflict):
        answer(inv, neutropenia, "ae", ae_id=draft.id)
    complete = factories.record_ae(inv, subject, **neutropenic)
    row = answer(inv, neutropenia, "ae", ae_id=complete.id, reason="ignored")
    assert (row.decision, row.ae_id, row.grade) == ("ae", complete.id, 3)
    assert tasks.open_tasks(inv) == []


def test_an_ae_of_another_subject_does_not_close_the_task(subject, inv, neutropenia):
    freeze_clock(datetime(2026, 3, 8, 1, 0, tzinfo=UTC))
    other = factories.make_enrolled(inv, date(2026, 3, 9), screened=date(2026, 3, 8))
    freeze_clock(datetime(2026, 3, 24, 2, 0, tzinfo=UTC))
    theirs = factories.record_ae(
        inv, other, ctcae_term="Neutrophil count decreased", grade=3, start_date="2026-03-16"
    )
    with pytest.raises(ValidationFailed) as excinfo:
        answer(inv, neutropenia, "ae", ae_id=theirs.id)
    assert "ae_id" in excinfo.value.field_errors
    assert open_ids(inv) == [neutropenia.id]
    assert open_ids(inv, other) == []


def test_a_corrected_value_below_the_task_grade_drops_the_task(subject, inv, neutropenia):
    factories.save_cbc(
        inv,
        subject,
        "3",
        DAY15,
        NEUT="1.6",
        version=panel(DAY15).version,
        reason="transcription error: 1.6 on the report",
    )
    db.session.expire_all()
    assert result("NEUT", DAY15).toxgr == 1
    assert tasks.open_tasks(inv) == []


def test_a_higher_grade_reopens_an_answered_task(subject, inv, neutropenia):
    first = answer(inv, neutropenia, "not_ae", reason="lab artefact, clumped sample")
    factories.save_cbc(
        inv,
        subject,
        "3",
        DAY15,
        NEUT="0.4",
        version=panel(DAY15).version,
        reason="transcription error: 0.4 on the report",
    )
    db.session.expire_all()
    (task,) = tasks.open_tasks(inv)
    assert (task.grade, task.decision.id, task.decision.grade) == (4, first.id, 3)
    again = answer(inv, neutropenia, "not_ae", reason="repeat sample normal the next day")
    assert again.id == first.id
    assert (again.grade, again.reason) == (4, "repeat sample normal the next day")
    assert tasks.open_tasks(inv) == []
    change = db.session.scalar(
        select(AuditLog).where(
            AuditLog.table_name == "lab_ae_decision",
            AuditLog.row_id == str(first.id),
            AuditLog.field == "grade",
            AuditLog.action == "update",
        )
    )
    assert (change.old_value, change.new_value) == ("3", "4")
    assert change.reason == "The result's grade rose to 4: answered again."


@pytest.mark.req("PRV-02")
def test_an_identifier_never_reaches_the_database_with_an_ae_answer(subject, inv, neutropenia):
    record = factories.record_ae(
        inv, subject, ctcae_term="Neutrophil count decreased", grade=3, start_date="2026-03-16"
    )
    with contextlib.suppress(ValidationFailed):
        answer(inv, neutropenia, "ae", ae_id=record.id, reason="daughter's phone 13812345678")
    db.session.rollback()
    stored = db.session.scalars(select(LabAeDecision.reason)).all()
    assert not any("13812345678" in (text or "") for text in stored)


def test_a_removed_ae_does_not_close_a_task(subject, inv, neutropenia):
    record = factories.record_ae(
        inv, subject, ctcae_term="Neutrophil count decreased", grade=3, start_date="2026-03-16"
    )
    with acting_as(inv), transaction():
        events.remove(inv, subject.id, record.id, "entered in error", version=record.version)
    with pytest.raises(ValidationFailed) as excinfo:
        answer(inv, neutropenia, "ae", ae_id=record.id)
    assert "ae_id" in excinfo.value.field_errors


# --- platelets, the disease marker ----------------------------------------------------------


def test_platelets_on_or_before_day_1_never_open_a_task(subject, inv):
    factories.save_cbc(inv, subject, "0", date(2026, 3, 1), PLAT=10)
    factories.save_cbc(inv, subject, "1", DAY1, PLAT=12)
    assert {result("PLAT", d).toxgr for d in (date(2026, 3, 1), DAY1)} == {4}
    assert tasks.open_tasks(inv) == []


@pytest.mark.parametrize(
    ("baseline", "count", "opens"),
    [
        (40, 30, False),  # both grade 3
        (40, 20, True),  # grade 3 -> 4 (DOMAIN.md section 6)
        (24, 8, True),  # both grade 4; below 10 and below half of 24
        (14, 8, False),  # both grade 4; not below half of 14
        (14, 6, True),  # below 10 and below half of 14
        (14, 14, False),  # at baseline, never
    ],
)
def test_platelets_open_a_task_only_on_significant_worsening(subject, inv, baseline, count, opens):
    factories.save_cbc(inv, subject, "1", DAY1, PLAT=baseline)
    factories.save_cbc(inv, subject, "4", DAY22, PLAT=count)
    lab = result("PLAT", DAY22)
    assert lab.toxgr >= 3
    assert open_ids(inv) == ([lab.id] if opens else [])
    if not opens:
        with pytest.raises(NotFound):
            tasks.get_task(inv, lab.id)


def test_an_answered_platelet_task_closes(subject, inv):
    factories.save_cbc(inv, subject, "1", DAY1, PLAT=40)
    factories.save_cbc(inv, subject, "4", DAY22, PLAT=15)
    lab = result("PLAT", DAY22)
    (task,) = tasks.open_tasks(inv)
    assert (task.result_id, task.grade, task.term) == (lab.id, 4, "Platelet count decreased")
    answer(inv, lab, "not_ae", reason="disease fluctuation, no bleeding")
    assert tasks.open_tasks(inv) == []


def test_without_a_day_1_count_the_screening_count_is_the_baseline(subject, inv):
    assert subject.platelet_count == 18
    factories.save_cbc(inv, subject, "3", DAY15, PLAT=9)  # half of 18: not below it
    factories.save_cbc(inv, subject, "4", DAY22, PLAT=8)
    assert open_ids(inv) == [result("PLAT", DAY22).id]


# --- who may --------------------------------------------------------------------------------


@pytest.mark.req("P11-09")
@pytest.mark.parametrize("role", ["monitor", "coordinator"])
def test_only_an_investigator_answers_a_task(subject, inv, users, neutropenia, role):
    assert open_ids(users[role]) == [neutropenia.id]
    with pytest.raises(PermissionDenied):
        answer(users[role], neutropenia, "not_ae", reason="lab artefact")
    assert db.session.scalar(select(LabAeDecision)) is None
