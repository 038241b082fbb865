"""Monitoring in the browser: a query answered by a correction, SDV, sign-off and a lock.

A subject enrolled a week ago has the Day 1 vital signs saved by the investigator (issue 14,
item 8). The monitor queries the heart rate on the form; the investigator sees the marker and
answers by correcting the value with a reason; the monitor closes the query and verifies the
whole form. The investigator signs the casebook and reads the manifestation. The data manager
(password and TOTP code) locks the subject, and the investigator then finds the vital signs
read-only behind the "Locked" banner.
"""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import enrolled_with_vitals, sign_in

pytestmark = pytest.mark.e2e

VITALS_FIELDS = ("vs_date", "vs_time", "weight", "sysbp", "diabp", "pulse", "temp")
#: The manifestation (21 CFR 11.50): printed name and role, site time with offset, meaning.
MANIFEST = re.compile(
    r"Signed by Inv User \(Investigator\) on \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(\+08:00\): "
    r'"Investigator approval of casebook"\.'
)


@pytest.fixture
def subject_id(live_app, site_date: datetime.date) -> int:
    """ITP-001, enrolled a week ago, its Day 1 vital signs saved (heart rate 71)."""
    return enrolled_with_vitals(live_app, site_date)


def _vitals(subject_id: int) -> str:
    return f"/subjects/{subject_id}/visits/1/vitals"


def _switch_to(page: Page, username: str) -> None:
    """Sign out (the button in the header) and sign in as ``username``."""
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, username)


@pytest.mark.req("GCP-10")
def test_a_query_is_answered_by_a_correction_closed_and_the_form_verified(
    page: Page, subject_id: int
) -> None:
    # The monitor raises a query on the heart rate from the query box on the form.
    sign_in(page, "mon.user")
    page.goto(_vitals(subject_id))
    form = page.get_by_test_id("vitals-form")
    expect(form.get_by_test_id("value-pulse")).to_have_text("71")
    expect(page.get_by_test_id("query-marker-pulse")).to_have_count(0)
    box = page.get_by_test_id("raise-query")
    box.get_by_label("Field").select_option(label="Heart rate (beats/min)")
    box.get_by_label("Question").fill("The source ECG says 78 beats/min. Please check.")
    box.get_by_role("button", name="Raise the query").click()

    marker = page.get_by_test_id("query-marker-pulse")
    expect(marker).to_have_count(1)
    expect(marker).to_have_text(re.compile(r"^Query #\d+ \(open\)$"))
    query_id = int(re.search(r"#query-(\d+)$", marker.get_attribute("href") or "").group(1))
    state = page.get_by_test_id(f"query-state-{query_id}")
    expect(state).to_have_text("open")
    expect(page.get_by_test_id(f"query-{query_id}")).to_contain_text("The source ECG says 78")

    # The investigator sees the marker and answers by correcting the value, with a reason.
    _switch_to(page, "inv.user")
    page.goto(_vitals(subject_id))
    expect(page.get_by_test_id("query-marker-pulse")).to_have_text(f"Query #{query_id} (open)")
    expect(page.get_by_test_id(f"close-{query_id}")).to_have_count(0)  # the site cannot close
    form = page.get_by_test_id("vitals-form")
    form.get_by_label("Heart rate (beats/min)").fill("78")
    form.get_by_label("Reason for change").fill("Transcription error; the ECG printout says 78.")
    form.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/subjects/{subject_id}/visits/1$"))  # saved
    page.goto(_vitals(subject_id))
    expect(page.get_by_test_id("vitals-form").get_by_label("Heart rate (beats/min)")).to_have_value(
        "78"
    )
    expect(state).to_have_text("answered")
    expect(page.get_by_test_id("query-marker-pulse")).to_have_text(f"Query #{query_id} (answered)")
    expect(page.get_by_test_id(f"query-{query_id}")).to_contain_text(
        "Changed pulse from 71 to 78. Reason: Transcription error"
    )

    # The monitor closes the query, then verifies the whole form: every field ticked.
    _switch_to(page, "mon.user")
    page.goto(_vitals(subject_id))
    form = page.get_by_test_id("vitals-form")
    expect(form.get_by_test_id("value-pulse")).to_have_text("78")
    expect(state).to_have_text("answered")
    page.get_by_test_id(f"close-{query_id}").get_by_role("button", name="Close the query").click()
    expect(state).to_have_text("closed")
    expect(page.get_by_test_id("query-marker-pulse")).to_have_count(0)  # no open question left
    expect(page.get_by_test_id(f"close-{query_id}")).to_have_count(0)

    for name in VITALS_FIELDS:
        expect(page.get_by_test_id(f"sdv-tick-{name}")).to_have_count(0)
    page.get_by_test_id("sdv-verify-form-VS").click()
    count = page.get_by_test_id("sdv-count-VS")
    expect(count).to_have_text(re.compile(r"^(\d+) of \1 fields verified$"))
    for name in ("weight", "sysbp", "diabp", "pulse", "temp"):
        expect(page.get_by_test_id(f"sdv-tick-{name}")).to_have_text("✓ Verified")
    expect(page.get_by_test_id("sdv-verify-form-VS")).to_have_count(0)


