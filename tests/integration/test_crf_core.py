"""Every CRF form with a page saves through the one sequence (``crf.save.save_record``):
first save, an edit with a reason (refused without one), the record's status check, a stale
version answered 409 on the page, and audit rows for every change."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.crf import registry, status
from studyapp.crf import save as crf_save
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, ReasonRequired
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety import events
from studyapp.transaction import transaction
from studyapp.visits.assessments import service as assessments
from studyapp.visits.bleeding import service as bleeding
from studyapp.visits.dosing import checks as dose_checks
from studyapp.visits.dosing import service as dosing
from studyapp.visits.labs import service as labs
from studyapp.visits.medications import service as medications
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.formdata import form_data

pytestmark = pytest.mark.both_engines  # the versioned UPDATE and the record status

DAY1 = date(2026, 3, 2)
DAY29 = date(2026, 3, 30)  # visit 5: CBC, CHEM, IG, VS, WEIGHT, BLEED, CM
REASON = "transcription error, checked against the source"


def _vitals(pulse: int) -> vitals.VitalsEntry:
    values = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 76, "pulse": pulse}
    return vitals.VitalsEntry(DAY29, time(9, 0), {**values, "temp": Decimal("36.6")})


def _save_vitals(inv: Any, subject: Any, pulse: int, **kw: Any) -> Any:
    return vitals.save(inv, subject.id, "5", _vitals(pulse), visit_date=DAY29, **kw)


LAB_VALUES = {"CBC": ("PLAT", "45", "50"), "CHEM": ("ALT", "30", "35"), "IG": ("IGG", "6", "7")}


def _lab(code: str) -> Callable[..., Any]:
    testcd, first, second = LAB_VALUES[code]
    unit = get_protocol().lab(testcd).si_unit

    def save(inv: Any, subject: Any, edit: bool = False, **kw: Any) -> Any:
        value = Decimal(second if edit else first)
        entry = labs.LabEntry(DAY29, time(8, 0), {testcd: (value, unit)})
        return labs.save(inv, subject.id, "5", code, entry, visit_date=DAY29, **kw)

    return save


def _save_bleeding(inv: Any, subject: Any, edit: bool = False, **kw: Any) -> Any:
    item = get_protocol().bleeding.items[0].code
    entry = bleeding.BleedingEntry(DAY29, 1 if edit else 0, {item: 1} if edit else {})
    return bleeding.save(inv, subject.id, "5", entry, visit_date=DAY29, **kw)


def _save_dose(inv: Any, subject: Any, edit: bool = False, **kw: Any) -> Any:
    if not edit:
        weight = vitals.VitalsEntry(DAY1, None, {"weight": Decimal("58.3")})
        vitals.save(inv, subject.id, "1", weight, visit_date=DAY1, completing=False)
    entry = dose_checks.DoseEntry(
        ec_date=DAY1,
        start_time=time(9, 30),
        stop_time=time(14, 30) if edit else time(14, 0),
        given_dose=Decimal(930),
        given_volume=Decimal("46.5"),
        interrupted=False,
        premed_time=time(8, 15),
    )
    return dosing.save(inv, subject.id, "1", entry, visit_date=DAY1, completing=False, **kw)


def _medication(indication: str) -> medications.MedicationEntry:
    return medications.MedicationEntry(
        category="CONCOMITANT",
        rescue_type=None,
        trt="Omeprazole",
        dose=None,
        dose_unit=None,
        route=None,
        frequency=None,
        start_date="2026-03-14",
        end_date="2026-03-15",
        ongoing=False,
        indication=indication,
    )


def _save_medication(inv: Any, subject: Any, edit: Any = None, **kw: Any) -> Any:
    if edit is None:
        entry = _medication("reflux")
        return medications.add(inv, subject.id, "5", entry, visit_date=DAY29, **kw)
    return medications.update(inv, subject.id, edit.id, _medication("dyspepsia"), **kw)


def _save_ae(inv: Any, subject: Any, edit: Any = None, **kw: Any) -> Any:
    if edit is None:
        return events.add(inv, subject.id, factories.ae_entry(), **kw)
    entry = events.entry_of(edit)
    entry = dataclasses.replace(entry, aeterm=f"{entry.aeterm} (frontal)")
    return events.update(inv, subject.id, edit.id, entry, **kw)


#: Simple forms at screening: (code, the date field, first values, the edit).
SIMPLE = (
    ("PE", "pe_date", {"pe_result": "NORMAL", "spleen_palpable": False}, {"spleen_palpable": True}),
    ("ECG", "eg_date", {"hr": 70, "qrs": 90, "qt": 380, "qtcf": 400, "eg_result": "NORMAL"},
     {"hr": 75}),
    ("VIROLOGY", "vr_date", {c: "NEGATIVE" for c in ("hbsag", "anti_hbc", "hcv_ab", "hiv_ab",
     "syphilis")}, {"syphilis": "POSITIVE"}),
    ("BLOODBANK", "bb_date", {"abo": "A", "rhd": "POSITIVE", "antibody_screen": "NEGATIVE",
     "bank_informed": True}, {"abo": "B"}),
    ("APLTAB", "ab_date", {"ab_method": "ELISA", "gp2b3a": "NEGATIVE", "gp1b9": "NEGATIVE"},
     {"gp1b9": "POSITIVE"}),
)  # fmt: skip


def _simple(code: str, on: str, values: dict[str, Any], edited: dict[str, Any]) -> Any:
    def save(inv: Any, subject: Any, edit: bool = False, **kw: Any) -> Any:
        typed = {**values, on: subject.screening_date, **(edited if edit else {})}
        return assessments.save(inv, code, subject.id, "0", typed, **kw)

    return save


@dataclass(frozen=True)
class Case:
    """One form code with a page: its first save, its edit and its page."""

    code: str
    first: Callable[[Any, Any], Any]
    edit: Callable[..., Any]  # (inv, subject, record, version=, reason=)
    path: Callable[[Any, Any], str]


def _visit_case(code: str, save: Callable[..., Any], page: str, visitnum: str = "5") -> Case:
    return Case(
        code,
        lambda inv, subject: save(inv, subject, confirmed=True),
        lambda inv, subject, _record, **kw: save(inv, subject, True, confirmed=True, **kw),
        lambda subject, _record: f"/subjects/{subject.id}/visits/{visitnum}/{page}",
    )


CASES = [
    Case(
        "VS",
        lambda inv, subject: _save_vitals(inv, subject, 72, confirmed=True),
        lambda inv, subject, _record, **kw: _save_vitals(inv, subject, 80, confirmed=True, **kw),
        lambda subject, _record: f"/subjects/{subject.id}/visits/5/vitals",
    ),
    *(_visit_case(code, _lab(code), f"labs/{code}") for code in ("CBC", "CHEM", "IG")),
    _visit_case("BLEED", _save_bleeding, "bleeding"),
    _visit_case("EC", _save_dose, "dose", visitnum="1"),
    *(_visit_case(c, _simple(c, *rest), f"forms/{c}", visitnum="0") for c, *rest in SIMPLE),
    Case(
        "CM",
        lambda inv, subject: _save_medication(inv, subject),
        lambda inv, subject, record, **kw: _save_medication(inv, subject, record, **kw),
        lambda subject, record: f"/subjects/{subject.id}/medications/{record.id}",
    ),
    Case(
        "AE",
        lambda inv, subject: _save_ae(inv, subject, confirmed=True),
        lambda inv, subject, record, **kw: _save_ae(inv, subject, record, confirmed=True, **kw),
        lambda subject, record: f"/subjects/{subject.id}/adverse-events/{record.id}",
    ),
]


def test_the_cases_cover_every_form_code_with_a_page_of_its_own():
    pages = {
        e.code for e in registry.FORMS.values() if e.code == e.page.key and e.endpoint and e.models
    }
    assert {c.code for c in CASES} == pages


@pytest.mark.parametrize("code", sorted(c for c, e in registry.FORMS.items() if e.models))
def test_registered_models_resolve_and_hold_the_sdv_fields(app, code):
    entry = registry.form(code)
    record, *_children = entry.model_classes()
    assert hasattr(record, "status")  # a CRF record: status and version (CrfMixin)
    assert hasattr(record, "version")
    columns = {c.name for model in entry.model_classes() for c in model.__table__.columns}
    assert set(entry.sdv_fields) <= columns


@pytest.fixture
def enrolled(app: Any, users: Any) -> Any:
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    with transaction():
        subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))  # Day 30, 10:00 at the site
    return subject


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The records each save asked ``may_change`` about (None: a first save)."""
    calls: list[Any] = []
    check = crf_save.may_change

    def spy(actor: Any, record: Any, action: Any) -> None:
        calls.append(record)
        check(actor, record, action)

    monkeypatch.setattr(crf_save, "may_change", spy)
    return calls


