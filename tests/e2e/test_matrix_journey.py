"""The form status matrix in the browser: the coordinator finds a missing form, the
investigator fills it, the matrix shows it complete (issue 15, item 3).

A subject enrolled a week ago has only its Day 1 vital signs saved: the Day 1 visit is partly
entered, its bleeding assessment missing.
"""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import enrolled_with_vitals, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def subject_id(live_app, site_date: datetime.date) -> int:
    return enrolled_with_vitals(live_app, site_date)


def test_the_coordinator_finds_a_missing_form_and_the_investigator_fills_it(
    page: Page, subject_id: int, site_date: datetime.date
) -> None:
    sign_in(page, "crc.user")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Form status").click()
    page.get_by_label("State", exact=True).select_option("missing")
    page.get_by_role("button", name="Filter").click()
    day1 = page.get_by_test_id("matrix").locator("tr[data-subject=ITP-001] td[data-visit=D1]")
    expect(day1).to_contain_text("partly entered")
    expect(day1.locator("[data-form=VS]")).to_have_count(0)  # complete: filtered out
    day1.locator("[data-form=BLEED]").click()
    expect(page).to_have_url(re.compile(rf"/subjects/{subject_id}/visits/1/bleeding$"))
    form_url = page.url

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "inv.user")
    page.goto(form_url)
    day1_date = (site_date - datetime.timedelta(days=7)).isoformat()
    page.get_by_label("Date of assessment").fill(day1_date)
    page.get_by_label("0: No bleeding").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("visit-forms")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Form status").click()
    cell = page.get_by_test_id("matrix").locator("tr[data-subject=ITP-001] td[data-visit=D1]")
    expect(cell.locator("[data-form=BLEED]")).to_have_attribute("data-state", "complete")
    expect(cell.locator("[data-form=BLEED]")).to_contain_text("complete")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table scrolls inside
    box = page.get_by_role("region", name="Form status by subject and visit")
    assert box.evaluate(  # the box (or its table, a scrolling block on a phone) scrolls
        "e => e.getBoundingClientRect().right <= 390 && [e, e.querySelector('table')]"
        ".some(x => x.scrollWidth > x.clientWidth)"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= 390")  # not the page
