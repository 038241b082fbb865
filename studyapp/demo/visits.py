"""The visits of the demo subjects: vital signs, labs, bleeding, doses and a rescue therapy.

Each visit is entered through the visit services by the demo investigator on the visit's own
date (the clock is frozen there), so windows, doses, grades and the audit trail are computed
exactly as in real use. The courses are made up but realistic: a complete responder, a
responder who drifts down in follow-up, a non-responder who needs rescue IVIG, a recent
subject with an overdue visit, and one who has just started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from studyapp import codelists
from studyapp.audit import acting_as
from studyapp.auth.models import User
from studyapp.clinical.dosing import InfusionPlan, dose_mg, infusion_plan
from studyapp.clinical.schedule import date_of_day
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits.assessments import service as assessments
from studyapp.visits.bleeding import service as bleeding
from studyapp.visits.dosing import checks as dose_checks
from studyapp.visits.dosing import service as dosing
from studyapp.visits.dosing.plan import irr_history
from studyapp.visits.labs import service as labs
from studyapp.visits.medications import service as medications
from studyapp.visits.schedule import extra_visits
from studyapp.visits.schedule import service as schedule
from studyapp.visits.vitals import service as vitals


@dataclass(frozen=True)
class Rescue:
    day: int
    trt: str
    rescue_type: str
    dose: str
    unit: str
    route: str
    days: int
    indication: str


@dataclass(frozen=True)
class Pause:
    """An infusion paused for a reaction, restarted at half its rate and stepped up again."""

    at: time
    minutes: int
    reason: str


@dataclass(frozen=True)
class Course:
    """One demo subject's visits: platelet count per visit code, bleeding, weight."""

    weight: str
    height: str
    platelets: dict[str, int]
    #: visit code -> (WHO grade, {ITP-BAT item: grade}); visits not listed had no bleeding.
    bleeding: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)
    #: planned visits left without data (overdue or due today)
    skip: tuple[str, ...] = ()
    rescue: tuple[Rescue, ...] = ()
    #: the platelet unit the site's analyser reports
    plt_unit: str = "10^9/L"
    igg: tuple[str, ...] = ("10.8", "9.1", "7.9", "7.4", "7.7")
    #: visit code -> {test code: value}: blood counts that differ from ``CBC`` and ``HGB``
    cbc: dict[str, dict[str, str]] = field(default_factory=dict)
    #: visit code -> the pause of that visit's infusion
    pauses: dict[str, Pause] = field(default_factory=dict)


