"""The investigator records a serious infusion reaction and reports it, in the browser.

A subject received Dose 1 (seeded, on the site's date of the awareness time). The investigator
records the adverse event: the CTCAE term chosen from the server search shows its system organ
class and grade definitions; grade 3, serious (hospitalisation), probably related but expected
(not a SUSAR), an infusion reaction to Dose 1. The SAE page's 24-hour clock runs from the
awareness time; the initial report is drafted, its PDF previewed and submitted, which stops the
clock on time. The safety overview lists the event among the severe and serious events and the
infusion reactions.

The awareness time is taken from the server's clock (``utcnow``), in site time; the journey also
runs a minute either side of the site's midnight (``site_midnight``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from datetime import UTC, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from studyapp.audit.context import acting_as
from studyapp.auth.models import User
from studyapp.db import freeze_clock, site_zone, utcnow
from studyapp.extensions import db
from studyapp.transaction import transaction
from studyapp.visits.dosing import checks as dose_checks
from studyapp.visits.dosing import service as dosing
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

SITE = ZoneInfo("Asia/Shanghai")
TERM = "Infusion related reaction"
SOC = "Injury, poisoning and procedural complications"
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(\+08:00\)")


@dataclass(frozen=True)
class Seeded:
    subject_id: int
    dose_date: datetime.date
    aware: datetime.datetime  # site time, whole minutes, a few hours before the real now


def _local(moment: datetime.datetime) -> str:
    """As the pages show a time (``studyapp.web.localtime``)."""
    return moment.astimezone(SITE).strftime("%Y-%m-%d %H:%M (+08:00)")


@pytest.fixture
def seeded(live_app) -> Seeded:
    """An enrolled subject whose Dose 1 was given on the awareness time's site date."""
    with live_app.app_context():
        now = utcnow().astimezone(site_zone())
        aware = (now - timedelta(hours=3)).replace(second=0, microsecond=0)
        day1 = aware.date()
        inv = db.session.scalar(db.select(User).where(User.username == "inv.user"))
        try:
            freeze_clock(datetime.datetime.combine(day1 - timedelta(days=1), time(1, 0), UTC))
            subject = factories.make_enrolled(inv, day1, screened=day1 - timedelta(days=1))
        finally:
            freeze_clock(None)
        with acting_as(inv), transaction():
            measures = {
                "weight": Decimal("58.3"),
                "sysbp": 118,
                "diabp": 74,
                "pulse": 70,
                "temp": Decimal(37),
            }
            vitals.save(
                inv,
                subject.id,
                "1",
                vitals.VitalsEntry(day1, time(0, 30), measures),
                visit_date=day1,
            )
            dosing.save(
                inv,
                subject.id,
                "1",
                dose_checks.DoseEntry(
                    ec_date=day1,
                    start_time=time(0, 45),
                    stop_time=time(5, 0),
                    given_dose=Decimal(930),
                    given_volume=Decimal("46.5"),
                    interrupted=False,
                    premed_time=time(0, 15),
                ),
                completing=False,
            )
        subject_id = subject.id
        db.session.remove()
    return Seeded(subject_id, day1, aware)


