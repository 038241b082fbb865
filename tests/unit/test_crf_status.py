"""A CRF record's status and the one check of every change (permission, then status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from studyapp.crf import status
from studyapp.errors import Conflict, PermissionDenied
from studyapp.permissions import Action


@dataclass
class Actor:
    role: str
    is_authenticated: bool = True
    active: bool = True


@dataclass
class Record:
    status: str | None


@dataclass
class Vitals:
    """A stored record as the registry knows it (module and class of the VS form's model)."""

    subject_id: int
    visit_id: int
    status: str = status.COMPLETE


Vitals.__module__, Vitals.__name__ = "studyapp.visits.models", "VitalSigns"

INVESTIGATOR, MONITOR = Actor("investigator"), Actor("monitor")


@pytest.fixture(autouse=True)
def closures(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The lock answer (monitoring's) replaced: nothing closed unless a test says so."""
    asked: dict[str, object] = {"closure": None}

    def answer(where: status.Where) -> status.Closure | None:
        asked["where"] = where
        return asked["closure"]  # type: ignore[return-value]

    monkeypatch.setattr(status.closure_at, "_answer", answer)
    return asked


def test_a_draft_stays_in_progress_and_a_save_completes():
    assert status.status_for(False) == status.IN_PROGRESS
    assert status.status_for(True) == status.COMPLETE


@pytest.mark.parametrize(
    ("code", "open_"),
    [
        (status.IN_PROGRESS, True),
        (status.COMPLETE, True),
        (status.VERIFIED, True),
        (status.FROZEN, False),
        (status.LOCKED, False),
        (None, True),  # a record not flushed yet
        ("unknown", False),  # a status this version does not know is not open
    ],
)
def test_which_statuses_may_still_change(code, open_):
    assert status.is_open(code) is open_


@pytest.mark.parametrize("code", [status.IN_PROGRESS, status.COMPLETE, status.VERIFIED])
def test_an_open_record_may_be_changed_by_who_may_enter_data(code):
    status.may_change(INVESTIGATOR, Record(code))
    status.may_change(INVESTIGATOR, None)  # a new record


@pytest.mark.parametrize("code", [status.FROZEN, status.LOCKED])
def test_a_frozen_or_locked_record_is_refused_with_a_conflict(code):
    with pytest.raises(Conflict, match="frozen or locked"):
        status.may_change(INVESTIGATOR, Record(code))


def test_the_permission_is_checked_first_even_for_a_locked_record():
    for record in (None, Record(status.COMPLETE), Record(status.LOCKED)):
        with pytest.raises(PermissionDenied):
            status.may_change(MONITOR, record)


def test_the_action_checked_is_the_forms_own():
    coordinator = Actor("coordinator")
    status.may_change(coordinator, None, Action.ENTER_DATA)
    with pytest.raises(PermissionDenied):
        status.may_change(coordinator, None, Action.REVIEW_DLT)


def test_every_status_is_described_once():
    assert list(status.STATES) == [
        status.IN_PROGRESS,
        status.COMPLETE,
        status.VERIFIED,
        status.FROZEN,
        status.LOCKED,
    ]
    assert all(code == state.code for code, state in status.STATES.items())


@pytest.mark.req("GCP-08")
@pytest.mark.parametrize(
    ("state", "scope", "message"),
    [
        (status.LOCKED, status.SUBJECT, r"This data is locked \(subject lock\)"),
        (status.FROZEN, status.STUDY, r"This data is frozen \(study freeze\)"),
    ],
)
def test_a_lock_or_freeze_covering_the_record_refuses_the_change(closures, state, scope, message):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    closures["closure"] = status.Closure(state, scope, "database lock", "Data Manager", at)
    with pytest.raises(Conflict, match=message):
        status.may_change(INVESTIGATOR, Vitals(subject_id=7, visit_id=3))
    assert closures["where"] == status.Where(7, None, "VS", 3)


def test_the_place_of_a_record_names_its_page():
    assert status.where_of(Vitals(subject_id=7, visit_id=3)).form == "VS"
    assert status.where_of(object()).form is None