# fmt: off
COURSES = (
    Course("56.4", "162", {"D1": 9, "D8": 21, "D15": 46, "D22": 84, "D29": 112, "D36": 128,
                           "D43": 141, "D50": 137, "EOT": 126, "FU71": 118, "FU85": 109,
                           "FU99": 101, "FU113": 96},
           bleeding={"D1": (1, {"PETECHIAE": 1}), "D8": (1, {"PETECHIAE": 1})},
           pauses={"D1": Pause(time(10, 45), 35,
                               "Infusion-related reaction: chills, chest tightness")}),
    Course("74.2", "175", {"D1": 18, "D8": 24, "D15": 39, "D22": 47, "D29": 58, "D36": 62,
                           "D43": 55, "D50": 64, "EOT": 59, "FU71": 44, "FU85": 36, "FU99": 33},
           skip=("FU113",), plt_unit="/uL", cbc={"D15": {"WBC": "4.3", "LYM": "0.42"}}),
    Course("61.0", "158", {"D1": 6, "D8": 9, "D15": 12, "D22": 8, "D29": 41, "D36": 33,
                           "D43": 14, "D50": 10, "EOT": 9, "FU71": 11, "FU85": 8, "FU99": 7},
           bleeding={"D1": (1, {"PETECHIAE": 1, "ECCHYMOSES": 1}),
                     "D22": (2, {"EPISTAXIS": 2, "PETECHIAE": 1}),
                     "D43": (1, {"ECCHYMOSES": 1})},
           rescue=(Rescue(23, "Human immunoglobulin (IVIG)", "IVIG", "30", "g", "INTRAVENOUS", 2,
                          "Epistaxis over 30 minutes with platelets 8 x10^9/L"),),
           cbc={"D29": {"HGB": "97"}, "D36": {"HGB": "109"}}),  # red cells given on Day 23
    Course("68.5", "178", {"D1": 14, "D8": 26, "D15": 41}, skip=("D22", "D29"),
           bleeding={"D1": (1, {"PETECHIAE": 1})}, cbc={"D15": {"WBC": "2.9", "NEUT": "0.8"}}),
    Course("52.7", "160", {"D1": 19}, skip=("D8",)),
)
CBC = {"WBC": "5.4", "NEUT": "3.2", "LYM": "1.6"}
HGB = {"F": "121", "M": "138"}
CHEM = {"ALT": "24", "AST": "21", "BILI": "11.2", "ALB": "42.5"}
CREAT = {"F": "66", "M": "84"}
IG_OTHER = {"IGA": "1.9", "IGM": "0.8"}
# fmt: on
#: Start and stop of an infusion of the first volume, of the later volume from the first start
#: rate, and of the later volume from the later start rate (``[infusion]``).
FIRST_INFUSION = (time(9, 30), time(17, 10))
SLOW_INFUSION = (time(9, 30), time(14, 20))
LATER_INFUSION = (time(9, 30), time(12, 50))
#: Steps are done at this site time of their day; a dosing visit once the infusion is over.
MORNING, EVENING = time(10, 0), time(18, 0)
PREMEDS = {"METHYLPRED": "100", "PARACETAMOL": "650", "ANTIHISTAMINE": "25"}


@dataclass
class Step:
    on: date
    run: Callable[[], None]
    #: site time of day
    at: time = MORNING


def steps(inv: User, subject: Callable[[], Subject], course: Course, day1: date) -> list[Step]:
    """The visit entries of one subject up to today, each on its own date."""
    out = [Step(day1, lambda: _screening_vitals(inv, subject(), course))]
    plan = [v for v in get_protocol().visits if v.day is not None and v.day >= 1]
    for visit in plan:
        if visit.code in course.skip or visit.code not in course.platelets:
            continue
        on = date_of_day(day1, visit.day)  # type: ignore[arg-type]
        at = EVENING if "EC" in visit.forms else MORNING
        out.append(Step(on, _visit_step(inv, subject, course, visit.code, on), at))
    for rescue in course.rescue:
        on = date_of_day(day1, rescue.day)
        last = on + timedelta(days=rescue.days - 1)  # entered once the course is over
        out.append(Step(last, _rescue_step(inv, subject, rescue, on)))
    return out


def _visit_step(
    inv: User, subject: Callable[[], Subject], course: Course, code: str, on: date
) -> Callable[[], None]:
    return lambda: _enter_visit(inv, subject(), course, code, on)


def _rescue_step(
    inv: User, subject: Callable[[], Subject], rescue: Rescue, on: date
) -> Callable[[], None]:
    return lambda: _enter_rescue(inv, subject(), rescue, on)


def _screening_vitals(inv: User, subject: Subject, course: Course) -> None:
    """Screening height and weight, entered on Day 1 from the screening source documents."""
    values = {"weight": Decimal(course.weight), "height": Decimal(course.height)}
    values |= {"sysbp": 122, "diabp": 78, "pulse": 76, "temp": Decimal("36.5")}
    with acting_as(inv):
        vitals.save(
            inv,
            subject.id,
            "0",
            vitals.VitalsEntry(subject.screening_date, time(9, 40), values),
            visit_date=subject.screening_date,
        )
        _screening_forms(inv, subject)


