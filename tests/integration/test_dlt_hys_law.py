"""Hy's law feeds DLT candidacy: a run-in AE of a liver SOC whose onset is the date of a draw
meeting Hy's law is a candidate DLT (studyapp.safety.dlt_inputs, DOMAIN.md section 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.protocol.loader import get_protocol
from studyapp.transaction import transaction
from studyapp.visits.labs import service as labs
from tests import factories

DAY1 = date(2026, 3, 2)
DAY15 = date(2026, 3, 16)  # visit 3, with chemistry
RULE = get_protocol().dlt
ALT, _AST = RULE.hys_law_aminotransferase_tests
BILI = RULE.hys_law_bilirubin_test
LIVER = {"aeterm": "raised ALT", "ctcae_term": "Alanine aminotransferase increased", "grade": 1}


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1)
    freeze_clock(datetime(2026, 3, 17, 2, 0, tzinfo=UTC))
    assert subject.run_in
    return subject


def chemistry(inv, subject, **values: str) -> None:
    unit = {code: get_protocol().lab(code).si_unit for code in values}
    typed = {code: (Decimal(v), unit[code]) for code, v in values.items()}
    with acting_as(inv), transaction():
        labs.save(
            inv,
            subject.id,
            "3",
            "CHEM",
            labs.LabEntry(DAY15, time(8, 0), typed),
            visit_date=DAY15,
            confirmed=True,
        )


@pytest.mark.parametrize(
    ("bili", "onset", "reason"),
    [
        # female ULN: ALT 40 U/L, bilirubin 20.5 umol/L: ALT 120 = 3 x ULN, bilirubin 41 = 2 x
        ("41", "2026-03-16", "hys_law,cholestasis_not_excluded"),
        ("40.9", "2026-03-16", "below_grade"),  # bilirubin just under 2 x ULN
        ("41", "2026-03-15", "below_grade"),  # the day before the draw
        ("41", "2026-03", "hys_law,cholestasis_not_excluded,onset_uncertain"),  # may be that day
    ],
)
def test_a_liver_ae_on_a_hys_law_draw_is_a_candidate(subject, users, bili, onset, reason):
    inv = users["investigator"]
    chemistry(inv, subject, **{ALT: "120", BILI: bili})
    record = factories.record_ae(inv, subject, start_date=onset, **LIVER)
    assert (record.dlt_candidate, record.dlt_reason) == (reason.startswith("hys"), reason)


def test_an_ae_of_another_soc_on_that_day_is_not(subject, users):
    inv = users["investigator"]
    chemistry(inv, subject, **{ALT: "120", BILI: "41"})
    record = factories.record_ae(inv, subject, start_date="2026-03-16")  # grade 2 headache
    assert (record.dlt_candidate, record.dlt_reason) == (False, "below_grade")


def test_a_draw_saved_after_the_ae_makes_it_a_candidate_for_the_review(subject, users):
    """The AE first, the draw meeting Hy's law later: the AE becomes a candidate when the
    draw is saved (no one re-saves the AE), listed for the run-in's DLT review."""
    from studyapp.extensions import db
    from studyapp.safety import queries as safety_queries

    inv = users["investigator"]
    record = factories.record_ae(inv, subject, start_date="2026-03-16", **LIVER)
    assert not record.dlt_candidate
    chemistry(inv, subject, **{ALT: "120", BILI: "41"})
    db.session.expire_all()
    assert (record.dlt_candidate, record.dlt_reason) == (True, "hys_law,cholestasis_not_excluded")
    assert [e.id for e in safety_queries.dlt_events([subject.id])[subject.id]] == [record.id]
