"""A visit's required forms and its entry status; the subject's next visit (worked by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from studyapp.clinical.schedule import visit_plan
from studyapp.clinical.visit_forms import (
    MISSING,
    NOT_STARTED,
    PARTLY_ENTERED,
    entry_status,
    next_open_visit,
    visit_forms,
)
from studyapp.protocol.loader import get_protocol

FINISHED = frozenset({"complete", "verified", "frozen", "locked"})
REQUIRED = ("VS", "CBC", "BLEED")


@pytest.mark.parametrize(
    ("visit_status", "absent"),
    [
        ("done", MISSING),
        ("done_out_of_window", MISSING),
        ("overdue", MISSING),
        ("due", NOT_STARTED),
        ("upcoming", NOT_STARTED),
        ("missed", NOT_STARTED),
    ],
)
def test_a_form_without_a_record_is_missing_once_the_visit_took_place_or_its_window_closed(
    visit_status, absent
):
    got = visit_forms(REQUIRED, {"VS": "complete"}, visit_status, FINISHED)
    assert got.states == (("VS", "complete"), ("CBC", absent), ("BLEED", absent))
    assert got.outstanding == ("CBC", "BLEED")
    assert not got.complete


@pytest.mark.parametrize(
    ("status", "outstanding"),
    [("in_progress", True), ("complete", False), ("verified", False), ("locked", False)],
)
def test_a_draft_is_outstanding_and_complete_or_later_is_entered(status, outstanding):
    got = visit_forms(("VS",), {"VS": status}, "done", FINISHED)
    assert got.states == (("VS", status),)
    assert (got.outstanding == ("VS",)) is outstanding


def test_a_visit_is_done_only_when_every_required_form_is_entered():
    all_in = visit_forms(REQUIRED, dict.fromkeys(REQUIRED, "complete"), "done", FINISHED)
    one_draft = visit_forms(REQUIRED, {"VS": "complete", "CBC": "complete"}, "done", FINISHED)
    assert all_in.complete
    assert entry_status("done", all_in) == "done"
    assert entry_status("done", one_draft) == PARTLY_ENTERED
    assert entry_status("done_out_of_window", one_draft) == PARTLY_ENTERED
    assert entry_status("overdue", one_draft) == "overdue"  # not dated: still overdue
    assert entry_status("done", visit_forms((), {}, "done", FINISHED)) == "done"  # none required


PLAN = visit_plan(date(2026, 1, 5), get_protocol())


def test_the_next_visit_is_the_earliest_open_one_an_overdue_visit_first():
    assert next_open_visit(PLAN, {}).code == "D1"  # screening (day < 1) is never next
    assert next_open_visit(PLAN, {"D1": True}).code == "D8"
    # D8 overdue (neither dated nor declared missed) comes before D15, due or dated
    assert next_open_visit(PLAN, {"D1": True, "D8": False, "D15": True}).code == "D8"
    everything = {v.code: True for v in PLAN}
    assert next_open_visit(PLAN, everything) is None
