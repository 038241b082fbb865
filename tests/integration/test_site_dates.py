"""Today is the site's date at any hour: the pages, read on the clock as it runs (GCP-07).

These tests do not freeze the clock for what they check: they run at the run's clock and a
minute either side of the site's midnight (``site_midnight``, tests/site_clock.py); from
00:00 site time to 08:00 the UTC date is the day before the site's.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import select

from studyapp.audit import acting_as, set_reason
from studyapp.db import freeze_clock, site_today, utcnow
from studyapp.demo.loader import DEMO_MARK, DEMO_TOTP_SECRET
from studyapp.extensions import db
from studyapp.subjects.models import Subject
from studyapp.visits.models import Visit
from studyapp.visits.schedule import service as schedule
from tests import factories
from tests.factories import csrf_token

pytestmark = pytest.mark.both_engines  # time zones in timestamps


def screen(client, on: str):
    page = client.get("/subjects/screen").get_data(as_text=True)
    data = {"screening_date": on, "sex": "F", "age_years": "41", "csrf_token": csrf_token(page)}
    return client.post("/subjects/screen", data=data)


def sites_date(app) -> date:
    """The site's calendar date now, worked out here rather than by the app."""
    return utcnow().astimezone(ZoneInfo(app.config["SITE_TIMEZONE"])).date()


@pytest.mark.req("GCP-07")
@pytest.mark.site_midnight
def test_the_screening_page_offers_and_accepts_the_sites_today(app, client, users, auth):
    today = site_today()
    assert today == sites_date(app)
    auth.login("crc.user")
    page = client.get("/subjects/screen").get_data(as_text=True)
    box = re.search(r'<input [^>]*name="screening_date"[^>]*>', page)
    assert box
    assert f'value="{today.isoformat()}"' in box.group(0)
    assert screen(client, today.isoformat()).status_code == 302
    (subject,) = db.session.scalars(select(Subject))
    assert subject.screening_date == today


@pytest.mark.req("GCP-07")
@pytest.mark.site_midnight
def test_the_sites_tomorrow_is_in_the_future(client, users, auth):
    auth.login("crc.user")
    response = screen(client, (site_today() + timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert "The screening date cannot be in the future." in response.get_data(as_text=True)


@pytest.mark.req("GCP-07")
@pytest.mark.site_midnight
def test_the_visit_due_on_the_sites_today_is_due_and_dated_today(app, client, users, auth):
    today = site_today()
    assert today == sites_date(app)
    day1 = today - timedelta(days=14)  # today is Day 15: Dose 3
    freeze_clock(datetime.combine(day1 - timedelta(days=1), time(1, 0), UTC))
    subject = factories.make_enrolled(users["investigator"], day1, screened=day1 - timedelta(1))
    freeze_clock(None)  # back to the clock under test
    statuses = {r.code: r.status for r in schedule.calendar(subject, site_today())}
    assert (statuses["D15"], statuses["D22"]) == ("due", "upcoming")
    auth.login("inv.user")
    page = f"/subjects/{subject.id}/visits/3"
    token = csrf_token(client.get(page).get_data(as_text=True))
    tomorrow = (today + timedelta(days=1)).isoformat()
    refused = client.post(page, data={"csrf_token": token, "visit_date": tomorrow})
    assert "The visit date cannot be in the future." in refused.get_data(as_text=True)
    saved = client.post(page, data={"csrf_token": token, "visit_date": today.isoformat()})
    assert saved.status_code == 302
    visit = db.session.scalar(select(Visit).where(Visit.visitnum == "3"))
    assert visit.visit_date == today


def test_the_demo_code_follows_the_application_clock(app):
    user = factories.make_user("dm.wang", "data_manager", totp=True)
    with acting_as(None):
        user.identity_verification, user.totp_secret = DEMO_MARK, DEMO_TOTP_SECRET
        set_reason("a demo account for the test")
        db.session.commit()
    freeze_clock(datetime(2026, 3, 10, 16, 15, tzinfo=UTC))
    result = app.test_cli_runner().invoke(args=["demo-code", "dm.wang"])
    assert result.output.strip() == pyotp.TOTP(DEMO_TOTP_SECRET).at(utcnow())
