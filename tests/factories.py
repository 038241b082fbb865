"""Builders for test data: users, subjects, visits, AEs.

Dates default to the application's clock (``studyapp.db.site_today()``, ``utcnow()``), never
the system's: see tests/site_clock.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pyotp

from studyapp.audit import acting_as
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.extensions import db
from studyapp.permissions import Role
from studyapp.transaction import transaction

PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPTESTSECRET"


def make_user(
    username: str,
    role: Role | str = Role.INVESTIGATOR,
    *,
    password: str = PASSWORD,
    totp: bool | None = None,
    **fields: Any,
) -> User:
    role = Role(role)
    totp = role == Role.DATA_MANAGER if totp is None else totp
    user = User(
        username=username,
        full_name=fields.pop("full_name", username.replace(".", " ").title()),
        email=fields.pop("email", f"{username}@example.org"),
        role=role.value,
        password_hash=passwords.hash_password(password),
        must_change_password=fields.pop("must_change_password", False),
        identity_verification="test fixture",
        totp_secret=TOTP_SECRET if totp else None,
        totp_enabled=totp,
        **fields,
    )
    with acting_as(None):
        db.session.add(user)
        db.session.commit()
    return user


USERNAMES = {
    Role.INVESTIGATOR: "inv.user",
    Role.COORDINATOR: "crc.user",
    Role.MONITOR: "mon.user",
    Role.DATA_MANAGER: "dm.user",
}


def users_per_role() -> dict[str, User]:
    return {role.value: make_user(name, role) for role, name in USERNAMES.items()}


def totp_now(secret: str = TOTP_SECRET) -> str:
    from studyapp.db import utcnow

    return pyotp.TOTP(secret).at(utcnow())


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class AuthActions:
    """Sign in and out through the real pages, CSRF token included."""

    def __init__(self, client: Any):
        self.client = client

    def token(self, path: str = "/login") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def login(self, username: str, password: str = PASSWORD, code: str | None = None) -> Any:
        response = self.client.post(
            "/login",
            data={"csrf_token": self.token(), "username": username, "password": password},
        )
        if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
            page = self.client.get("/login/code").get_data(as_text=True)
            response = self.client.post(
                "/login/code",
                data={"csrf_token": csrf_token(page), "code": code or totp_now()},
            )
        return response

    def post(self, path: str, data: dict[str, Any], page: str | None = None) -> Any:
        """POST a form with the token from ``page`` (default: the same path)."""
        token = csrf_token(self.client.get(page or path).get_data(as_text=True))
        return self.client.post(path, data={"csrf_token": token, **data})

    def logout(self) -> Any:
        return self.post("/logout", {}, page="/")


# --- subjects ----------------------------------------------------------------------------


def screen_subject(actor: User, *, screened: Any = None, sex: str = "F", age: int = 45) -> Any:
    """A candidate in the screening log (registered by ``actor``), by default screened today.

    Today is the site's date (``site_today``), as on the screening page: a UTC date would be
    yesterday's from 16:00 UTC in Shanghai.
    """
    from studyapp.db import site_today
    from studyapp.subjects import services

    with acting_as(actor), transaction():
        return services.register_screening(
            actor,
            services.Screening(screening_date=screened or site_today(), sex=sex, age_years=age),
        )


def consent(actor: User, subject: Any, *, on: Any = None) -> Any:
    from datetime import time

    from studyapp.subjects import services

    with acting_as(actor), transaction():
        return services.record_consent(
            actor,
            subject.id,
            on=on or subject.screening_date,
            at=time(9, 30),
            version="2.0",
            obtained_by_id=actor.id,
        )


GOOD_VALUES = {
    "itp_diagnosis_date": "2023-06",
    "ecog": 1,
    "platelet_count": None,  # set from the screening date below
    "alt": Decimal(25),
    "ast": Decimal(22),
    "bilirubin": Decimal(12),
    "creatinine": Decimal(70),
    "pregnancy_test": "NEGATIVE",
    "no_emergency_tx": True,
}


def make_eligible(
    investigator: User, *, screened: Any = None, sex: str = "F", answered: bool = True
) -> Any:
    """Screened, consented, every criterion satisfied; not yet signed. With ``answered``
    False the criteria the investigator judges are left for the investigator to answer."""
    from studyapp.protocol.loader import get_protocol
    from studyapp.subjects import checklist, history, services

    subject = screen_subject(investigator, screened=screened, sex=sex)
    consent(investigator, subject)
    values = {**GOOD_VALUES, "platelet_count": Decimal(18), "platelet_date": subject.screening_date}
    judged = [c for c in get_protocol().eligibility if c.check == "investigator"]
    with acting_as(investigator), transaction():
        services.save_screening_data(
            investigator, subject.id, values, version=subject.version, reason=None
        )
        for category, name in (("corticosteroid", "prednisone"), ("rituximab", "rituximab")):
            history.add_prior_therapy(
                investigator,
                subject.id,
                history.Therapy(category, name, "2024-01", "2024-03", "NR", "NO RESPONSE"),
            )
        given = {c.code: c.kind == "inclusion" for c in judged} if answered else {}
        checklist.answer_criteria(investigator, subject.id, given, reason=None)
    return subject


def make_signed(investigator: User, **kw: Any) -> Any:
    from studyapp.subjects import checklist

    subject = make_eligible(investigator, **kw)
    with acting_as(investigator), transaction():
        return checklist.confirm_eligibility(
            investigator, subject.id, password=PASSWORD, username=investigator.username
        )


def make_enrolled(investigator: User, day1: Any, **kw: Any) -> Any:
    from studyapp.subjects import services

    subject = make_signed(investigator, **kw)
    with acting_as(investigator), transaction():
        return services.enrol(investigator, subject.id, day1=day1)


# --- safety -----------------------------------------------------------------------------------


def ae_entry(**changes: Any) -> Any:
    """A complete, non-serious, ongoing grade 2 headache (possibly related); override any field."""
    from studyapp.safety.events import AeEntry

    values: dict[str, Any] = {
        "aeterm": "headache",
        "ctcae_term": "Headache",
        "start_date": "2026-03-10",
        "end_date": None,
        "ongoing": True,
        "grade": 2,
        "serious": False,
        "criteria": frozenset(),
        "aware_at": None,
        "relatedness": "possibly",
        "expected": None,
        "aeacn": "DOSE NOT CHANGED",
        "aeout": "NOT RECOVERED/NOT RESOLVED",
        "treatment": None,
        "irr": False,
        "dose_id": None,
        **changes,
    }
    values["criteria"] = frozenset(values["criteria"])
    return AeEntry(**values)


def record_ae(
    actor: User, subject: Any, *, completing: bool = True, confirmed: bool = True, **changes: Any
) -> Any:
    """An adverse event of ``subject`` recorded by ``actor`` (see ``ae_entry``)."""
    from studyapp.safety import events

    with acting_as(actor), transaction():
        return events.add(
            actor,
            subject.id,
            ae_entry(**changes),
            completing=completing,
            confirmed=confirmed,
        )


def save_cbc(
    actor: User,
    subject: Any,
    visitnum: str,
    on: Any,
    *,
    version: int | None = None,
    reason: str | None = None,
    **values: Any,
) -> Any:
    """A CBC of the visit sampled on ``on``: ``PLAT=15`` (SI unit), or ``NEUT=("800", "/uL")``."""
    from datetime import time

    from studyapp.protocol.loader import get_protocol
    from studyapp.visits.labs import service as labs

    typed = {}
    for testcd, value in values.items():
        number, unit = value if isinstance(value, tuple) else (value, None)
        typed[testcd] = (Decimal(number), unit or get_protocol().lab(testcd).si_unit)
    with acting_as(actor), transaction():
        return labs.save(
            actor,
            subject.id,
            visitnum,
            "CBC",
            labs.LabEntry(on, time(8, 0), typed),
            visit_date=on,
            version=version,
            reason=reason,
            confirmed=True,
        )


def give_dose(actor: User, subject: Any, visitnum: str, on: Any) -> Any:
    """A draft dose record of the visit given on ``on`` (what an IRR follows)."""
    from datetime import time

    from studyapp.visits.dosing import checks as dose_checks
    from studyapp.visits.dosing import service as dosing

    with acting_as(actor), transaction():
        return dosing.save(
            actor,
            subject.id,
            visitnum,
            dose_checks.DoseEntry(
                ec_date=on,
                start_time=time(9, 30),
                stop_time=time(14, 0),
                given_dose=Decimal(930),
                given_volume=Decimal("46.5"),
                interrupted=False,
                premed_time=time(8, 15),
            ),
            visit_date=on,
            completing=False,
            confirmed=True,
        )
