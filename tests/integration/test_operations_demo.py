"""The operational reports on the demo study agree with the screens they come from: the
dashboard's counts, the visit tracker's statuses and each visit page's form statuses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from studyapp.db import site_today
from studyapp.demo.loader import load_demo
from studyapp.exports.operations.compliance import STATUSES, compliance
from studyapp.exports.operations.enrolment import enrolment
from studyapp.exports.operations.missing import missing_forms
from studyapp.extensions import db
from studyapp.subjects import queries as dashboard
from studyapp.visits import summary
from studyapp.visits.models import Visit
from studyapp.visits.schedule import entered
from studyapp.visits.schedule.tracker import tracker
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study


@pytest.fixture
def demo(app):
    users = load_demo()  # on the copy: adds nothing, returns the accounts
    db.session.expire_all()
    return {user.username: user for user in users}


def _monitor(demo):
    return next(u for u in demo.values() if u.role == "monitor")


def test_enrolment_matches_the_dashboard(demo):
    today = site_today()
    report = enrolment(today)
    counts = dashboard.counts(dashboard.rows(_monitor(demo), today))
    assert (report.screened, report.enrolled, report.screen_failed) == (8, 5, 2)
    assert report.screened == counts["screened"]
    assert report.enrolled == counts["enrolled_total"]
    assert sum(m.enrolled for m in report.months) == report.enrolled


def test_compliance_totals_are_the_trackers(demo):
    today = site_today()
    actor = _monitor(demo)
    report = compliance(actor, today)
    board = tracker(actor, today)
    for status in STATUSES:
        assert sum(v.counts[status] for v in report.visits) == board.counts[status], status
    assert report.subjects == 5
    assert all(sum(v.counts.values()) == 5 for v in report.visits)
    assert sum(v.counts["done"] for v in report.visits) > 10


def test_study_wide_form_statuses_are_each_visit_pages(demo):
    bulk = entered.form_statuses()  # one read for many visits, as in the tracker's batches
    visits = list(db.session.scalars(select(Visit).where(Visit.deleted_at.is_(None))))
    assert visits
    for visit in visits:
        one = summary.form_statuses(visit)
        one.pop("CM", None)  # the medication list is not a one-record page
        assert bulk.get(visit.id, {}) == one, visit.visitnum


def test_missing_forms_count_the_done_visits(demo):
    today = site_today()
    actor = _monitor(demo)
    done = {
        v.code: v.counts["done"] + v.counts["done_out_of_window"]
        for v in compliance(actor, today).visits
    }
    report = missing_forms(actor, today)
    assert {v.code: v.done for v in report} == done
    for visit in report:
        for gap in visit.forms:
            assert gap.done == visit.done
            assert len(gap.missing) + len(gap.in_progress) <= gap.done
    # the demo enters the CBC of every visit it dates (Day 1 onward)
    after_day1 = [v for v in report if v.code != "SCR" and v.done]
    assert after_day1
    assert all(not g.missing for v in after_day1 for g in v.forms if g.key == "CBC")


def test_the_page_renders_on_the_demo(app, demo, client, auth):
    auth.login(_monitor(demo).username, app.config["DEMO_PASSWORD"])
    page = client.get("/reports/operations")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<svg") == 3