def _first(case: Case, inv: Any, subject: Any) -> Any:
    with acting_as(inv), transaction():
        return case.first(inv, subject)


def _audit(subject: Any, after_seq: int = 0) -> list[AuditLog]:
    """The audit rows of the subject's data (a form's record and its child rows)."""
    query = select(AuditLog).where(AuditLog.subject_id == subject.id, AuditLog.seq > after_seq)
    return list(db.session.scalars(query))


def _last_seq(subject: Any) -> int:
    return max(row.seq for row in _audit(subject))


@pytest.mark.req("GCP-02", "REL-01")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_save_and_edit_with_a_reason_go_through_the_one_sequence(users, enrolled, seen, case):
    inv = users["investigator"]
    record = _first(case, inv, enrolled)
    assert seen[-1] is None  # the first save asked about a new record
    assert record.status in (status.COMPLETE, status.IN_PROGRESS)
    inserted = {(row.table_name, row.row_id) for row in _audit(enrolled) if row.action == "insert"}
    assert (record.__tablename__, str(record.id)) in inserted
    version, last_seq = record.version, _last_seq(enrolled)

    with acting_as(inv), transaction():
        edited = case.edit(inv, enrolled, record, version=version, reason=REASON)
    assert seen[-1] is record
    assert edited is record
    assert record.version == version + 1  # one UPDATE for one save
    changes = _audit(enrolled, last_seq)
    assert changes
    assert {row.reason for row in changes} == {REASON}


