"""Date fields: a YYYY-MM-DD text box the vendored, offline date picker enhances.

The server alone judges the text: an impossible or wrongly written date gets a message
next to the field, with the text kept as typed, never a 500.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from studyapp.db import freeze_clock
from tests.factories import csrf_token

pytestmark = pytest.mark.both_engines  # time zones in timestamps

VENDORED = {
    "/static/vendor/flatpickr/flatpickr.min.js": "javascript",
    "/static/vendor/flatpickr/flatpickr.min.css": "text/css",
    "/static/vendor/flatpickr/l10n/zh.js": "javascript",
}


@pytest.fixture(autouse=True)
def _today(app):
    freeze_clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


def date_input(page: str, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
    assert match, f"no input named {name}"
    return match.group(0)


def field_block(page: str, name: str) -> str:
    """The field's <div class="field">: its label, input, hint and errors."""
    start = page.index(f'name="{name}"')
    start = page.rindex('<div class="field', 0, start)
    return page[start : page.index("</div>", start)]


def screen(client, screening_date: str):
    token = csrf_token(client.get("/subjects/screen").get_data(as_text=True))
    return client.post(
        "/subjects/screen",
        data={
            "csrf_token": token,
            "screening_date": screening_date,
            "sex": "F",
            "age_years": "41",
            "birth_year": "",
            "initials": "",
        },
    )


def test_date_fields_are_text_boxes_the_picker_enhances(client, users, auth):
    auth.login("crc.user")
    page = client.get("/subjects/screen").get_data(as_text=True)
    box = date_input(page, "screening_date")
    assert 'type="text"' in box
    assert "data-datepicker" in box
    assert 'placeholder="YYYY-MM-DD"' in box
    assert 'inputmode="numeric"' in box
    assert 'maxlength="10"' in box
    assert 'value="2026-03-02"' in box
    # The picker and its stylesheet come from this server, before the app's own script.
    assert page.index("vendor/flatpickr/flatpickr.min.js") < page.index("js/app.js")
    assert "vendor/flatpickr/flatpickr.min.css" in page
    assert "l10n/zh.js" not in page  # the Chinese calendar only for Chinese pages


def test_chinese_pages_load_the_chinese_calendar(client, users, auth):
    auth.login("crc.user")
    token = csrf_token(client.get("/subjects/screen").get_data(as_text=True))
    client.post("/language", data={"csrf_token": token, "locale": "zh_Hans", "next": "/"})
    page = client.get("/subjects/screen").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert page.index("flatpickr.min.js") < page.index("l10n/zh.js") < page.index("js/app.js")


@pytest.mark.parametrize("path", sorted(VENDORED))
def test_vendored_picker_files_are_served(client, path):
    response = client.get(path)
    try:
        assert response.status_code == 200
        assert VENDORED[path] in response.content_type
        assert len(response.get_data()) > 1000
    finally:
        response.close()  # a file response: close it, as a server would


def test_impossible_date_gets_a_message_and_keeps_the_text(client, users, auth):
    auth.login("crc.user")
    response = screen(client, "2026-02-30")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    block = unescape(field_block(page, "screening_date"))
    assert "2026-02-30 is not a date of the calendar." in block
    assert 'value="2026-02-30"' in date_input(page, "screening_date")
    assert 'aria-invalid="true"' in date_input(page, "screening_date")


def test_day_first_date_gets_the_format_message(client, users, auth):
    auth.login("crc.user")
    response = screen(client, "14/03/2026")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Type the date as YYYY-MM-DD, e.g. 2026-03-14." in unescape(
        field_block(page, "screening_date")
    )
    assert 'value="14/03/2026"' in date_input(page, "screening_date")


def test_a_good_date_still_registers(client, users, auth):
    auth.login("crc.user")
    response = screen(client, "2026-03-02")
    assert response.status_code == 302


@pytest.mark.parametrize("bad", ["2026-02-30", "14/03/2026", "March", "2026-3-4", "９９９９-01-01"])
def test_audit_filter_with_a_bad_date_is_a_client_error(client, users, auth, bad):
    auth.login("mon.user")
    response = client.get("/audit/", query_string={"date_from": bad})
    assert 400 <= response.status_code < 500
    page = response.get_data(as_text=True)
    assert "data-datepicker" in date_input(page, "date_from")
    assert '<ul class="errors"' in field_block(page, "date_from")
