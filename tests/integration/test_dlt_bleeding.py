"""Drug-related WHO grade >= 3 bleeding feeds DLT candidacy: a run-in AE whose term is a
bleeding takes the WHO grade of the bleeding assessments during it; the day WHO grade 3 is first
reached is the onset the DLT window judges (studyapp.safety.dlt_inputs, DOMAIN.md section 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.transaction import transaction
from studyapp.visits.bleeding import service as bleeding
from tests import factories

DAY1 = date(2026, 3, 2)
VISITS = {"3": date(2026, 3, 16), "4": date(2026, 3, 23), "5": date(2026, 3, 30)}  # Days 15-29
NOSEBLEED = {"aeterm": "nosebleed", "ctcae_term": "Epistaxis", "grade": 2}


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1)
    freeze_clock(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))
    assert subject.run_in
    return subject


def assessed(inv, subject, **who: int) -> None:
    for visitnum, grade in who.items():
        on = VISITS[visitnum.removeprefix("v")]
        entry = bleeding.BleedingEntry(on, grade, {})
        with acting_as(inv), transaction():
            bleeding.save(inv, subject.id, visitnum[1:], entry, visit_date=on, confirmed=True)


@pytest.mark.parametrize(
    ("who", "ae", "reason"),
    [
        ({"v3": 2, "v4": 3}, {}, "bleeding"),  # WHO 3 first reached on Day 22
        (
            {"v3": 2, "v4": 4},
            {"end_date": "2026-03-20", "ongoing": False, "aeout": "RECOVERED/RESOLVED"},
            "below_grade",
        ),  # ended before
        ({"v3": 2, "v5": 3}, {}, "not_in_window"),  # reached on Day 29
        ({"v3": 3, "v5": 3}, {}, "bleeding"),  # Day 15 counts
        ({"v3": 2}, {}, "below_grade"),
        ({"v4": 3}, {"relatedness": "unlikely"}, "not_related"),
        ({"v4": 3}, {"ctcae_term": "Headache", "aeterm": "headache"}, "below_grade"),
    ],
)
def test_a_bleeding_ae_reaching_who_grade_3_in_the_window_is_a_candidate(
    subject, users, who, ae, reason
):
    inv = users["investigator"]
    assessed(inv, subject, **who)
    record = factories.record_ae(inv, subject, **{**NOSEBLEED, "start_date": "2026-03-11", **ae})
    assert (record.dlt_candidate, record.dlt_reason) == (reason == "bleeding", reason)


def test_an_assessment_saved_after_the_ae_makes_it_a_candidate(subject, users):
    """The nosebleed AE first; WHO grade 3 assessed a week later: a candidate from then on."""
    from studyapp.extensions import db

    inv = users["investigator"]
    assessed(inv, subject, v3=2)
    record = factories.record_ae(inv, subject, **{**NOSEBLEED, "start_date": "2026-03-11"})
    assert (record.dlt_candidate, record.dlt_reason) == (False, "below_grade")
    assessed(inv, subject, v4=3)
    db.session.expire_all()
    assert (record.dlt_candidate, record.dlt_reason) == (True, "bleeding")
