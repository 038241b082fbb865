"""Durable response on the subject page (visits.durable, clinical.durable, DOMAIN.md 4)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.visits import durable, summary
from studyapp.visits.models import Visit
from tests import factories

DAY1 = date(2026, 3, 2)


def on(day: int) -> date:
    return DAY1 + timedelta(days=day - 1)


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 8, 18, 2, 0, tzinfo=UTC))  # Day 170
    return subject


def counts(inv, subject, *visits: tuple[str, int, int]) -> None:
    for visitnum, day, plt in visits:
        factories.save_cbc(inv, subject, visitnum, on(day), PLAT=plt)


def shown(client, subject) -> tuple[str, str]:
    html = client.get(f"/subjects/{subject.id}/visits").get_data(as_text=True)
    status = re.search(r'data-testid="durable-status">([^<]*)<', html)
    used = re.search(r'data-testid="durable-counts">(.*?)</dd>', html, re.S)
    assert status, html
    assert used, html
    return status.group(1), used.group(1)


def test_not_yet_assessable_then_durable(client, auth, subject, users):
    inv = users["investigator"]
    counts(inv, subject, ("9", 57, 100), ("10", 71, 60), ("11", 85, 50), ("12", 99, 49))
    auth.login("inv.user")
    status, used = shown(client, subject)
    assert status == "not yet assessable"
    assert "Day 57" not in used  # the end-of-treatment day is not follow-up
    assert "Day 71: 60 ✓; Day 85: 50 ✓; Day 99: 49; 3 not yet counted" in used
    counts(inv, subject, ("13", 113, 80), ("14", 141, 10))
    status, used = shown(client, subject)
    assert status == "not yet assessable"  # 3 of 5 so far
    counts(inv, subject, ("15", 169, 55))
    status, used = shown(client, subject)
    assert status == "yes"
    assert "4 of the last 6 follow-up counts at or above 50" in client.get(
        f"/subjects/{subject.id}/visits"
    ).get_data(as_text=True)


def test_six_counts_with_three_qualifying_are_not_durable(client, auth, subject, users):
    inv = users["investigator"]
    days = [("10", 71), ("11", 85), ("12", 99), ("13", 113), ("14", 141), ("15", 169)]
    values = [60, 60, 60, 49, 30, 10]
    counts(inv, subject, *[(v, d, p) for (v, d), p in zip(days, values, strict=True)])
    auth.login("inv.user")
    assert shown(client, subject)[0] == "no"


def test_follow_up_starts_after_the_recorded_end_of_treatment_visit(subject, users):
    inv = users["investigator"]
    assert durable.after_day(subject) == 57  # not yet done: the planned day
    counts(inv, subject, ("9", 59, 100), ("10", 71, 60))
    assert durable.after_day(subject) == 59  # done late in its window
    info = summary.summary(subject, on(170))
    assert [c.day for c in durable.durable(subject, info.counts, info.rescue).used] == [71]


def test_an_early_end_of_treatment_visit_keeps_day_57_out(subject, users):
    counts(users["investigator"], subject, ("9", 55, 100), ("10", 57, 60), ("11", 58, 70))
    visit = db.session.query(Visit).filter_by(subject_id=subject.id, code="EOT").one()
    assert visit.visit_date == on(55)
    assert durable.after_day(subject) == 57
    info = summary.summary(subject, on(170))
    assert [c.day for c in durable.durable(subject, info.counts, info.rescue).used] == [58]


def test_at_a_cutoff_later_visits_and_dispositions_do_not_count(subject, users):
    inv = users["investigator"]
    counts(inv, subject, ("9", 59, 100), ("10", 71, 60), ("11", 85, 60), ("12", 99, 60))
    assert durable.after_day(subject, cutoff=on(58)) == 57  # the visit on Day 59 is after it
    assert durable.after_day(subject, cutoff=on(59)) == 59
    subject.disposition, subject.disposition_date = "COMPLETED", on(100)
    info = summary.summary(subject, on(170))
    assert durable.durable(subject, info.counts, info.rescue).status == "no"  # 3 of 3, over
    before = durable.durable(subject, info.counts, info.rescue, cutoff=on(99))
    assert before.status == "not_yet"