@pytest.mark.req("P11-13", "GCP-09")
def test_the_investigator_signs_the_casebook_and_reads_the_manifestation(
    page: Page, subject_id: int
) -> None:
    sign_in(page, "inv.user")
    page.goto(f"/subjects/{subject_id}")
    card = page.get_by_test_id("casebook-signoff")
    expect(card).to_contain_text("Not signed yet.")
    expect(card.get_by_test_id("signature")).to_have_count(0)
    # The first signing of the session asks for the username as well as the password.
    card.get_by_label("Username").fill("inv.user")
    card.get_by_label("Password").fill(factories.PASSWORD)
    card.get_by_role("button", name="Sign the casebook").click()

    # Back on the subject page: the manifestation of the signature.
    signature = card.get_by_test_id("signature")
    expect(signature).to_have_text(MANIFEST)
    expect(card).to_contain_text("Signed and unchanged since")
    expect(card.get_by_role("button", name="Sign the casebook")).to_have_count(0)
    expect(card.get_by_label("Password")).to_have_count(0)


@pytest.mark.req("GCP-08")
def test_the_data_manager_locks_the_subject_and_the_form_reads_only(
    page: Page, subject_id: int
) -> None:
    # Before the lock the investigator may change the vital signs.
    sign_in(page, "inv.user")
    page.goto(_vitals(subject_id))
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    expect(page.get_by_test_id("lock-banner")).to_have_count(0)

    # The data manager (password and TOTP code) locks the subject from its page.
    _switch_to(page, "dm.user")
    page.goto(f"/subjects/{subject_id}")
    panel = page.get_by_test_id("lock-panel")
    panel.get_by_test_id("lock-new").click()
    expect(page.get_by_test_id("lock-target")).to_contain_text("all its visits and forms")
    lock_form = page.get_by_test_id("lock-form")
    lock_form.get_by_label("Lock: no change at all").check()
    lock_form.get_by_label("Reason (optional)").fill("Database lock for the interim analysis.")
    lock_form.get_by_role("button", name="Set").click()
    expect(page).to_have_url(re.compile(rf"/subjects/{subject_id}$"))
    panel = page.get_by_test_id("lock-panel")
    expect(panel.get_by_test_id("lock-banner")).to_contain_text("Locked")
    expect(panel.locator("li", has_text="Locked")).to_contain_text("Subject ITP-001")

    # The investigator finds the vital signs read-only: the banner, values, no input, no Save.
    _switch_to(page, "inv.user")
    page.goto(_vitals(subject_id))
    banner = page.get_by_test_id("lock-banner")
    expect(banner).to_contain_text("Locked")
    expect(banner).to_contain_text("Database lock for the interim analysis.")
    form = page.get_by_test_id("vitals-form")
    expect(form.get_by_test_id("value-pulse")).to_have_text("71")
    expect(form.locator("input:not([type=hidden]), select, textarea")).to_have_count(0)
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Save as draft")).to_have_count(0)
