"""The adverse events of the demo study, recorded by the demo investigator as they happened.

Each entry goes through the safety services on its own study day and at its own site time (the
clock is frozen there), after that day's visit: an infusion-related reaction at the first
infusion (ITP-001), fatigue whose grade rises then falls (ITP-001), a lymphopenia judged not
an adverse event (ITP-002), a grade 3 worsening of known hypertension unrelated to the drug
(ITP-002), and a serious epistaxis with hospital admission whose initial report met its clock
and whose follow-up reports the recovery (ITP-003). A grade 3 neutropenia of ITP-004 is left
for the investigator to answer. Keys are those of ``demo.ENROLMENT_ORDER``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from studyapp import codelists
from studyapp.audit import acting_as
from studyapp.auth.models import User
from studyapp.clinical.schedule import date_of_day
from studyapp.db import site_zone
from studyapp.demo.visits import Step
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.reports import sae_pdf
from studyapp.safety import events, report_data, sae, tasks
from studyapp.safety.events import AeEntry
from studyapp.safety.models import FOLLOW_UP, INITIAL, NOT_AE, RECORDED_AE, AdverseEvent, SaeReport
from studyapp.subjects.models import Subject
from studyapp.visits.labs import service as labs
from studyapp.visits.medications import service as medications
from studyapp.visits.models import CONCOMITANT, Visit
from studyapp.visits.schedule import extra_visits
from studyapp.visits.schedule import service as schedule

#: An entry's defaults: not serious, study drug not changed.
BLANK = AeEntry(
    aeterm=None,
    ctcae_term=None,
    start_date=None,
    end_date=None,
    ongoing=False,
    grade=None,
    serious=False,
    criteria=frozenset(),
    aware_at=None,
    relatedness=None,
    expected=None,
    aeacn=codelists.DOSE_NOT_CHANGED,
    aeout=None,
    treatment=None,
    irr=False,
    dose_id=None,
)
RESOLVED, NOT_RESOLVED = codelists.RECOVERED, codelists.NOT_RECOVERED
#: The serious epistaxis of ITP-003: study day of onset, site time the site learnt of it.
SAE_DAY, AWARE = 23, time(21, 40)

Action = Callable[[User, Subject, date], None]


def steps(inv: User, subject: Callable[[str], Subject], day1: Mapping[str, date]) -> list[Step]:
    """The safety entries, each on its study day and site time (after the day's visit)."""

    def on(key: str, day: int, at: time, action: Action) -> Step:
        return Step(
            date_of_day(day1[key], day), lambda: _as(inv, subject(key), day1[key], action), at
        )

    return [
        on("first", 1, time(18, 20), _infusion_reaction),
        on("first", 8, time(18, 20), _fatigue_reported),
        on("first", 15, time(18, 20), _fatigue_improves),
        on("first", 29, time(18, 20), _fatigue_resolved),
        on("second", 22, time(18, 20), _lymphopenia_not_ae),
        on("second", 85, time(11, 0), _hypertension),
        on("third", SAE_DAY, time(22, 30), _epistaxis),
        on("third", SAE_DAY + 1, time(8, 40), _initial_report),
        on("third", SAE_DAY + 1, time(10, 30), _admission_labs),
        on("third", 29, time(18, 30), _epistaxis_resolved),
    ]


def _as(inv: User, subject: Subject, day1: date, action: Action) -> None:
    with acting_as(inv):
        action(inv, subject, day1)


def _day(day1: date, day: int) -> str:
    return date_of_day(day1, day).isoformat()


def _ongoing(subject: Subject, term: str) -> AdverseEvent:
    """The ongoing record of the subject's event coded *term* (the latest of its episode)."""
    return next(r for r in events.listing(subject) if r.aedecod == term and r.ongoing)


# --- ITP-001: an infusion-related reaction, and fatigue graded 1, 2, then 1 ----------------


def _infusion_reaction(inv: User, subject: Subject, day1: date) -> None:
    dose = next(d for d in events.doses(subject) if d.dose_number == 1)
    entry = dataclasses.replace(
        BLANK,
        aeterm="Chills and chest tightness during the first infusion",
        ctcae_term="Infusion related reaction",
        start_date=_day(day1, 1),
        end_date=_day(day1, 1),
        grade=2,
        relatedness="possibly",
        expected=True,
        aeacn="DRUG INTERRUPTED",
        aeout=RESOLVED,
        treatment="Infusion paused; diphenhydramine 20 mg IV; restarted at half rate",
        irr=True,
        dose_id=dose.id,
    )
    events.add(inv, subject.id, entry, confirmed=True)


def _fatigue_reported(inv: User, subject: Subject, day1: date) -> None:
    """Told at the Day 8 visit: tired since Day 2, limiting housework since Day 5."""
    entry = dataclasses.replace(
        BLANK,
        aeterm="Tiredness after the first infusion",
        ctcae_term="Fatigue",
        start_date=_day(day1, 2),
        ongoing=True,
        grade=1,
        relatedness="possibly",
        aeout=NOT_RESOLVED,
    )
    record = events.add(inv, subject.id, entry, confirmed=True)
    on = date_of_day(day1, 5)
    events.change_grade(inv, subject.id, record.id, grade=2, on=on, version=record.version)


def _fatigue_improves(inv: User, subject: Subject, day1: date) -> None:
    record = _ongoing(subject, "Fatigue")
    on = date_of_day(day1, 12)
    events.change_grade(inv, subject.id, record.id, grade=1, on=on, version=record.version)


def _fatigue_resolved(inv: User, subject: Subject, day1: date) -> None:
    record = _ongoing(subject, "Fatigue")
    entry = dataclasses.replace(
        events.entry_of(record), ongoing=False, end_date=_day(day1, 24), aeout=RESOLVED
    )
    reason = "Resolved on Day 24, reported at the Day 29 visit"
    events.update(inv, subject.id, record.id, entry, version=record.version, reason=reason)


# --- ITP-002: a lymphopenia that is not an AE, and a worsening of known hypertension --------


def _lymphopenia_not_ae(inv: User, subject: Subject, day1: date) -> None:
    (task,) = (t for t in tasks.open_tasks(inv, subject.id) if t.testcd == "LYM")
    reason = "Transient and asymptomatic: 1.6 x10^9/L at Day 22. Not clinically significant."
    tasks.answer(inv, task.result_id, decision=NOT_AE, reason=reason)


def _hypertension(inv: User, subject: Subject, day1: date) -> None:
    """Reported at the follow-up visit of Day 85: amlodipine added by cardiology on Day 79."""
    entry = dataclasses.replace(
        BLANK,
        aeterm="Worsening of known hypertension, home readings up to 168/104 mmHg with headache",
        ctcae_term="Hypertension",
        start_date=_day(day1, 78),
        ongoing=True,
        grade=3,
        relatedness="not_related",
        aeacn="NOT APPLICABLE",  # dosing ended on Day 50
        aeout="RECOVERING/RESOLVING",
        treatment="Amlodipine 5 mg once daily added to his usual treatment",
    )
    events.add(inv, subject.id, entry, confirmed=True)
    amlodipine = medications.MedicationEntry(
        category=CONCOMITANT,
        rescue_type=None,
        trt="Amlodipine",
        dose=Decimal(5),
        dose_unit="mg",
        route="ORAL",
        frequency="QD",
        start_date=_day(day1, 79),
        end_date=None,
        ongoing=True,
        indication="Worsening hypertension",
    )
    visitnum = schedule.visitnum_text(get_protocol().visit("FU85").visitnum)
    medications.add(inv, subject.id, visitnum, amlodipine, confirmed=True)


# --- ITP-003: epistaxis with hospital admission (SAE), reported within its 24 h clock -------


def _epistaxis(inv: User, subject: Subject, day1: date) -> None:
    """Told by the ward at 21:40 of the day after the Day 22 visit; entered that night."""
    onset = date_of_day(day1, SAE_DAY)
    entry = dataclasses.replace(
        BLANK,
        aeterm="Epistaxis requiring hospital admission and red cell transfusion",
        ctcae_term="Epistaxis",
        start_date=onset.isoformat(),
        ongoing=True,
        grade=3,
        serious=True,
        criteria=frozenset({"aeshosp"}),
        aware_at=datetime.combine(onset, AWARE, tzinfo=site_zone()),
        relatedness="unlikely",
        expected=False,
        aeout="RECOVERING/RESOLVING",
        treatment="Anterior nasal packing; IVIG 30 g daily for 2 days; 2 units of red cells",
    )
    record = events.add(inv, subject.id, entry, confirmed=True)
    item = sae.sae_of(inv, subject.id, record.id)
    sae.save_report(inv, item, kind=INITIAL, narrative=_initial_narrative(subject, day1))


def _initial_narrative(subject: Subject, day1: date) -> str:
    onset = date_of_day(day1, SAE_DAY)
    return (
        f"A {subject.age_years}-year-old woman with chronic ITP, not responding so far "
        "(platelets 8 x10^9/L at the Day 22 visit, with WHO grade 2 epistaxis), came to the "
        f"emergency department on the evening of Day 23 ({onset.isoformat()}) with epistaxis "
        "lasting over 30 minutes. The ward told the site at 21:40 and she was admitted. "
        "On admission haemoglobin was 78 g/L (121 g/L on Day 22) and platelets 5 x10^9/L. "
        "ENT placed anterior nasal packing; IVIG 30 g daily was started and 2 units of red "
        "cells were transfused. Last daratumumab dose: dose 4 on Day 22, without infusion "
        "reaction. The investigator judges the event unlikely related to daratumumab: "
        "bleeding from the persistent severe thrombocytopenia of the underlying ITP. "
        "The event is ongoing; a follow-up report will be sent."
    )


def _initial_report(inv: User, subject: Subject, day1: date) -> None:
    """Checked and submitted the next morning, within 24 hours of awareness."""
    record = _ongoing(subject, "Epistaxis")
    item = sae.sae_of(inv, subject.id, record.id)
    (draft,) = (r for r in item.reports if r.submitted_at is None)
    _submit(inv, item, draft)


def _submit(inv: User, item: sae.Sae, report: SaeReport) -> None:
    """Submitted with the PDF of the report as the CRFs stand now (as the SAE page does)."""
    pdf = sae_pdf.render(report_data.build(item, report, inv))
    sae.submit(inv, report, pdf, version=report.version)


def _admission_labs(inv: User, subject: Subject, day1: date) -> None:
    """The ward's admission blood count and transfusion, entered at the unscheduled visit of
    the rescue IVIG; the anaemia task is answered with the epistaxis it came from."""
    onset = date_of_day(day1, SAE_DAY)
    visit = db.session.scalars(
        select(Visit).where(
            Visit.subject_id == subject.id,
            Visit.code == extra_visits.unscheduled_code(),
            Visit.visit_date == onset,
        )
    ).one()
    values = {"PLAT": "5", "HGB": "78", "WBC": "7.9", "NEUT": "5.6", "LYM": "1.5"}
    units = {"HGB": "g/L"}
    entry = labs.LabEntry(
        onset,
        time(22, 5),
        {k: (Decimal(v), units.get(k, "10^9/L")) for k, v in values.items()},
    )
    labs.save(inv, subject.id, visit.visitnum, "CBC", entry, confirmed=True)
    medications.add(inv, subject.id, visit.visitnum, _red_cells(onset), confirmed=True)
    record = _ongoing(subject, "Epistaxis")
    (task,) = (t for t in tasks.open_tasks(inv, subject.id) if t.testcd == "HGB")
    tasks.answer(inv, task.result_id, decision=RECORDED_AE, ae_id=record.id)


def _red_cells(onset: date) -> medications.MedicationEntry:
    return medications.MedicationEntry(
        category=CONCOMITANT,
        rescue_type=None,
        trt="Red blood cells, leucocyte-depleted",
        dose=Decimal(2),
        dose_unit="U",
        route="INTRAVENOUS",
        frequency="ONCE",
        start_date=onset.isoformat(),
        end_date=(onset + timedelta(days=1)).isoformat(),
        ongoing=False,
        indication="Blood loss from epistaxis, haemoglobin 78 g/L",
    )


def _epistaxis_resolved(inv: User, subject: Subject, day1: date) -> None:
    """At the Day 29 visit: the follow-up report of the recovery."""
    record = _ongoing(subject, "Epistaxis")
    entry = dataclasses.replace(
        events.entry_of(record), ongoing=False, end_date=_day(day1, 25), aeout=RESOLVED
    )
    reason = "Follow-up: resolved after discharge"
    events.update(inv, subject.id, record.id, entry, version=record.version, reason=reason)
    item = sae.sae_of(inv, subject.id, record.id)
    narrative = (
        f"Follow-up 1. The nasal packing was removed on Day 25 ({_day(day1, 25)}) with no "
        f"further bleeding: the epistaxis resolved that day. Discharged on Day 26 "
        f"({_day(day1, 26)}). IVIG 30 g daily was given on Days 23 and 24. At the Day 29 visit "
        "platelets were 41 x10^9/L and haemoglobin 97 g/L, with no bleeding; daratumumab "
        "dose 5 was given as planned. Outcome: recovered. Causality unchanged: unlikely related."
    )
    report = sae.save_report(inv, item, kind=FOLLOW_UP, narrative=narrative)
    _submit(inv, sae.sae_of(inv, subject.id, record.id), report)
