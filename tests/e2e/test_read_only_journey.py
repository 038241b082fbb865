"""The monitor opens a saved vital signs form in the browser: values, no inputs, no Save.

A subject enrolled a week ago has the Day 1 vital signs saved by the investigator. The monitor
goes from the visit to the form, reads the values, finds no box to type in and no Save button
(Save would only answer 403), and follows the record's audit trail (issue 12, item 7).
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
    """A subject enrolled a week ago with its Day 1 vital signs saved."""
    return enrolled_with_vitals(live_app, site_date)


def test_monitor_reads_the_vital_signs_without_a_save_button(page: Page, subject_id: int) -> None:
    sign_in(page, "mon.user")
    page.goto(f"/subjects/{subject_id}/visits/1")
    page.get_by_test_id("visit-forms").get_by_role("link", name="Vital signs").click()

    form = page.get_by_test_id("vitals-form")
    expect(form.get_by_test_id("value-weight")).to_have_text("58.3")
    expect(form.get_by_test_id("value-sysbp")).to_have_text("118")
    expect(form.get_by_test_id("value-diabp")).to_have_text("74")
    expect(form.get_by_test_id("value-pulse")).to_have_text("71")
    expect(form.get_by_test_id("value-temp")).to_have_text("37.2")
    expect(form.get_by_test_id("value-vs_time")).to_have_text("09:05")
    main = page.locator("main")
    # The monitor's own controls (raise a query, verify against source) post to /monitoring/;
    # nothing else on the page takes input or has a button.
    data_entry = "form:not([action^='/monitoring/'])"
    expect(main.locator(f"{data_entry} :is(input, select, textarea)")).to_have_count(0)
    expect(main.get_by_role("button", name="Save")).to_have_count(0)
    expect(main.locator(f"{data_entry} button")).to_have_count(0)
    expect(main.locator("input:not(form input), select:not(form select)")).to_have_count(0)

    note = page.get_by_test_id("read-only")
    expect(note).to_contain_text("changes are made by the site investigator")
    expect(note.get_by_test_id("monitoring")).to_be_visible()
    note.get_by_test_id("record-audit").click()
    expect(page).to_have_url(re.compile(r"table_name=vital_signs"))
    expect(page.locator("main")).to_contain_text("weight")
