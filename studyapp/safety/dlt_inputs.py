"""What the DLT definition reads about an AE of a run-in subject (``clinical.adverse``).

``evaluate_dlt`` flags an AE as a candidate DLT on every save. Beyond the AE itself it looks
at the labs: an AE of a Hy's law SOC (``dlt.hys_law_socs``: Investigations, Hepatobiliary
disorders) whose onset may be the date of a draw meeting Hy's law (``adverse.hys_law``: ALT or
AST >= 3 x ULN with total bilirubin >= 2 x ULN in that draw) is a candidate for that reason.
An AE whose term is a bleeding (``adverse.is_bleeding_term``) takes the worst WHO grade of the
bleeding assessments from its onset to its end; the date WHO grade 3 is first reached is the
onset the DLT window judges. A draw or an assessment saved or removed after the AE weighs the
subject's adverse events again (``reweigh``, through the CRF core's ``findings_saved``), so a
candidate appears (or goes) for the DLT review without anyone re-saving the AE.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from studyapp.clinical import adverse, partial_dates
from studyapp.clinical.schedule import study_day
from studyapp.clinical.units import Number
from studyapp.crf.save import findings_saved
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.ae_checks import latest_day
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.models import Subject
from studyapp.visits.models import BleedingAssessment, LabPanel, LabResult


def evaluate_dlt(record: AdverseEvent, subject: Subject) -> None:
    """Flag a run-in subject's AE that meets the protocol's DLT definition (a candidate)."""
    protocol = get_protocol()
    day1, start, grade, relatedness = (
        subject.day1_date,
        record.start_date,
        record.grade,
        record.relatedness,
    )
    if not (subject.run_in and day1 and start and grade and relatedness and record.aedecod):
        record.dlt_candidate, record.dlt_reason = False, None
        return
    first, last = partial_dates.earliest(start), latest_day(start)
    who, reached = None, None
    if adverse.is_bleeding_term(record.aedecod, protocol.dlt):
        who, reached = worst_who_grade(subject.id, first, record.end_date)
    if reached is not None:  # the day WHO grade 3 is first reached counts for the window
        first = last = reached
    check = adverse.dlt_check(
        adverse.DltInput(
            first_day=study_day(day1, first),
            last_day=study_day(day1, last),
            grade=grade,
            related=adverse.is_related(relatedness, protocol.safety, protocol.dlt.min_relatedness),
            term=record.aedecod,
            soc=record.aesoc or "",
            hys_law=(record.aesoc or "") in protocol.dlt.hys_law_socs
            and hys_law_drawn(subject.id, first, last),
            who_bleeding_grade=who,
        ),
        protocol.dlt,
        protocol.run_in,
    )
    record.dlt_candidate = check.candidate
    record.dlt_reason = ",".join((check.reason, *check.exceptions))


def worst_who_grade(
    subject_id: int, first: date, end_text: str | None
) -> tuple[int | None, date | None]:
    """The worst WHO grade of the subject's bleeding assessments from *first* to the AE's end
    (open while ongoing), and the first date the DLT's WHO grade was reached (None if never)."""
    query = select(BleedingAssessment.assessed_date, BleedingAssessment.who_grade).where(
        BleedingAssessment.subject_id == subject_id,
        BleedingAssessment.deleted_at.is_(None),
        BleedingAssessment.who_grade.is_not(None),
        BleedingAssessment.assessed_date >= first,
    )
    if end_text:
        query = query.where(BleedingAssessment.assessed_date <= latest_day(end_text))
    rows = db.session.execute(query.order_by(BleedingAssessment.assessed_date)).all()
    if not rows:
        return None, None
    needed = get_protocol().dlt.bleeding_min_who_grade
    reached = next((on for on, grade in rows if grade >= needed), None)
    return max(grade for _on, grade in rows), reached


def hys_law_drawn(subject_id: int, first: date, last: date) -> bool:
    """Whether a draw of the subject sampled from *first* to *last* meets Hy's law."""
    rule = get_protocol().dlt
    tests = (*rule.hys_law_aminotransferase_tests, rule.hys_law_bilirubin_test)
    rows = db.session.execute(
        select(LabResult.panel_id, LabResult.testcd, LabResult.stresn, LabResult.nrhi)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .where(
            LabResult.subject_id == subject_id,
            LabResult.testcd.in_(tests),
            LabResult.stresn.is_not(None),
            LabResult.nrhi.is_not(None),  # a value without its ULN cannot be judged
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
            LabPanel.lb_date.between(first, last),
        )
    ).all()
    draws: dict[int, dict[str, tuple[Number | None, Number | None]]] = defaultdict(dict)
    for panel_id, testcd, value, uln in rows:
        draws[panel_id][testcd] = (value, uln)
    return any(adverse.hys_law(draw, rule) for draw in draws.values())


@findings_saved.answer
def reweigh(record: object) -> None:
    """A lab draw or a bleeding assessment of a run-in subject was saved or removed: weigh
    each of the subject's adverse events against the DLT definition again (flushed)."""
    if not isinstance(record, LabPanel | BleedingAssessment):
        return
    subject = db.session.get(Subject, record.subject_id)
    if subject is None or not subject.run_in:
        return
    events = db.session.scalars(
        select(AdverseEvent).where(
            AdverseEvent.subject_id == subject.id, AdverseEvent.deleted_at.is_(None)
        )
    )
    for event in events:
        evaluate_dlt(event, subject)
    db.session.flush()