#: The simple screening forms of every demo subject: (form code, date field, values).
SCREENING_FORMS = (
    ("PE", "pe_date", {"pe_result": "NORMAL", "spleen_palpable": False}),
    ("ECG", "eg_date", {"hr": 74, "pr": 156, "qrs": 88, "qt": 376, "qtcf": 404,
                        "eg_result": "NORMAL"}),
    ("VIROLOGY", "vr_date", {"hbsag": "NEGATIVE", "anti_hbs": "POSITIVE",
                             "anti_hbc": "NEGATIVE", "hcv_ab": "NEGATIVE", "hiv_ab": "NEGATIVE",
                             "syphilis": "NEGATIVE", "cmv_dna": "NEGATIVE",
                             "ebv_dna": "NEGATIVE"}),
    ("BLOODBANK", "bb_date", {"abo": "O", "rhd": "POSITIVE", "antibody_screen": "NEGATIVE",
                              "dat": "NEGATIVE", "phenotype": "CcDEe, K-, Fy(a+b-), Jk(a+b+)",
                              "bank_informed": True, "card_issued": True}),
    ("APLTAB", "ab_date", {"ab_method": "ELISA", "gp2b3a": "POSITIVE", "gp1b9": "NEGATIVE"}),
)  # fmt: skip


def _screening_forms(inv: User, subject: Subject) -> None:
    """The screening examinations and samples, entered with the screening vital signs."""
    for code, on, values in SCREENING_FORMS:
        typed = {on: subject.screening_date, **values}
        assessments.save(inv, code, subject.id, "0", typed, confirmed=True)


def _enter_visit(inv: User, subject: Subject, course: Course, code: str, on: date) -> None:
    visit = get_protocol().visit(code)
    num = schedule.visitnum_text(visit.visitnum)
    with acting_as(inv):
        if {"VS", "WEIGHT"} & set(visit.forms):
            _vitals(inv, subject, course, num, visit.forms, on)
        _labs(inv, subject, course, num, visit.forms, code, on)
        who, items = course.bleeding.get(code, (0, {}))
        entry = bleeding.BleedingEntry(on, who, items)
        bleeding.save(inv, subject.id, num, entry, visit_date=on, confirmed=True)
        if "EC" in visit.forms:
            _dose(inv, subject, course.weight, num, course.pauses.get(code), on)
        if "PE" in visit.forms:
            exam = {"pe_date": on, "pe_result": "NORMAL", "spleen_palpable": False, "ecog": 0}
            assessments.save(inv, "PE", subject.id, num, exam, visit_date=on, confirmed=True)


def _vitals(
    inv: User,
    subject: Subject,
    course: Course,
    num: str,
    forms: tuple[str, ...],
    on: date,
) -> None:
    values: dict[str, Decimal | int | None] = {
        "sysbp": 118,
        "diabp": 74,
        "pulse": 72,
        "temp": Decimal("36.6"),
    }
    if "WEIGHT" in forms:
        values["weight"] = Decimal(course.weight)
    vitals.save(inv, subject.id, num, vitals.VitalsEntry(on, time(9, 0), values), visit_date=on)


def _labs(
    inv: User,
    subject: Subject,
    course: Course,
    num: str,
    forms: tuple[str, ...],
    code: str,
    on: date,
) -> None:
    count = Decimal(course.platelets[code])
    plt = (count * 1000, "/uL") if course.plt_unit == "/uL" else (count, "10^9/L")
    values = {"PLAT": plt, "HGB": (Decimal(HGB[subject.sex]), "g/L")}
    values |= {k: (Decimal(v), "10^9/L") for k, v in CBC.items()}
    other = course.cbc.get(code, {})
    values |= {k: (Decimal(v), "g/L" if k == "HGB" else "10^9/L") for k, v in other.items()}
    _save_lab(inv, subject, num, "CBC", on, values)
    if "CHEM" in forms:
        chem = {k: (Decimal(v), get_protocol().lab(k).si_unit) for k, v in CHEM.items()}
        chem["CREAT"] = (Decimal(CREAT[subject.sex]), "umol/L")
        _save_lab(inv, subject, num, "CHEM", on, chem)
    if "IG" in forms:
        ig_visits = [v.code for v in get_protocol().visits if "IG" in v.forms and v.day]
        igg = course.igg[min(ig_visits.index(code), len(course.igg) - 1)]
        values = {"IGG": (Decimal(igg), "g/L")}
        values |= {k: (Decimal(v), "g/L") for k, v in IG_OTHER.items()}
        _save_lab(inv, subject, num, "IG", on, values)


