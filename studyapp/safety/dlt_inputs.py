"""What the DLT definition reads about an AE of a run-in subject (``clinical.adverse``).

``evaluate_dlt`` flags an AE as a candidate DLT on every save. Beyond the AE itself it looks
at the labs: an AE of a Hy's law SOC (``dlt.hys_law_socs``: Investigations, Hepatobiliary
disorders) whose onset may be the date of a draw meeting Hy's law (``adverse.hys_law``: ALT or
AST >= 3 x ULN with total bilirubin >= 2 x ULN in that draw) is a candidate for that reason.
A draw saved after the AE is weighed the next time the AE is saved.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from studyapp.clinical import adverse, partial_dates
from studyapp.clinical.schedule import study_day
from studyapp.clinical.units import Number
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.ae_checks import latest_day
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.models import Subject
from studyapp.visits.models import LabPanel, LabResult


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
    check = adverse.dlt_check(
        adverse.DltInput(
            first_day=study_day(day1, first),
            last_day=study_day(day1, last),
            grade=grade,
            related=adverse.is_related(relatedness, protocol.safety, protocol.dlt.min_relatedness),
            term=record.aedecod or "",
            soc=record.aesoc or "",
            hys_law=(record.aesoc or "") in protocol.dlt.hys_law_socs
            and hys_law_drawn(subject.id, first, last),
        ),
        protocol.dlt,
        protocol.run_in,
    )
    record.dlt_candidate = check.candidate
    record.dlt_reason = ",".join((check.reason, *check.exceptions))


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