@pytest.mark.site_midnight
def test_investigator_records_a_serious_infusion_reaction_and_reports_it(
    page: Page, seeded: Seeded
) -> None:
    dose_date = seeded.dose_date.isoformat()
    sign_in(page, "inv.user")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subjects").click()
    page.get_by_test_id("subject-list").get_by_role("link", name="ITP-001").click()
    page.get_by_test_id("nav-aes").click()
    page.get_by_test_id("new-ae").click()
    expect(page.get_by_role("heading", name="Record an adverse event")).to_be_visible()

    # The event, its CTCAE term from the server search, with SOC and grade definitions.
    page.get_by_label("Adverse event (investigator's words)").fill(
        "Rigors during the first infusion"
    )
    term = page.get_by_label("CTCAE v5.0 term")
    term.fill("infus")
    expect(page.locator(f'#ctcae-terms option[value="{TERM}"]')).to_be_attached()
    term.fill(TERM)
    expect(page.locator('[data-ctcae="soc"]')).to_have_text(f"System organ class: {SOC}")
    definitions = page.get_by_test_id("grade-definitions")
    expect(definitions).to_contain_text("Therapy or infusion interruption indicated")
    expect(definitions.locator("dt")).to_have_count(5)
    page.get_by_label("Onset date").fill(dose_date)
    page.get_by_label("Ongoing", exact=True).check()

    page.get_by_role("group", name="Grade (CTCAE v5.0)").get_by_role(
        "radio", name="3", exact=True
    ).check()

    seriousness = page.get_by_role("group", name="Seriousness (ICH E2A)")
    seriousness.get_by_role("radio", name="Yes", exact=True).check()
    seriousness.get_by_label("requires or prolongs hospitalisation").check()
    seriousness.get_by_label("Site aware it is serious: date").fill(seeded.aware.date().isoformat())
    seriousness.get_by_label("Site aware it is serious: date").press("Escape")  # the calendar
    seriousness.get_by_label("Time (site local)").fill(seeded.aware.strftime("%H:%M"))

    page.get_by_label("Relationship to daratumumab").select_option(label="probably related")
    page.get_by_role("radio", name="Yes, expected", exact=True).check()
    page.get_by_label("Action taken with daratumumab").select_option(label="infusion interrupted")
    page.get_by_label("Outcome", exact=True).select_option(label="recovering")

    page.get_by_label("Infusion-related reaction", exact=True).check()
    page.get_by_label("Infusion it followed").select_option(label=f"Dose 1 on {dose_date}")
    page.get_by_role("button", name="Save", exact=True).click()

    # The SAE page: the initial report's clock runs for 24 h from the awareness time.
    expect(page).to_have_url(re.compile(r"/adverse-events/\d+/sae$"))
    expect(page.get_by_role("heading", name=re.compile("Serious adverse event"))).to_contain_text(
        "Rigors during the first infusion"
    )
    clock = page.get_by_test_id("clock-SAE")
    expect(clock.get_by_test_id("clock-state")).to_have_text("running")
    expect(clock.get_by_test_id("time-left")).to_have_text(re.compile(r"^\d+ h \d{2} min left$"))
    expect(clock).to_contain_text(_local(seeded.aware + timedelta(hours=24)))
    expect(page.get_by_test_id("reports")).to_contain_text("No report yet.")

    # Draft the initial report, preview its PDF, submit it.
    new_report = page.get_by_test_id("new-report")
    new_report.get_by_label("Narrative").fill(
        "ITP-001 developed rigors and fever 40 minutes into the first daratumumab infusion. "
        "The infusion was interrupted; paracetamol and an antihistamine were given and the "
        "subject was admitted for observation. Recovering. Probably related, expected."
    )
    new_report.get_by_role("button", name="Save the draft").click()
    expect(page).to_have_url(re.compile(r"/sae/reports/\d+$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("draft")
    pdf_link = page.get_by_test_id("pdf-link")
    expect(pdf_link).to_have_text("Preview the PDF")
    href = pdf_link.get_attribute("href")
    assert href
    preview = page.request.get(href)
    assert preview.status == 200
    assert preview.headers["content-type"].startswith("application/pdf")
    assert preview.body().startswith(b"%PDF")

    page.get_by_role("button", name="Submit the report").click()
    expect(page).to_have_url(re.compile(r"/adverse-events/\d+/sae$"))
    expect(clock.get_by_test_id("clock-state")).to_have_text("reported on time")
    expect(clock.get_by_test_id("time-left")).to_have_text("")
    report_row = page.get_by_test_id("reports").locator("tbody tr")
    expect(report_row).to_have_count(1)
    expect(report_row.locator("td").nth(1)).to_have_text(LOCAL_TIME)
    expect(report_row).to_contain_text("SHA-256")

    # The safety overview lists it among the severe and serious events and the IRRs.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safety").click()
    expect(page.get_by_role("heading", name="Safety overview")).to_be_visible()
    for table in ("severe-and-serious", "irrs"):
        row = page.get_by_test_id(table).locator("tbody tr", has_text="ITP-001")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(TERM)
        expect(row).to_contain_text(SOC)
        expect(row).to_contain_text(dose_date)
        expect(row.locator("td").nth(6)).to_have_text("3")
        expect(row.locator("td").nth(7)).to_have_text("yes")
