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
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import enrolled_with_vitals, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def subject_id(live_app, site_date: datetime.date) -> int:
    """A subject enrolled a week ago with its Day 1 vital signs saved."""
    return enrolled_with_vitals(live_app, site_date)


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
