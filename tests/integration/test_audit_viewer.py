"""The audit viewer: filters, pages, a field's full history (P11-07, monitor and DM only)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from studyapp.audit import acting_as, set_reason
from studyapp.audit.services import PAGE_SIZE
from studyapp.db import freeze_clock
from studyapp.extensions import db
from tests.audit_model import TABLE, Vitals, create_table


@pytest.fixture
def trail(app, users):
    """Two subjects' rows written on two days, then edited twice."""
    create_table()
    with acting_as(users["investigator"]):
        freeze_clock(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
        first = Vitals(subject_id=1, weight_kg=Decimal("60.0"))
        db.session.add(first)
        db.session.commit()
        freeze_clock(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
        db.session.add(Vitals(subject_id=2, weight_kg=Decimal("70.0")))
        db.session.commit()
        for value, why in (("60.5", "scale"), ("61.0", "source")):
            first.weight_kg = Decimal(value)
            set_reason(why)
            db.session.commit()
    freeze_clock(None)
    return first


def rows_on(page: str) -> int:
    """Rows of the audit table (not of the list of subjects changed since their review)."""
    table = page.split('data-testid="audit-rows"', 1)[1].split("</table>", 1)[0]
    return table.count("<tr>") - 1  # minus the header row


@pytest.mark.req("P11-07", "P11-05")
def test_filters_by_subject_table_user_and_dates(client, auth, trail):
    auth.login("mon.user")
    by_subject = client.get("/audit/", query_string={"subject_id": 2}).get_data(as_text=True)
    assert "70.0" in by_subject
    assert "60.0" not in by_subject
    by_table = client.get("/audit/", query_string={"table_name": TABLE}).get_data(as_text=True)
    assert 'data-testid="audit-count">8 rows' in by_table  # 3 + 3 inserted, 2 edits
    by_user = client.get("/audit/", query_string={"username": "inv.user", "table_name": TABLE})
    assert "8 rows" in by_user.get_data(as_text=True)
    nobody = client.get("/audit/", query_string={"username": "crc.user", "table_name": TABLE})
    assert "0 rows" in nobody.get_data(as_text=True)
    march_1 = client.get(
        "/audit/",
        query_string={"table_name": TABLE, "date_from": "2026-03-01", "date_to": "2026-03-04"},
    ).get_data(as_text=True)
    assert "3 rows" in march_1  # subject 1's insert only
    assert "70.0" not in march_1
    march_5 = client.get(
        "/audit/", query_string={"table_name": TABLE, "date_from": "2026-03-05"}
    ).get_data(as_text=True)
    assert "5 rows" in march_5  # subject 2's insert and the two edits
    bad = client.get("/audit/", query_string={"date_from": "March"})
    assert bad.status_code == 400
    assert "Type the date as YYYY-MM-DD" in bad.get_data(as_text=True)


@pytest.mark.req("P11-07")
def test_field_history_lists_every_value_in_order(client, auth, trail):
    auth.login("mon.user")
    page = client.get(f"/audit/history/{TABLE}/{trail.id}/weight_kg").get_data(as_text=True)
    first, second, third = page.index("60.0"), page.index("60.5"), page.index("61.0")
    assert first < second < third
    assert "scale" in page
    assert "source" in page


def test_pages_of_fifty_newest_first(client, auth, app, users):
    create_table()
    with acting_as(users["investigator"]):
        for n in range(PAGE_SIZE):  # 2 audit rows each (id, subject_id)
            db.session.add(Vitals(subject_id=n + 1))
        db.session.commit()
    auth.login("dm.user")
    first = client.get("/audit/", query_string={"table_name": TABLE}).get_data(as_text=True)
    assert "page 1 of 2" in first
    assert rows_on(first) == PAGE_SIZE
    assert 'rel="next"' in first
    second = client.get("/audit/", query_string={"table_name": TABLE, "page": 2})
    assert rows_on(second.get_data(as_text=True)) == PAGE_SIZE
    beyond = client.get("/audit/", query_string={"table_name": TABLE, "page": 99})
    assert "page 2 of 2" in beyond.get_data(as_text=True)
