"""A CRF record's status and the one check of every change (permission, then status)."""

from __future__ import annotations

from dataclasses import dataclass

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


INVESTIGATOR, MONITOR = Actor("investigator"), Actor("monitor")


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
