"""A subject from screening to enrolment, clicked through the pages as the site staff would.

The coordinator registers the screening, records consent, the screening values and the
prior therapies; the investigator answers the criteria left to the investigator's judgement,
signs the eligibility and enrols; the dashboard then counts the subject and shows the gate.

Every date typed or expected is the site's today on the server's clock (``site_date``), as the
pages show it: from 16:00 UTC that is a day ahead of the UTC date. The journey also runs a
minute either side of the site's midnight (``site_midnight``).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

#: The criteria the investigator judges (check = "investigator" in the protocol file).
INCLUSION_JUDGED = ["IN06"]
EXCLUSION_JUDGED = ["EX02", "EX03", "EX04", "EX05", "EX06", "EX07", "EX08"]


def main_nav(page: Page, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def subject_nav(page: Page, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("navigation", name="Subject").get_by_role("link", name=label).click()


def header(page: Page) -> Locator:
    return page.get_by_test_id("subject-header").get_by_role("heading", level=1)


def open_subject(page: Page, screening_number: str) -> None:
    main_nav(page, "Subjects")
    with page.expect_navigation():
        page.get_by_test_id("subject-list").get_by_role("link", name=screening_number).click()
    expect(header(page)).to_contain_text(screening_number)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def register_screening(page: Page, today: str) -> None:
    main_nav(page, "Subjects")
    page.get_by_role("link", name="Register a screening").click()
    expect(page).to_have_url(re.compile(r"/subjects/screen$"))
    expect(page.get_by_label("Screening date")).to_have_value(today)
    page.get_by_label("F", exact=True).check()
    page.get_by_label("Age at screening (years)").fill("41")
    page.get_by_label("Initials (optional, no name)").fill("LM")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/subjects/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Registered S01-001")
    expect(header(page)).to_have_text("S01-001")


def screening_values_refused_before_consent(page: Page) -> None:
    subject_nav(page, "Screening values")
    expect(page.get_by_test_id("consent-first")).to_contain_text("Record informed consent first")
    page.get_by_label("Eligibility platelet count (10^9/L)").fill("16")
    with page.expect_response(re.compile(r"/screening-data$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text("Record informed consent first")
    expect(page.get_by_label("Eligibility platelet count (10^9/L)")).to_have_value("16")


def record_consent(page: Page, today: str) -> None:
    open_subject(page, "S01-001")
    subject_nav(page, "Consent")
    page.get_by_label("Date of informed consent").fill(today)
    page.get_by_label("Time of informed consent").fill("09:30")
    page.get_by_label("Consent form version").select_option("2.0")
    page.get_by_label("Consent obtained by").select_option(label="Crc User (Study coordinator)")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Consent recorded.")
    expect(page.get_by_test_id("step-consent")).to_contain_text(
        f"Signed {today} 09:30, version 2.0, obtained by Crc User."
    )


def enter_screening_values(page: Page, today: str) -> None:
    subject_nav(page, "Screening values")
    page.get_by_label("ITP diagnosed (date)").fill("2023-05")
    page.get_by_label("ECOG performance status").fill("1")
    page.get_by_label("Eligibility platelet count (10^9/L)").fill("16")
    page.get_by_label("Sample date of that count").fill(today)
    page.get_by_label("ALT (U/L)").fill("20")
    page.get_by_label("AST (U/L)").fill("22")
    page.get_by_label("Total bilirubin (umol/L)").fill("11")
    page.get_by_label("Creatinine (umol/L)").fill("60")
    page.get_by_label("Pregnancy test (women)").select_option(label="negative")
    page.get_by_label("No emergency ITP treatment given").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Screening values saved.")


def add_prior_therapies(page: Page) -> None:
    subject_nav(page, "Prior therapies and history")
    therapies = page.get_by_test_id("therapies")
    for category, name in (("corticosteroid", "prednisone"), ("rituximab", "rituximab")):
        page.get_by_label("Category").select_option(category)
        page.get_by_label("Therapy (drug or procedure)").fill(name)
        with page.expect_navigation():
            page.get_by_role("button", name="Add therapy").click()
        expect(page.get_by_role("status")).to_have_text("Prior therapy added.")
        expect(therapies.get_by_role("row").filter(has_text=name)).to_contain_text(category)
    expect(therapies.get_by_role("row")).to_have_count(3)  # the header and the two therapies


def answer_and_sign_eligibility(page: Page) -> None:
    subject_nav(page, "Eligibility")
    judged = page.locator(
        "section", has=page.get_by_role("heading", name="Criteria judged by the investigator")
    )
    for code in INCLUSION_JUDGED:
        criterion = judged.get_by_role("group", name=re.compile(rf"^{code} "))
        criterion.get_by_label("yes, applies").check()
    for code in EXCLUSION_JUDGED:
        criterion = judged.get_by_role("group", name=re.compile(rf"^{code} "))
        criterion.get_by_label("no, does not apply").check()
    criteria = judged.locator("fieldset.criterion")  # the signature is a group too
    expect(criteria).to_have_count(len(INCLUSION_JUDGED) + len(EXCLUSION_JUDGED))
    expect(page.get_by_test_id("next-step")).to_contain_text("Next: the investigator")
    # the answers and the signature in one step (issue 15)
    judged.get_by_label("Username").fill("inv.user")
    judged.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        judged.get_by_role("button", name="Save answers and sign").click()
    expect(page).to_have_url(re.compile(r"/subjects/\d+$"))
    expect(page.get_by_role("status")).to_have_text("Eligibility confirmed and signed.")
    expect(page.get_by_test_id("step-eligibility")).to_contain_text("confirmed and signed")
    expect(page.get_by_test_id("next-step")).to_contain_text("Next: the study coordinator")


def enrol(page: Page, today: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id("step-enrolment").get_by_role("link", name="Enrol", exact=True).click()
    page.get_by_label("Day 1 (first infusion, planned)").fill(today)
    with page.expect_navigation():
        page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Enrolled.")
    expect(header(page)).to_contain_text("ITP-001")
    expect(header(page)).to_contain_text("screening no. S01-001")
    expect(page.get_by_test_id("step-enrolment")).to_contain_text(
        f"Enrolled as ITP-001; Day 1 {today}."
    )


@pytest.mark.site_midnight
def test_coordinator_screens_and_investigator_enrols(page: Page, site_date: date) -> None:
    today = site_date.isoformat()
    sign_in(page, "crc.user")
    register_screening(page, today)
    screening_values_refused_before_consent(page)
    record_consent(page, today)
    enter_screening_values(page, today)
    add_prior_therapies(page)
    sign_out(page)

    sign_in(page, "inv.user")
    open_subject(page, "S01-001")
    answer_and_sign_eligibility(page)
    enrol(page, today)

    main_nav(page, "Subjects")
    counts = page.get_by_test_id("counts")
    expect(counts.get_by_test_id("enrolled-count")).to_have_text("1")
    expect(counts).to_contain_text("1 / 20 enrolled")
    gate = page.get_by_test_id("gate")
    expect(gate.get_by_test_id("gate-state")).to_have_text("enrolling the run-in cohort")
    expect(gate.get_by_test_id("gate-message")).to_have_text(
        "Enrolling the run-in cohort: 1 of 3 enrolled."
    )
    expect(gate.get_by_role("link", name="ITP-001")).to_be_visible()
