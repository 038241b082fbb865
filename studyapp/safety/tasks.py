"""From labs to AEs: every lab result graded at or above the protocol's AE task grade is a task
for the investigator, closed only by one of two answers: an adverse event was recorded for it,
or it is not one (with the reason).

Platelets are the disease marker: patients enter with grade 3-4 counts, so a low count is a
task only after Day 1 and on significant worsening from the baseline count (DOMAIN.md
section 6: below baseline and graded worse than it, or below 10 and below half of it, with the
protocol's values; ``labs.findings.calls_for_ae``, the rule the lab page's AE prompt follows).

Tasks are derived from the saved results (``LabResult.toxgr``), so a corrected value below the
threshold drops its task; an answer is kept per result with the grade it answered, and a
higher grade later reopens the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical.ctcae_tables import TABLES
from studyapp.crf.status import COMPLETE
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import NOT_AE, RECORDED_AE, AdverseEvent, LabAeDecision
from studyapp.subjects.guards import invalid
from studyapp.subjects.models import Subject
from studyapp.visits.labs.findings import calls_for_ae, disease_test, platelet_baseline
from studyapp.visits.labs.readings import unit_text
from studyapp.visits.models import LabPanel, LabResult, Visit


@dataclass(frozen=True)
class Task:
    result_id: int
    subject_id: int
    subject_label: str
    testcd: str
    term: str
    grade: int
    value: Decimal
    unit: str
    on: date | None
    visitnum: str
    form: str
    decision: LabAeDecision | None  # an earlier answer for a lower grade, if any


def _query(
    subject_id: int | None, result_id: int | None
) -> Select[tuple[LabResult, LabPanel, Visit, Subject, LabAeDecision]]:
    threshold = get_protocol().safety.ae_task_min_grade
    query = (
        select(LabResult, LabPanel, Visit, Subject, LabAeDecision)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .join(Visit, Visit.id == LabResult.visit_id)
        .join(Subject, Subject.id == LabResult.subject_id)
        .outerjoin(LabAeDecision, LabAeDecision.lab_result_id == LabResult.id)
        .where(
            LabResult.toxgr >= threshold,
            LabResult.stresn.is_not(None),
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
            or_(
                LabAeDecision.id.is_(None),
                LabAeDecision.grade < LabResult.toxgr,
            ),
        )
        .order_by(LabPanel.lb_date.asc().nulls_last(), LabResult.id)
    )
    if subject_id is not None:
        query = query.where(LabResult.subject_id == subject_id)
    if result_id is not None:
        query = query.where(LabResult.id == result_id)
    return query


def open_tasks(actor: User, subject_id: int | None = None) -> list[Task]:
    """Open tasks (all subjects, or one), oldest sample first."""
    require(actor, Action.VIEW_STUDY_DATA)
    rows = db.session.execute(_query(subject_id, None)).all()
    baselines: dict[int, Decimal | None] = {}
    return [_task(*row) for row in rows if _worth_a_task(row[0], row[1], row[3], baselines)]


def _worth_a_task(
    result: LabResult, panel: LabPanel, subject: Subject, baselines: dict[int, Decimal | None]
) -> bool:
    """Every graded result, except platelets on or before Day 1 or no significant worsening."""
    if result.testcd != disease_test():
        return True
    if subject.id not in baselines:
        baselines[subject.id] = platelet_baseline(subject)
    value = Decimal(result.stresn or 0)
    base = baselines[subject.id]
    return calls_for_ae(subject, result.testcd, value, panel.lb_date, result.nrlo, base)


def _task(
    result: LabResult,
    panel: LabPanel,
    visit: Visit,
    subject: Subject,
    decision: LabAeDecision | None,
) -> Task:
    return Task(
        result_id=result.id,
        subject_id=subject.id,
        subject_label=subject.label,
        testcd=result.testcd,
        term=TABLES[result.testcd].term,
        grade=result.toxgr or 0,
        value=Decimal(result.stresn or 0),
        unit=unit_text(result.stresu or ""),
        on=panel.lb_date,
        visitnum=visit.visitnum,
        form=panel.form,
        decision=decision,
    )


def get_task(actor: User, result_id: int) -> Task:
    """One open task; NotFound when there is none (answered, or the grade is below)."""
    require(actor, Action.VIEW_STUDY_DATA)
    row = db.session.execute(_query(None, result_id)).first()
    if row is None or not _worth_a_task(row[0], row[1], row[3], {}):
        raise NotFound(_("There is no open AE task for this lab result."))
    return _task(*row)


def answer(
    actor: User,
    result_id: int,
    *,
    decision: str | None,
    ae_id: int | None = None,
    reason: str | None = None,
) -> LabAeDecision:
    """Close a task: ``ae`` with the AE recorded for it, or ``not_ae`` with the reason."""
    require(actor, Action.RECORD_SAFETY)
    task = get_task(actor, result_id)
    text = (reason or "").strip() or None
    if decision == RECORDED_AE:
        _check_ae(task, ae_id)
    elif decision == NOT_AE:
        if text is None:
            raise invalid("reason", _("Say why this result is not an adverse event."))
    else:
        raise invalid("decision", _("Record an adverse event, or say why it is not one."))
    check_free_text({"reason": text})
    row = task.decision
    if row is None:
        row = LabAeDecision(subject_id=task.subject_id, lab_result_id=task.result_id)
        db.session.add(row)
    else:
        set_reason(_("The result's grade rose to %(g)d: answered again.", g=task.grade))
    row.grade = task.grade
    row.decision = decision
    row.ae_id = ae_id if decision == RECORDED_AE else None
    row.reason = text
    db.session.flush()
    return row


def close_with_ae(actor: User, result_id: int, record: AdverseEvent) -> bool:
    """An AE recorded from a task's link answers it: when the AE is complete and the task is
    still open for the same subject. False otherwise (nothing changes)."""
    if record.status != COMPLETE:
        return False
    try:
        task = get_task(actor, result_id)
    except NotFound:
        return False
    if task.subject_id != record.subject_id:
        return False
    answer(actor, result_id, decision=RECORDED_AE, ae_id=record.id)
    return True


def _check_ae(task: Task, ae_id: int | None) -> None:
    if ae_id is None:
        raise invalid("ae_id", _("Choose the adverse event recorded for this result."))
    record = db.session.get(AdverseEvent, ae_id)
    if record is None or record.subject_id != task.subject_id or record.is_deleted:
        raise invalid("ae_id", _("Choose an adverse event of this subject."))
    if record.status != COMPLETE:
        raise Conflict(_("Complete the adverse event form first."))


def answered(subject_id: int) -> dict[int, LabAeDecision]:
    """The answers given for a subject's results, by lab result id."""
    rows = db.session.scalars(select(LabAeDecision).where(LabAeDecision.subject_id == subject_id))
    return {row.lab_result_id: row for row in rows}
