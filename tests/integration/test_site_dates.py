"""Today is the site's date at any hour: the pages, read on the clock as it runs (GCP-07).

These tests do not freeze the clock: they run at the run's clock and a minute either side of
the site's midnight (``site_midnight``, tests/site_clock.py), where the UTC date is the day
before the site's from 00:00 site time.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from studyapp.db import site_today
from studyapp.extensions import db
from studyapp.subjects.models import Subject
from tests.factories import csrf_token


def screen(client, on: str):
    page = client.get("/subjects/screen").get_data(as_text=True)
    data = {"screening_date": on, "sex": "F", "age_years": "41", "csrf_token": csrf_token(page)}
    return client.post("/subjects/screen", data=data)


@pytest.mark.req("GCP-07")
@pytest.mark.site_midnight
def test_the_screening_page_offers_and_accepts_the_sites_today(client, users, auth):
    today = site_today()
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