@pytest.mark.req("GCP-02")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_an_edit_without_a_reason_is_refused(users, enrolled, case):
    inv = users["investigator"]
    record = _first(case, inv, enrolled)
    version, seq = record.version, _last_seq(enrolled)
    with pytest.raises(ReasonRequired), acting_as(inv), transaction():
        case.edit(inv, enrolled, record, version=version)
    db.session.expire_all()
    assert db.session.get(type(record), record.id).version == version
    assert _audit(enrolled, seq) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_a_locked_record_is_refused_by_the_one_status_check(users, enrolled, case):
    inv = users["investigator"]
    record = _first(case, inv, enrolled)
    with acting_as(inv), transaction():
        record.status = status.LOCKED
    with pytest.raises(Conflict, match="frozen or locked"), acting_as(inv), transaction():
        case.edit(inv, enrolled, record, version=record.version, reason=REASON)


@pytest.mark.req("REL-01")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_a_stale_version_answers_409_on_the_page(client, auth, users, enrolled, case):
    inv = users["investigator"]
    record = _first(case, inv, enrolled)
    path = case.path(enrolled, record)
    auth.login("inv.user")
    page = client.get(path)
    assert page.status_code == 200
    opened = form_data(page.get_data(as_text=True), containing="reason", reason=REASON)
    with acting_as(inv), transaction():  # another user saves first
        case.edit(inv, enrolled, record, version=record.version, reason=REASON)
    saved_version = record.version
    response = client.post(path, data=opened)
    assert response.status_code == 409
    assert "Another user changed this form while you were editing." in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(type(record), record.id).version == saved_version
