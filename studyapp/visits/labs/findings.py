"""Lab results that call for an adverse event, and the investigator's prompts about them.

A result graded (CTCAE v5.0) at or above the protocol's ``safety.ae_task_min_grade`` is a
``Finding``: the investigator records an adverse event or documents why it is not one.
``findings`` lists the saved ones (the lab page, the subject page, the safety module);
``finding_of`` is the one a reading would make once saved (the page and the live preview);
``ae_prompt`` words the request, for platelets with why a low count is not always an adverse
event (patients enter the trial with low counts). A platelet count prompts only after Day 1 and
on significant worsening from the baseline count (``clinical.platelet_ae``, DOMAIN.md section 6);
``calls_for_ae`` decides it for the prompts and the safety module's tasks alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, select

from studyapp.clinical.ctcae_tables import TABLES
from studyapp.clinical.platelet_ae import significant_platelet_worsening
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits import summary
from studyapp.visits.labs.readings import Reading, unit_text
from studyapp.visits.models import LabPanel, LabResult, Visit


def disease_test() -> str:
    """The disease marker, the protocol's platelet test (``response.platelet_test``).

    In ITP patients enter with platelet grade 3-4, so a low count is an AE only on significant
    worsening (DOMAIN.md section 6); its prompt says so.
    """
    return get_protocol().response.platelet_test


@dataclass(frozen=True)
class Finding:
    """A result graded at or above the protocol's AE task grade (SI value and unit)."""

    testcd: str
    term: str
    grade: int
    value: Decimal
    unit: str
    on: date | None
    visitnum: str
    form: str
    result_id: int | None = None
    lln: Decimal | None = None  # the laboratory's LLN (SI), to grade a count against baseline


def ae_min_grade() -> int:
    return get_protocol().safety.ae_task_min_grade


def findings(
    subject_id: int,
    *,
    visit_id: int | None = None,
    form: str | None = None,
    min_grade: int | None = None,
) -> list[Finding]:
    """Saved results graded >= *min_grade* (default: the protocol's AE task grade).

    For the lab page (a visit's form), the subject page and the safety module (all of a
    subject's findings, by sample date).
    """
    query = _graded(subject_id, ae_min_grade() if min_grade is None else min_grade)
    if visit_id is not None:
        query = query.where(LabResult.visit_id == visit_id)
    if form is not None:
        query = query.where(LabPanel.form == form)
    return [
        Finding(
            testcd=r.testcd,
            term=TABLES[r.testcd].term,
            grade=r.toxgr,
            value=Decimal(r.stresn),
            unit=r.stresu or "",
            on=on,
            visitnum=num,
            form=code,
            result_id=r.id,
            lln=r.nrlo,
        )
        for r, on, code, num in db.session.execute(query).all()
    ]


def _graded(subject_id: int, min_grade: int) -> Select[tuple[LabResult, date | None, str, str]]:
    """The subject's saved results graded >= *min_grade*, with sample date, form and VISITNUM."""
    return (
        select(LabResult, LabPanel.lb_date, LabPanel.form, Visit.visitnum)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .join(Visit, Visit.id == LabResult.visit_id)
        .where(
            LabResult.subject_id == subject_id,
            LabResult.toxgr >= min_grade,
            LabResult.stresn.is_not(None),
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
        )
        .order_by(LabPanel.lb_date.asc().nulls_last(), LabResult.id)
    )


def finding_of(reading: Reading, visitnum: str, form: str) -> Finding | None:
    """The finding a reading would make once saved, if its grade calls for an AE review."""
    if reading.grade is None or reading.grade < ae_min_grade():
        return None
    return Finding(
        testcd=reading.test.testcd,
        term=TABLES[reading.test.testcd].term,
        grade=reading.grade,
        value=reading.si,
        unit=reading.test.si_unit,
        on=reading.on,
        visitnum=visitnum,
        form=form,
        lln=reading.low,
    )


def ae_prompt(finding: Finding, platelet_baseline: Decimal | None = None) -> str:
    """The prompt of one finding; for platelets, why a low count is not always an AE.

    e.g. "Grade 3 platelet count decreased (45 x10^9/L on 2026-03-16): record an adverse
    event, or document why it is not one."
    """
    text: str = _(
        "Grade %(g)d %(term)s (%(v)s %(u)s on %(d)s): record an adverse event, "
        "or document why it is not one.",
        g=finding.grade,
        term=finding.term[0].lower() + finding.term[1:],
        v=plain_number(finding.value),
        u=unit_text(finding.unit),
        d=finding.on.isoformat() if finding.on else _("no sample date"),
    )
    if finding.testcd != disease_test():
        return text
    if platelet_baseline is None:
        note = _(
            "Patients enter this trial with low platelets: a low count is an adverse event "
            "only on significant worsening from baseline."
        )
    else:
        note = _(
            "Baseline platelets %(b)s %(u)s: patients enter with low platelets, so a low count "
            "is an adverse event only on significant worsening from baseline.",
            b=plain_number(platelet_baseline),
            u=unit_text(finding.unit),
        )
    return f"{text} {note}"


def calls_for_ae(
    subject: Subject,
    testcd: str,
    value: Decimal,
    on: date | None,
    lln: Decimal | None,
    baseline: Decimal | None,
) -> bool:
    """Whether a result graded at the task grade asks for an AE: always, except platelets,
    which ask only after Day 1 and on significant worsening from *baseline* (without a
    baseline count the investigator judges, so it asks)."""
    if testcd != disease_test():
        return True
    if subject.day1_date is None or on is None or on <= subject.day1_date:
        return False
    if baseline is None:
        return True
    rule = get_protocol().safety
    return significant_platelet_worsening(value, baseline, testcd=testcd, rule=rule, lln=lln)


def platelet_baseline(subject: Subject) -> Decimal | None:
    """The subject's baseline platelet count (DOMAIN.md section 4), None without one."""
    if subject.day1_date is None:
        return None
    base, _source = summary.baseline(subject, summary.platelet_counts(subject))
    return base


def ae_prompts(subject: Subject, found: list[Finding]) -> list[str | None]:
    """The investigator's prompt for each of *found* (the platelet ones with the baseline
    count), None for a platelet count that is no significant worsening."""
    base = None
    if any(f.testcd == disease_test() for f in found):
        base = platelet_baseline(subject)
    return [
        ae_prompt(f, base) if calls_for_ae(subject, f.testcd, f.value, f.on, f.lln, base) else None
        for f in found
    ]
