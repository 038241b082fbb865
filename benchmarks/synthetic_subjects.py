"""The made-up subjects of the synthetic study (benchmarks/synthetic_study.py).

Each subject is drawn from its own seeded random generator, so a size always gives the same
study: a candidate (``demo.loader.DemoSubject``), a visit course (``demo.visits.Course``:
weight, platelet count per visit, bleeding, an infusion paused for a reaction, a rescue IVIG)
and its adverse events, each a dated step entered through the safety services as the demo's
are: a resolved grade 1 event for everyone, an infusion-related reaction at the first dose, a
grade 3 worsening of hypertension, and a serious epistaxis with its initial SAE report.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studyapp import codelists
from studyapp.audit import acting_as
from studyapp.auth.models import User
from studyapp.clinical.schedule import date_of_day
from studyapp.db import site_zone
from studyapp.demo.loader import DemoSubject
from studyapp.demo.safety import BLANK
from studyapp.demo.visits import Course, Pause, Rescue, Step
from studyapp.protocol.loader import get_protocol
from studyapp.reports import sae_pdf
from studyapp.safety import events, report_data, sae
from studyapp.safety.models import INITIAL
from studyapp.subjects.models import Subject
from studyapp.visits.medications import service as medications
from studyapp.visits.models import CONCOMITANT
from studyapp.visits.schedule import service as schedule

INITIALS = ("ZW", "LN", "WF", "CJ", "LXM", "HT", "GQ", "MR", "DKF", "YL", "SUN", "XJ")
#: A corticosteroid, then a second-line therapy (inclusion criteria IN04 and IN05).
STEROIDS = ("prednisone", "dexamethasone")
SECOND_LINE = ("rituximab", "eltrombopag", "romiplostim", "hetrombopag")
HISTORY = ("Hypertension", "Type 2 diabetes mellitus", "Hypothyroidism", "Asthma (mild)")
#: Platelet counts (10^9/L) from Day 1 on by course: where they rise to, and how fast.
PATTERNS = {"complete": (110, 160), "responder": (50, 95), "none": (6, 25)}
EVENING = time(18, 20)
Action = Callable[[User, Subject, date], None]


def candidate(n: int) -> DemoSubject:
    """The n-th candidate; every tenth fails screening on a platelet count above the limit."""
    rng = random.Random(f"candidate-{n}")  # noqa: S311 - made-up data, seeded
    sex = rng.choice("FM")
    count = rng.randint(5, 27)
    first, second = rng.choice(STEROIDS), rng.choice(SECOND_LINE)
    return DemoSubject(
        initials=rng.choice(INITIALS),
        sex=sex,
        age=rng.randint(19, 74),
        itp_years=rng.randint(2, 12),
        platelets=(count, max(3, count - rng.randint(0, 4))),
        therapies=(
            (first, rng.randint(4, 8), "R", "RELAPSE"),
            (second, rng.randint(1, 3), "NR", "NO RESPONSE"),
        ),
        history=((rng.choice(HISTORY), rng.randint(1, 10)),),
        pregnancy="NEGATIVE" if sex == "F" else None,
    )


def fails_screening(n: int) -> bool:
    return n % 10 == 9


def failing(p: DemoSubject) -> DemoSubject:
    """The candidate with a screening count above the inclusion limit."""
    return dataclasses.replace(p, platelets=(42,))


def course(n: int, run_in: bool, visits: list[tuple[str, int]]) -> Course:
    """The visit course of the n-th enrolled subject over ``visits`` (code, study day)."""
    rng = random.Random(f"course-{n}")  # noqa: S311 - made-up data, seeded
    pattern = "none" if n % 4 == 2 else rng.choice(("complete", "responder", "responder"))
    low, high = PATTERNS[pattern]
    base = rng.randint(5, 25)
    platelets = {}
    for code, day in visits:
        rise = min(1.0, day / 29) if pattern != "none" else 0.0
        platelets[code] = max(3, int(base + (rng.randint(low, high) - base) * rise))
    bleeding = {visits[0][0]: (1, {"PETECHIAE": 1})} if base < 15 else {}
    if pattern == "none" and len(visits) > 3:
        bleeding[visits[3][0]] = (2, {"EPISTAXIS": 2, "PETECHIAE": 1})
    rescue = ()
    if pattern == "none" and n % 8 == 2:
        rescue = (Rescue(24, "Human immunoglobulin (IVIG)", "IVIG", "30", "g", "INTRAVENOUS", 2,
                         "Platelets below 10 x10^9/L with wet purpura"),)  # fmt: skip
    pauses = {}
    if irr(n, run_in):
        pauses[visits[0][0]] = Pause(time(10, 45), 30, "Infusion-related reaction: chills")
    cbc = {visits[2][0]: {"NEUT": "0.8"}} if n % 9 == 4 and len(visits) > 2 else {}
    weight = f"{rng.uniform(45, 92):.1f}"
    height = str(rng.randint(150, 185))
    return Course(weight, height, platelets, bleeding, (), rescue, cbc=cbc, pauses=pauses)


def irr(n: int, run_in: bool) -> bool:
    return not run_in and n % 10 == 3


def safety_steps(
    n: int, run_in: bool, inv: User, subject: Callable[[], Subject], day1: date, today: date
) -> list[Step]:
    """The adverse events and concomitant medication of the n-th enrolled subject, each on its
    day after that day's visit; run-in subjects get no event that could be a DLT."""
    plan: list[tuple[int, time, Action]] = [(1, time(18, 5), _concomitant), (8, EVENING, _fatigue)]
    if irr(n, run_in):
        plan.append((1, EVENING, _infusion_reaction))
    if not run_in and n % 7 == 5:
        plan.append((43, EVENING, _hypertension))
    if not run_in and n % 4 == 2 and n % 3 == 0:  # a non-responder
        plan.append((23, time(22, 30), _epistaxis))
    out = []
    for day, at, action in plan:
        on = date_of_day(day1, day)
        if on <= today:
            out.append(Step(on, _run(inv, subject, day1, action), at))
    return out


