"""Treatment-emergent flag on the AE list: partial onsets imputed (DOMAIN.md sections 2, 8)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from studyapp.db import freeze_clock
from studyapp.safety import emergent, events
from tests import factories

DAY1 = date(2026, 3, 2)


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    return subject


def flags(client, subject) -> list[str]:
    html = client.get(f"/subjects/{subject.id}/adverse-events").get_data(as_text=True)
    return [
        re.sub(r"\s+", " ", f).strip()
        for f in re.findall(r'data-testid="te-flag">(.*?)</td>', html)
    ]


def test_the_ae_list_flags_treatment_emergent_events(client, auth, subject, users):
    inv = users["investigator"]
    factories.record_ae(inv, subject, start_date="2026-03")  # Day 1's month -> Day 1
    factories.record_ae(inv, subject, start_date="2026---15")  # month unknown -> the year rule
    factories.record_ae(  # ended on 2026-03-01: the imputed onset cannot be later
        inv,
        subject,
        start_date="2026-03",
        end_date="2026-03-01",
        ongoing=False,
        aeout="RECOVERED/RESOLVED",
    )
    factories.record_ae(
        inv, subject, start_date="2026-03-01", aeterm="rash", ctcae_term="Rash maculo-papular"
    )
    factories.record_ae(
        inv, subject, start_date="2026-03-02", aeterm="fatigue", ctcae_term="Fatigue"
    )
    auth.login("inv.user")
    assert flags(client, subject) == [
        'Yes <small class="hint">(onset imputed as 2026-03-02)</small>',
        'Yes <small class="hint">(onset imputed as 2026-03-02)</small>',
        'No <small class="hint">(onset imputed as 2026-03-01)</small>',
        "No",
        "Yes",
    ]
    records = events.listing(subject)
    assert [r.start_date for r in records][:2] == ["2026-03", "2026---15"]  # kept as entered
    assert emergent.emergence(subject, records[3]) == emergent.Emergence(False, None)


def test_the_ae_page_shows_the_flag(client, auth, subject, users):
    record = factories.record_ae(users["investigator"], subject, start_date="2026")
    auth.login("inv.user")
    html = client.get(f"/subjects/{subject.id}/adverse-events/{record.id}").get_data(as_text=True)
    flag = re.search(r'data-testid="te-flag"[^>]*>([^<]*)<', html)
    assert flag is not None
    assert flag.group(1) == "Treatment-emergent: Yes"
    assert "(onset imputed as 2026-03-02)" in html
