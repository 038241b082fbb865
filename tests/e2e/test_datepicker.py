"""The date picker: vendored flatpickr on the YYYY-MM-DD text boxes, with no network.

Every request that is not to the live server is refused, so the calendar can only come
from this server's static files. Picking a day fills the box with YYYY-MM-DD; a typed
impossible date is left as typed, submitted with Enter, and answered by the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture
def offline(page: Page, live_server: str) -> Iterator[list[str]]:
    """Abort every request to another host; the list holds what was refused."""
    server = urlsplit(live_server).netloc
    refused: list[str] = []

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield refused
    # Let the last page finish loading: a download cut short by closing the browser
    # leaves the test server's file open (a ResourceWarning in a later test).
    page.wait_for_load_state()


def open_screening_form(page: Page) -> None:
    sign_in(page, "crc.user")
    page.wait_for_load_state()  # the home page's files, before leaving it
    page.goto("/subjects/screen")
    expect(page.get_by_role("heading", name="Register a screening")).to_be_visible()
    page.wait_for_function("() => window.flatpickr !== undefined")


def test_picking_a_day_fills_the_box_offline(page: Page, offline: list[str]) -> None:
    open_screening_form(page)
    box = page.get_by_label("Screening date")
    expect(box).to_have_attribute("data-datepicker", "")
    expect(box).to_have_attribute("type", "text")
    calendar = page.locator(".flatpickr-calendar")
    expect(calendar).to_have_count(1)
    expect(box).to_be_focused()  # autofocus: the caret is there, the calendar stays shut
    expect(calendar).not_to_have_class(re.compile(r"\bopen\b"))

    box.click()
    expect(calendar).to_have_class(re.compile(r"\bopen\b"))
    expect(calendar).to_be_visible()
    day = calendar.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)", has_text="15")
    day.first.click()
    expect(calendar).not_to_have_class(re.compile(r"\bopen\b"))
    value = box.input_value()
    assert ISO.match(value), value
    assert value.endswith("-15")
    assert offline == []


def test_typed_impossible_date_is_kept_and_answered_by_the_server(
    page: Page, offline: list[str]
) -> None:
    open_screening_form(page)
    box = page.get_by_label("Screening date")
    calendar = page.locator(".flatpickr-calendar")
    box.click()
    box.press("Control+a")
    box.press_sequentially("14/3/2026")  # short of 10 characters: the calendar stays open
    expect(calendar).to_have_class(re.compile(r"\bopen\b"))
    page.get_by_role("heading", name="Register a screening").click()  # a click outside
    expect(calendar).not_to_have_class(re.compile(r"\bopen\b"))
    expect(box).to_have_value("14/3/2026")  # not cleared by the picker
    box.click()
    box.press("Control+a")
    box.press_sequentially("2026-02-30")  # a complete entry closes the calendar
    expect(calendar).not_to_have_class(re.compile(r"\bopen\b"))
    page.get_by_label("F", exact=True).check()  # the box loses focus: text kept
    expect(box).to_have_value("2026-02-30")
    page.get_by_label("Age at screening (years)").fill("41")

    box.focus()
    with page.expect_response(re.compile(r"/subjects/screen$")) as answer:
        box.press("Enter")  # Enter in the date box submits the form
    assert answer.value.status == 422
    field = page.locator(".field", has=page.get_by_label("Screening date"))
    expect(field.locator(".errors")).to_have_text("2026-02-30 is not a date of the calendar.")
    expect(page.get_by_label("Screening date")).to_have_value("2026-02-30")
    expect(page.get_by_label("Age at screening (years)")).to_have_value("41")
    assert offline == []


def test_typed_good_date_is_not_rewritten_and_enter_registers(
    page: Page, offline: list[str]
) -> None:
    open_screening_form(page)
    page.get_by_label("F", exact=True).check()
    page.get_by_label("Age at screening (years)").fill("52")
    box = page.get_by_label("Screening date")
    today = box.input_value()
    box.fill("")
    box.press_sequentially(today)
    expect(page.locator(".flatpickr-calendar")).not_to_have_class(re.compile(r"\bopen\b"))
    expect(box).to_have_value(today)
    with page.expect_navigation():
        box.press("Enter")
    expect(page).to_have_url(re.compile(r"/subjects/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Registered S01-001")
    assert offline == []


def test_chinese_pages_get_the_chinese_calendar(page: Page, offline: list[str]) -> None:
    sign_in(page, "crc.user")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.locator("#lang-select").select_option("zh_Hans")  # app.js submits on change
    page.goto("/subjects/screen")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.wait_for_function("() => window.flatpickr && window.flatpickr.l10ns.zh !== undefined")
    box = page.locator("#screening_date")
    box.click()
    calendar = page.locator(".flatpickr-calendar")
    expect(calendar).to_have_class(re.compile(r"\bopen\b"))
    expect(calendar.locator(".flatpickr-weekday").first).to_have_text("周日")
    calendar.locator(".flatpickr-day.today").click()
    assert ISO.match(box.input_value())
    assert offline == []