def _run(inv: User, subject: Callable[[], Subject], day1: date, action: Action):
    def run() -> None:
        with acting_as(inv):
            action(inv, subject(), day1)

    return run


def _day(day1: date, day: int) -> str:
    return date_of_day(day1, day).isoformat()


def _concomitant(inv: User, subject: Subject, day1: date) -> None:
    entry = medications.MedicationEntry(
        category=CONCOMITANT,
        rescue_type=None,
        trt="Omeprazole",
        dose=Decimal(20),
        dose_unit="mg",
        route="ORAL",
        frequency="QD",
        start_date=_day(day1, 1),
        end_date=None,
        ongoing=True,
        indication="Gastric protection",
    )
    first = next(v for v in get_protocol().visits if v.day == 1)
    visitnum = schedule.visitnum_text(first.visitnum)
    medications.add(inv, subject.id, visitnum, entry, confirmed=True)


def _fatigue(inv: User, subject: Subject, day1: date) -> None:
    entry = dataclasses.replace(
        BLANK,
        aeterm="Tiredness after the infusion",
        ctcae_term="Fatigue",
        start_date=_day(day1, 2),
        end_date=_day(day1, 5),
        grade=1,
        relatedness="possibly",
        aeout=codelists.RECOVERED,
    )
    events.add(inv, subject.id, entry, confirmed=True)


def _infusion_reaction(inv: User, subject: Subject, day1: date) -> None:
    dose = next(d for d in events.doses(subject) if d.dose_number == 1)
    entry = dataclasses.replace(
        BLANK,
        aeterm="Chills during the first infusion",
        ctcae_term="Infusion related reaction",
        start_date=_day(day1, 1),
        end_date=_day(day1, 1),
        grade=2,
        relatedness="possibly",
        expected=True,
        aeacn="DRUG INTERRUPTED",
        aeout=codelists.RECOVERED,
        treatment="Infusion paused; restarted at half rate",
        irr=True,
        dose_id=dose.id,
    )
    events.add(inv, subject.id, entry, confirmed=True)


def _hypertension(inv: User, subject: Subject, day1: date) -> None:
    entry = dataclasses.replace(
        BLANK,
        aeterm="Hypertension 170/105 mmHg",
        ctcae_term="Hypertension",
        start_date=_day(day1, 40),
        ongoing=True,
        grade=3,
        relatedness="not_related",
        aeout="RECOVERING/RESOLVING",
        treatment="Amlodipine",
    )
    events.add(inv, subject.id, entry, confirmed=True)


def _epistaxis(inv: User, subject: Subject, day1: date) -> None:
    """A serious epistaxis (hospital admission) and its initial report, submitted at once."""
    onset = date_of_day(day1, 23)
    entry = dataclasses.replace(
        BLANK,
        aeterm="Epistaxis requiring hospital admission",
        ctcae_term="Epistaxis",
        start_date=onset.isoformat(),
        ongoing=True,
        grade=3,
        serious=True,
        criteria=frozenset({"aeshosp"}),
        aware_at=datetime.combine(onset, time(21, 40), tzinfo=site_zone()),
        relatedness="unlikely",
        expected=False,
        aeout="RECOVERING/RESOLVING",
        treatment="Nasal packing; IVIG",
    )
    record = events.add(inv, subject.id, entry, confirmed=True)
    item = sae.sae_of(inv, subject.id, record.id)
    narrative = "Epistaxis over 30 minutes with platelets below 10 x10^9/L; admitted."
    report = sae.save_report(inv, item, kind=INITIAL, narrative=narrative)
    item = sae.sae_of(inv, subject.id, record.id)
    pdf = sae_pdf.render(report_data.build(item, report, inv))
    sae.submit(inv, report, pdf, version=report.version)
