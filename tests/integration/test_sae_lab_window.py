"""The SAE report lists lab values within the protocol's ``safety.sae_lab_window_days`` of the
onset, and the platelet test the protocol names, whatever their flag."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from studyapp.db import freeze_clock
from studyapp.protocol.loader import get_protocol
from studyapp.safety import report_data
from studyapp.safety.sae import Sae
from tests import factories

DAY1 = date(2026, 3, 2)
ONSET = DAY1 + timedelta(days=14)  # Day 15


@pytest.fixture
def sae(app, users):
    """An SAE with onset on Day 15 and platelet counts on Days 1, 15 and 29 (14 days apart)."""
    inv = users["investigator"]
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    for visitnum, day in (("1", 1), ("3", 15), ("5", 29)):
        factories.save_cbc(inv, subject, visitnum, DAY1 + timedelta(days=day - 1), PLAT=20 + day)
    record = factories.record_ae(inv, subject, start_date=ONSET.isoformat())
    return Sae(record=record, subject=subject, clocks=[])


def _dates(rows) -> list[str]:
    return sorted({row.cells[0] for row in rows})


def test_lab_rows_cover_the_window_of_the_protocol(sae):
    assert get_protocol().safety.sae_lab_window_days == 14
    assert _dates(report_data.lab_rows(sae)) == ["2026-03-02", "2026-03-16", "2026-03-30"]


def test_a_narrower_window_in_the_protocol_narrows_the_report(sae, monkeypatch):
    protocol = get_protocol()
    narrow = replace(protocol, safety=replace(protocol.safety, sae_lab_window_days=13))
    monkeypatch.setattr(report_data, "get_protocol", lambda: narrow)
    assert _dates(report_data.lab_rows(sae)) == ["2026-03-16"]
