"""On a 390 px phone (issue 15): no page scrolls sideways, wide tables scroll in their box, and
the vital signs form tells of a weight change of the re-basing threshold as it is typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import enrolled_with_vitals, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_pages_fit_a_phone_and_the_weight_warning_shows_as_typed(page, live_app, site_date):
    subject_id = enrolled_with_vitals(live_app, site_date)  # Day 1 a week ago, 58.3 kg
    page.set_viewport_size(PHONE)
    sign_in(page, "inv.user")
    pages = ("/", "/subjects/", f"/subjects/{subject_id}", "/visits/tracker", "/safety/")
    visit = f"/subjects/{subject_id}/visits/1"
    forms = (
        visit,
        f"{visit}/dose",
        f"{visit}/labs/CBC",
        f"{visit}/bleeding",
        f"{visit}/medications",
    )
    subject = (f"/subjects/{subject_id}/eligibility", f"/subjects/{subject_id}/adverse-events/new")
    for path in (*pages, *forms, *subject, "/monitoring/queries"):
        assert page.goto(path).ok, path
        assert _fits(page), path
    page.goto(f"/subjects/{subject_id}/visits/2/vitals")
    assert _fits(page)
    weight = page.get_by_label("Weight (kg)")
    assert weight.get_attribute("type") == "text"
    assert weight.get_attribute("inputmode") == "decimal"
    weight.fill("65")  # +11.5 % against Dose 1's 58.3 kg
    live = page.get_by_test_id("weight-live")
    expect(live).to_contain_text("the dose will be re-based on the new weight")
    weight.fill("6o")
    expect(live).to_have_text("Weight (kg): not a number. Enter a number, e.g. 58.3.")
    weight.fill("60")
    expect(live).to_be_hidden()
