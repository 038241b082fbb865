"""The monitor makes the study safety report and downloads the ODM and SDTM exports, in the
browser (issue 13, item 5).

A subject enrolled a week ago has Day 1 vital signs. The monitor opens "Reports and exports"
from the menu, makes each file with today's cut-off, follows it to its page and downloads it;
each file is what its kind says (a PDF, an ODM 1.3.2 document, a zip of SDTM datasets) and
its SHA-256 is the one the page shows (and the audit trail keeps).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from datetime import UTC, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studyapp.audit.context import acting_as
from studyapp.auth.models import User
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def subject_id(live_app, site_date: datetime.date) -> int:
    day1 = site_date - timedelta(days=7)
    with live_app.app_context():
        inv = db.session.scalar(db.select(User).where(User.username == "inv.user"))
        try:
            freeze_clock(datetime.datetime.combine(day1 - timedelta(days=1), time(1, 0), UTC))
            subject = factories.make_enrolled(inv, day1, screened=day1 - timedelta(days=1))
            freeze_clock(datetime.datetime.combine(day1, time(2, 0), tzinfo=UTC))
            measures = {
                "weight": Decimal("58.3"),
                "sysbp": 118,
                "diabp": 74,
                "pulse": 71,
                "temp": Decimal("37.2"),
            }
            with acting_as(inv):
                vitals.save(
                    inv,
                    subject.id,
                    "1",
                    vitals.VitalsEntry(day1, time(9, 5), measures),
                    visit_date=day1,
                    confirmed=True,
                )
            db.session.commit()
        finally:
            freeze_clock(None)
        subject_id = subject.id
        db.session.remove()
    return subject_id


def _make(page: Page, kind: str, tmp_path: Path) -> bytes:
    """Ask for a file of *kind* on the reports page, download it, check its hash."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Reports and exports"
    ).click()
    form = page.get_by_test_id(f"export-{kind}")
    form.get_by_role("button", name="Make the file").click()
    expect(page.get_by_test_id("job-state")).to_have_text("ready")
    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    data = target.read_bytes()
    expect(page.get_by_test_id("job-sha256")).to_have_text(hashlib.sha256(data).hexdigest())
    return data


def test_monitor_makes_the_safety_report_and_downloads_odm_and_sdtm(
    page: Page, subject_id: int, tmp_path: Path
) -> None:
    sign_in(page, "mon.user")

    pdf = _make(page, "safety_report", tmp_path)
    assert pdf.startswith(b"%PDF")

    odm = _make(page, "odm", tmp_path)
    assert b'xmlns="http://www.cdisc.org/ns/odm/v1.3"' in odm[:2000]
    assert b'ODMVersion="1.3.2"' in odm[:2000]

    with zipfile.ZipFile(io.BytesIO(_make(page, "sdtm", tmp_path))) as sdtm:
        names = {name.lower() for name in sdtm.namelist()}
    assert any(name.endswith("dm.xpt") for name in names)
    assert any(name.endswith("vs.csv") for name in names)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Reports and exports"
    ).click()
    expect(page.get_by_test_id("recent-files").locator("tbody tr")).to_have_count(3)
