"""Every field of every visit form, fed bad input of every kind: a message and 4xx, never 500."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from studyapp.db import freeze_clock
from studyapp.transaction import transaction
from tests import factories
from tests.factories import csrf_token

pytestmark = pytest.mark.both_engines  # column lengths, numeric ranges and odd characters

DAY1 = date(2026, 3, 2)
FORMS = ("vitals", "labs/CBC", "labs/CHEM", "bleeding", "dose", "medications")
BAD = (
    "abc",
    "12abc",
    "1e999",
    "NaN",
    "-Infinity",
    "-5",
    "99999999999999999999999",
    "0.0000001",
    "2026-02-30",
    "31/12/2026",
    "25:99",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 5000,
    "１２３",  # full-width digits
)
FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15: CBC, CHEM, VS, dose
    return subject


@pytest.mark.req("REL-07", "SEC-10")
@pytest.mark.parametrize("form", FORMS)
def test_no_input_makes_a_server_error(client, users, auth, subject, form):
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/3/{form}"
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = csrf_token(html)
    names = sorted(set(FIELD.findall(html)) - {"csrf_token", "locale", "next"})
    assert names, "the form has fields"
    # Every field gets every bad value: all fields at once, rotated so each post pairs
    # different values, then each field alone with the nastiest ones.
    posts = [
        {name: BAD[(turn + i) % len(BAD)] for i, name in enumerate(names)}
        for turn in range(len(BAD))
    ]
    posts += [{name: value} for name in names for value in (BAD[0], BAD[6], BAD[11], BAD[13])]
    for sent in posts:
        response = client.post(path, data={"csrf_token": token, "visit_date": "2026-03-16", **sent})
        assert response.status_code < 500, sent
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body, sent
        assert "Traceback" not in body


@pytest.mark.parametrize("given", ["9999999", "1000000", "999999.95"])
def test_a_huge_dose_with_every_other_field_valid_is_refused_not_overflowed(
    client, users, auth, subject, given
):
    from decimal import Decimal

    from studyapp.audit.context import acting_as
    from studyapp.visits.vitals import service as vitals

    inv = users["investigator"]
    with acting_as(inv), transaction():
        values = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 76, "pulse": 70}
        vitals.save(
            inv,
            subject.id,
            "3",
            vitals.VitalsEntry(date(2026, 3, 16), None, values | {"temp": Decimal("36.5")}),
            visit_date=date(2026, 3, 16),
        )
    auth.login("inv.user")
    path = f"/subjects/{subject.id}/visits/3/dose"
    token = csrf_token(client.get(path).get_data(as_text=True))
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "ec_date": "2026-03-16",
            "start_time": "09:30",
            "stop_time": "12:30",
            "premed_time": "08:15",
            "given_dose": given,
            "given_volume": "46.5",
            "deviation_reason": "pump error",
            "interrupted": "N",
            "confirm": "y",
            "action": "save",
        },
    )
    assert response.status_code == 422, response.status_code