def _save_lab(
    inv: User,
    subject: Subject,
    num: str,
    form: str,
    on: date,
    values: dict[str, tuple[Decimal, str]],
) -> None:
    entry = labs.LabEntry(on, time(8, 10), {k: (v, u) for k, (v, u) in values.items()})
    labs.save(inv, subject.id, num, form, entry, visit_date=on, confirmed=True)


def _dose(
    inv: User, subject: Subject, weight: str, num: str, pause: Pause | None, on: date
) -> None:
    """The planned dose, infused as the protocol plans it after the subject's reactions."""
    rule = get_protocol().dosing
    planned = dose_mg(Decimal(weight), rule.mg_per_kg, rule.rounding_mg)
    plan = _infusion(subject, int(Decimal(num)))
    start, stop = _times(plan)
    entry = dose_checks.DoseEntry(
        ec_date=on,
        start_time=start,
        stop_time=_later(stop, pause.minutes) if pause else stop,
        given_dose=planned,
        given_volume=planned / rule.concentration_mg_per_ml,
        premed_time=time(8, 15),
        premeds={dose_checks.PREMED_COLUMNS[k]: Decimal(v) for k, v in PREMEDS.items()},
        steps=[dose_checks.RateStepEntry(at, rate) for at, rate in _rates(plan, start, pause)],
        interrupted=pause is not None,
        interruption_minutes=pause.minutes if pause else None,
        interruption_reason=pause.reason if pause else None,
    )
    dosing.save(inv, subject.id, num, entry, visit_date=on, confirmed=True)


def _infusion(subject: Subject, number: int) -> InfusionPlan:
    """The infusion plan of dose *number*, given the reactions recorded at earlier doses."""
    before, at_first = irr_history(subject.id, number)
    return infusion_plan(number, before, at_first, get_protocol().infusion)


def _times(plan: InfusionPlan) -> tuple[time, time]:
    rule = get_protocol().infusion
    if plan.volume_ml == rule.first_volume_ml:
        return FIRST_INFUSION
    return SLOW_INFUSION if plan.start_rate == rule.first_start_rate_ml_h else LATER_INFUSION


def _rates(plan: InfusionPlan, start: time, pause: Pause | None) -> list[tuple[time, Decimal]]:
    """Up by the plan's step each interval to its maximum; after a pause, again from half the
    rate the infusion was paused at."""
    rates = _ladder(plan, start, plan.start_rate)
    if pause is None:
        return rates
    before = [(at, rate) for at, rate in rates if at <= pause.at]
    return before + _ladder(plan, _later(pause.at, pause.minutes), before[-1][1] / 2)


def _ladder(plan: InfusionPlan, at: time, rate: Decimal) -> list[tuple[time, Decimal]]:
    out = []
    while rate <= plan.max_rate:
        out.append((at, rate))
        at, rate = _later(at, plan.increment_minutes), rate + plan.increment
    return out


def _later(at: time, minutes: int) -> time:
    return (datetime.combine(date.min, at) + timedelta(minutes=minutes)).time()


def _enter_rescue(inv: User, subject: Subject, rescue: Rescue, on: date) -> None:
    """A rescue therapy: an unscheduled visit on the day it started, entered when it ended."""
    with acting_as(inv):
        visit = extra_visits.add_unscheduled(inv, subject.id, on, rescue.indication)
        end = (on + timedelta(days=rescue.days - 1)).isoformat()
        medications.add(
            inv,
            subject.id,
            visit.visitnum,
            medications.MedicationEntry(
                category=codelists.RESCUE,
                rescue_type=rescue.rescue_type,
                trt=rescue.trt,
                dose=Decimal(rescue.dose),
                dose_unit=rescue.unit,
                route=rescue.route,
                frequency="QD",
                start_date=on.isoformat(),
                end_date=end,
                ongoing=False,
                indication=rescue.indication,
            ),
        )
