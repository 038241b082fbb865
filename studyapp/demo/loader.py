"""The demo study a newcomer clicks through: one account per role and eight subjects.

Subjects are built only through the real services, each step by the demo user who would
do it and on its own date (the application clock is frozen at that date), so the audit
trail, the numbering and every study rule apply as in real use. Loading is idempotent:
existing accounts are left as they are, and no subject is added once any exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from studyapp.audit import acting_as
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.db import freeze_clock, site_today, site_zone
from studyapp.demo import monitoring as demo_monitoring
from studyapp.demo import safety as demo_safety
from studyapp.demo import visits as demo_visits
from studyapp.demo.visits import COURSES, MORNING, Step
from studyapp.extensions import db
from studyapp.permissions import Role
from studyapp.protocol.loader import get_protocol
from studyapp.safety import runin as dlt_review
from studyapp.subjects import checklist, history, runin, services
from studyapp.subjects.history import Therapy
from studyapp.subjects.models import Subject
from studyapp.transaction import transaction

DEMO_MARK = "demo account (no real person)"
#: A fixed secret so the demo data manager's codes can be shown at the console.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDEMOWANG"  # noqa: S105 - demo only, refused in production


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role


DEMO_USERS = (
    DemoUser("inv.zhang", "Dr Zhang Wei", Role.INVESTIGATOR),
    DemoUser("crc.li", "Li Na", Role.COORDINATOR),
    DemoUser("mon.chen", "Chen Jing", Role.MONITOR),
    DemoUser("dm.wang", "Wang Fang", Role.DATA_MANAGER),
)


CATEGORY = {
    "prednisone": "corticosteroid",
    "dexamethasone": "corticosteroid",
    "rituximab": "rituximab",
    "eltrombopag": "tpo_ra",
    "hetrombopag": "tpo_ra",
    "romiplostim": "tpo_ra",
}
REPEAT_COUNT = "Platelet count repeated within 2 days before Day 1"
#: The enrolled demo subjects in enrolment order (their visit courses, in order).
ENROLMENT_ORDER = ("first", "second", "third", "fourth", "fifth")
#: Day 1 of each enrolled demo subject, in days relative to today.
DAY1 = {"first": -120, "second": -113, "third": -106, "fourth": -27, "fifth": -6}
#: The first demo screening is this many days before today.
STUDY_DAYS = 134


@dataclass(frozen=True)
class DemoSubject:
    """A made-up candidate: initials at most, no name, no identifier."""

    initials: str
    sex: str
    age: int
    itp_years: int
    #: The screening count, then the repeat within 2 days before Day 1 (10^9/L).
    platelets: tuple[int, ...]
    #: (name, years ago, best response, reason stopped), oldest first.
    therapies: tuple[tuple[str, int, str, str], ...]
    #: (term, years ago); ongoing conditions.
    history: tuple[tuple[str, int], ...] = ()
    #: Days before screening that emergency IVIG stopped; None: no emergency treatment.
    ivig_days: int | None = None
    #: The investigator-judged exclusion criterion that applies, if any.
    excluded_by: str | None = None
    labs: tuple[str, str, str, str] = ("24", "21", "11.2", "68")  # ALT, AST, bilirubin, creat
    pregnancy: str | None = "NEGATIVE"


# fmt: off
# initials, sex, age, years since diagnosis, platelets, prior therapies, medical history
RUN_IN = (
    DemoSubject(
        "LXM", "F", 34, 7, (12, 9),
        (("prednisone", 6, "R", "RELAPSE"), ("eltrombopag", 3, "NR", "NO RESPONSE")),
        (("Iron deficiency anaemia", 2),)),
    DemoSubject(
        "ZJ", "M", 52, 5, (21, 18),
        (("prednisone", 5, "R", "RELAPSE"), ("rituximab", 3, "R", "RELAPSE")),
        (("Hypertension (controlled)", 8),),
        ivig_days=20, labs=("31", "27", "14.0", "92"), pregnancy=None),
    DemoSubject(
        "WSY", "F", 63, 9, (7, 6),
        (("dexamethasone", 8, "R", "RELAPSE"), ("romiplostim", 2, "NR", "NO RESPONSE")),
        (("Type 2 diabetes mellitus", 10), ("Osteoporosis", 3)), pregnancy="NOT_APPLICABLE"),
)
LATER = (
    DemoSubject(
        "HT", "M", 29, 2, (16, 14),
        (("dexamethasone", 2, "NR", "NO RESPONSE"), ("rituximab", 1, "NR", "NO RESPONSE")),
        (("Asthma (mild, intermittent)", 15),), pregnancy=None),
    DemoSubject(
        "CYL", "F", 47, 4, (24, 19),
        (("prednisone", 4, "R", "RELAPSE"), ("hetrombopag", 2, "R", "INTOLERANCE"),
         ("rituximab", 1, "NR", "NO RESPONSE")),
        (("Hypothyroidism", 5),)),
)
HIGH_COUNT = DemoSubject(
    "GQ", "M", 58, 3, (42,),
    (("dexamethasone", 3, "R", "RELAPSE"), ("eltrombopag", 2, "R", "OTHER")),
    (("Hypertension", 6), ("Type 2 diabetes mellitus", 4)), pregnancy=None)
HEPATITIS_B = DemoSubject(
    "MR", "F", 41, 3, (15,),
    (("prednisone", 3, "R", "RELAPSE"), ("romiplostim", 1, "NR", "NO RESPONSE")),
    (("Chronic hepatitis B", 12),), excluded_by="EX03")
IN_SCREENING = DemoSubject(
    "DKF", "M", 68, 6, (11,),
    (("prednisone", 6, "R", "RELAPSE"), ("rituximab", 3, "R", "RELAPSE")),
    (("Hypertension", 15), ("Benign prostatic hyperplasia", 4)), pregnancy=None)
# fmt: on


def load_demo() -> list[User]:
    """Create the demo accounts that do not exist yet and, once, the demo subjects.

    On a database without subjects the history is written day by day, accounts first
    (dated before the first screening), so the audit trail reads in date order.
    Returns all the demo accounts. The loader is an edge. Each dated step commits on its
    own, as the request it stands for would: a row is "saved" (a later change needs a
    reason) only once committed, a signature hashes the values as stored, and a step's
    reason must not label the next step's rows.
    """
    with transaction():
        return _load()


def _load() -> list[User]:
    if current_app.config.get("SESSION_COOKIE_SECURE") and not current_app.testing:
        raise RuntimeError("demo data is refused on a production configuration")
    if db.session.scalar(select(func.count()).select_from(Subject)):
        return _load_users()
    today = site_today()
    try:
        freeze_clock(datetime.combine(today - timedelta(days=STUDY_DAYS), time(1, 0), UTC))
        users = _load_users()
        by_name = {user.username: user for user in users}
        _build_study(_Builder(by_name["inv.zhang"], by_name["crc.li"], today), by_name)
    finally:
        freeze_clock(None)
    return users


def _load_users() -> list[User]:
    password = current_app.config["DEMO_PASSWORD"]
    out = []
    with acting_as(None):
        for demo in DEMO_USERS:
            user = db.session.scalar(select(User).where(User.username == demo.username))
            if user is None:
                user = User(
                    username=demo.username,
                    full_name=demo.full_name,
                    email=f"{demo.username}@example.org",  # reserved domain: mail goes nowhere
                    role=demo.role.value,
                    password_hash=passwords.hash_password(password),
                    must_change_password=False,
                    identity_verification=DEMO_MARK,
                )
                if demo.role == Role.DATA_MANAGER:
                    user.totp_secret = DEMO_TOTP_SECRET
                    user.totp_enabled = True
                db.session.add(user)
            out.append(user)
        db.session.flush()
    return out


def _build_study(b: _Builder, users: dict[str, User]) -> None:
    """The study so far, in date order (days relative to today), visits included."""
    made: dict[str, Subject] = {}

    def screen(key: str, p: DemoSubject, offset: int, complete: bool = True) -> Step:
        return Step(
            b.on(offset), lambda: made.update({key: b.screen(p, offset, complete=complete)})
        )

    def enrol(key: str, p: DemoSubject, day1: int) -> list[Step]:
        enrolment = Step(b.on(day1 - 1), lambda: b.enrol(made[key], p, day1))
        return [enrolment, *b.visits(key, made, day1)]

    def fail(key: str, offset: int, reason: str) -> Step:
        return Step(b.on(offset), lambda: b.screen_fail(made[key], offset, reason))

    timeline = [
        screen("first", RUN_IN[0], -STUDY_DAYS),
        screen("high", HIGH_COUNT, -131),
        fail("high", -131, "Platelet count 42 x10^9/L at screening: IN03 requires < 30."),
        screen("second", RUN_IN[1], -128),
        *enrol("first", RUN_IN[0], DAY1["first"]),
        screen("third", RUN_IN[2], -120),
        *enrol("second", RUN_IN[1], DAY1["second"]),
        *enrol("third", RUN_IN[2], DAY1["third"]),
        Step(b.on(-75), lambda: b.sign_dlt_review(-75)),  # last run-in DLT window ended -79
        screen("hbv", HEPATITIS_B, -60),
        fail("hbv", -58, "HBsAg positive with detectable HBV DNA: exclusion EX03."),
        screen("fourth", LATER[0], -40),
        *enrol("fourth", LATER[0], DAY1["fourth"]),
        screen("fifth", LATER[1], -18),
        *enrol("fifth", LATER[1], DAY1["fifth"]),
        screen("sixth", IN_SCREENING, -3, complete=False),
        *demo_safety.steps(b.inv, made.__getitem__, {k: b.on(d) for k, d in DAY1.items()}),
        *demo_monitoring.steps(users, made.__getitem__, b.on),
    ]
    _run(b, timeline)


def _run(b: _Builder, timeline: list[Step]) -> None:
    """Each step on its own date and time, in date order, one commit per step (see load_demo);
    the sort is stable: steps of the same day and time keep their order."""
    for step in sorted(timeline, key=lambda s: (s.on, s.at)):
        b.at(step.on, step.at)
        with transaction():
            step.run()


class _Builder:
    """Each step through the services, by the demo user who does it, on its own date."""

    def __init__(self, inv: User, crc: User, today: date) -> None:
        self.inv, self.crc, self.today = inv, crc, today
        self.password = current_app.config["DEMO_PASSWORD"]

    def on(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def at(self, day: date, at: time = MORNING) -> None:
        """The clock frozen on *day* at the site time *at*."""
        freeze_clock(datetime.combine(day, at, tzinfo=site_zone()).astimezone(UTC))

    def visits(self, key: str, made: dict[str, Subject], day1_offset: int) -> list[Step]:
        """The visits of the n-th enrolled demo subject (``demo_visits.COURSES``)."""
        course = COURSES[ENROLMENT_ORDER.index(key)]
        return demo_visits.steps(self.inv, lambda: made[key], course, self.on(day1_offset))

    def day(self, offset: int) -> date:
        """Today + ``offset`` days; the clock is frozen at 10:00 at the site."""
        day = self.today + timedelta(days=offset)
        self.at(day)
        return day

    def screen(self, p: DemoSubject, offset: int, *, complete: bool = True) -> Subject:
        """Registered and consented by the coordinator; data entered by the investigator."""
        on = self.day(offset)
        with acting_as(self.crc):
            data = services.Screening(on, p.sex, p.age, initials=p.initials)
            subject = services.register_screening(self.crc, data)
            services.record_consent(
                self.crc,
                subject.id,
                on=on,
                at=time(9, 30),
                version=services.consent_versions_on(on)[0],
                obtained_by_id=self.inv.id,
            )
        with acting_as(self.inv):
            values = self.values(p, on, complete)
            services.save_screening_data(
                self.inv, subject.id, values, version=subject.version, reason=None
            )
            for therapy in self.therapies(p, on):
                history.add_prior_therapy(self.inv, subject.id, therapy)
            for term, years in p.history:
                start = str(self.today.year - years)
                history.add_medical_history(
                    self.inv, subject.id, term=term, start_date=start, end_date=None, ongoing=True
                )
            if complete:
                checklist.answer_criteria(self.inv, subject.id, self.answers(p), reason=None)
        return subject

    def values(self, p: DemoSubject, on: date, complete: bool) -> dict[str, object]:
        values: dict[str, object] = {
            "itp_diagnosis_date": f"{self.today.year - p.itp_years}-01",
            "ecog": 0 if p.age < 50 else 1,
            "platelet_count": Decimal(p.platelets[0]),
            "platelet_date": on,
        }
        if complete:
            alt, ast, bilirubin, creatinine = (Decimal(v) for v in p.labs)
            values |= {"alt": alt, "ast": ast, "bilirubin": bilirubin, "creatinine": creatinine}
            values["pregnancy_test"] = p.pregnancy
            if p.ivig_days:
                values["last_emergency_tx_stop"] = on - timedelta(days=p.ivig_days)
            else:
                values["no_emergency_tx"] = True
        return values

    def therapies(self, p: DemoSubject, on: date) -> list[Therapy]:
        """Each course from February to June of its year; emergency IVIG over 5 days."""
        out = []
        for name, years, response, why in p.therapies:
            year = self.today.year - years
            out.append(Therapy(CATEGORY[name], name, f"{year}-02", f"{year}-06", response, why))
        if p.ivig_days:
            stop = on - timedelta(days=p.ivig_days)
            start = (stop - timedelta(days=4)).isoformat()
            out.append(Therapy("ivig", "IVIG", start, stop.isoformat(), "R", "COMPLETED"))
        return out

    def answers(self, p: DemoSubject) -> dict[str, bool]:
        """Inclusions hold; exclusions do not, except ``excluded_by``."""
        judged = [c for c in get_protocol().eligibility if c.check == "investigator"]
        return {c.code: c.kind == "inclusion" or c.code == p.excluded_by for c in judged}

    def enrol(self, subject: Subject, p: DemoSubject, day1_offset: int) -> None:
        """The day before Day 1: repeat platelet count, signed eligibility, enrolment."""
        on = self.day(day1_offset - 1)
        repeat = {"platelet_count": Decimal(p.platelets[-1]), "platelet_date": on}
        with acting_as(self.inv):
            services.save_screening_data(
                self.inv, subject.id, repeat, version=subject.version, reason=REPEAT_COUNT
            )
            # the signature hashes the values as stored: commit them first, as the
            # separate request of the repeat count would have
            db.session.commit()
            db.session.expire_all()
            checklist.confirm_eligibility(
                self.inv, subject.id, password=self.password, username=self.inv.username
            )
            services.enrol(self.inv, subject.id, day1=on + timedelta(days=1))

    def screen_fail(self, subject: Subject, offset: int, reason: str) -> None:
        self.day(offset)
        with acting_as(self.inv):
            services.screen_fail(self.inv, subject.id, reason)

    def sign_dlt_review(self, offset: int) -> None:
        self.day(offset)
        cohort = runin.run_in_subjects()
        with acting_as(self.inv):
            dlt_review.sign_review(
                self.inv,
                findings={s.id: (False, "") for s in cohort},
                decision="continue",
                comments=f"No DLT in the {len(cohort)} run-in subjects: enrolment may open.",
                password=self.password,
                username=self.inv.username,
            )


def demo_summary() -> str:
    """One line on the demo subjects, for the console."""
    rows = db.session.execute(select(Subject.status, func.count()).group_by(Subject.status))
    counts = {status: n for status, n in rows}
    return (
        f"Demo study: {sum(counts.values())} screened, {counts.get('enrolled', 0)} enrolled "
        f"({len(runin.run_in_subjects())} in the safety run-in), "
        f"{counts.get('screen_failed', 0)} screen failures, "
        f"{counts.get('screening', 0)} in screening; run-in gate: {runin.gate().state}.\n"
        + demo_monitoring.summary()
    )


def is_demo(user: User) -> bool:
    return user.identity_verification == DEMO_MARK
