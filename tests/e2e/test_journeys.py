"""Each role signs in and sees its own navigation; the language switch; a new account."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

NAV = {
    "inv.user": ("Investigator", ["Queries"], ["Users", "Audit trail"]),
    "crc.user": ("Study coordinator", ["Queries"], ["Users", "Audit trail"]),
    "mon.user": ("Monitor", ["Audit trail", "Queries"], ["Users"]),
    "dm.user": ("Data manager", ["Users", "Audit trail", "Queries"], []),
}


@pytest.mark.req("P11-09", "SEC-03")
@pytest.mark.parametrize("username", list(NAV))
def test_each_role_sees_its_navigation(page, username):
    role, present, absent = NAV[username]
    sign_in(page, username)
    nav = page.get_by_role("navigation", name="Main")
    assert page.get_by_test_id("whoami").inner_text().endswith(role)
    for label in present:
        assert nav.get_by_role("link", name=label).is_visible()
    for label in absent:
        assert nav.get_by_role("link", name=label).count() == 0
    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/login")


def test_switching_to_chinese_sticks_to_the_account(page):
    sign_in(page, "inv.user")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("zh_Hans")  # app.js submits on change
    assert page.get_by_role("button", name="退出登录").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.reload()
    assert page.get_by_role("button", name="退出登录").is_visible()


@pytest.mark.req("P11-17")
def test_data_manager_creates_an_account_and_the_user_sets_a_password(page, browser, live_server):
    sign_in(page, "dm.user")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("dr.sun")
    page.get_by_label("Full name").fill("Dr Sun Li")
    page.get_by_label("Role").select_option("investigator")
    page.get_by_label("identity").fill("staff card seen in person")
    page.get_by_role("button", name="Save").click()
    code = page.get_by_test_id("setup-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)

    other = browser.new_context(base_url=live_server).new_page()
    other.goto("/login")
    other.get_by_role("link", name="Set your password with a code").click()
    other.get_by_label("Username").fill("dr.sun")
    other.get_by_label("Single-use code").fill(code)
    other.get_by_label("New password", exact=True).fill("lotus river mountain dawn")
    other.get_by_label("New password again").fill("lotus river mountain dawn")
    other.get_by_role("button", name="Set password").click()
    sign_in(other, "dr.sun", "lotus river mountain dawn")
    assert other.get_by_test_id("whoami").inner_text().startswith("Dr Sun Li")
    other.context.close()


def test_a_wrong_password_keeps_the_username_and_shows_the_message(page):
    page.goto("/login")
    page.get_by_label("Username").fill("inv.user")
    page.get_by_label("Password").fill("not my password at all")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Sign-in failed")
    assert page.get_by_label("Username").input_value() == "inv.user"
