"""Odd input to every form with number or date fields and every numeric query parameter:
huge integers, non-finite decimals, whitespace dates, non-ASCII digits, NUL in paths and
bodies that are not UTF-8. Never a 5xx; a number or date field answers 4xx with a message
next to it and keeps what was typed (REL-07). Runs on every engine of the ``client`` fixture.
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.safety import sae
from studyapp.transaction import transaction
from tests import factories
from tests.factories import csrf_token

pytestmark = pytest.mark.both_engines  # column lengths, numeric ranges and odd characters

DAY1 = date(2026, 3, 2)
HUGE = "9" * 400
#: What a careless client or an attacker types into a number or date box; each is refused.
ODD = (
    HUGE,
    "-" + HUGE,
    "1" + "0" * 30,
    "sNaN",
    "NaN",
    "Infinity",
    "-inf",
    "1e999999",
    "²",
    "１２",
    "٣",
    "1_000",
)
#: Blank means nothing typed: "required" or empty, never an error page.
BLANK = ("   ", "\t")


class FormParser(HTMLParser):
    """Every POST form of a page: its action and its fields as the browser would send them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get")}
                | {"fields": {}, "typed": set(), "tags": {}}
            )
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1]["fields"][self._select] = a.get("value", "")
        elif self.forms and a.get("name"):
            self.forms[-1]["tags"].setdefault(a["name"], a)
            self._field(self.forms[-1], tag, a["name"], a)

    def _field(self, form: dict[str, Any], tag: str, name: str, a: dict[str, str]) -> None:
        kind = a.get("type", "text")
        if tag == "select":
            self._select = name
            form["fields"].setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            form["fields"][name] = ""
        elif tag != "input" or kind == "submit":
            return
        elif kind in ("checkbox", "radio"):
            if "checked" in a:
                form["fields"][name] = a.get("value", "y")
            form["fields"].setdefault(name, "")
        else:
            form["fields"][name] = a.get("value", "")
            if kind in ("number", "time") or name.endswith("_date") or "inputmode" in a:
                form["typed"].add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def post_forms(html: str, path: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(html)
    found = []
    for form in parser.forms:
        if form["method"].lower() != "post" or "csrf_token" not in form["fields"]:
            continue
        action = htmllib.unescape(form["action"]) or path
        if action.startswith("/language") or action.startswith("/logout"):
            continue
        found.append({**form, "action": action})
    return found


@pytest.fixture
def pages(app, users):
    """Every form page with number or date fields, each with a stored record where it can
    have one (so the other fields are valid and the services run), keyed by a short name."""
    inv = users["investigator"]
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    screened = factories.screen_subject(inv, screened=date(2026, 3, 1)).id
    consented = factories.consent(inv, factories.screen_subject(inv, screened=date(2026, 3, 1))).id
    eligible = factories.make_eligible(inv, screened=date(2026, 3, 1)).id
    signed = factories.make_signed(inv, screened=date(2026, 3, 1)).id
    subject = factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15: CBC, CHEM, VS, dose
    factories.save_cbc(inv, subject, "3", date(2026, 3, 16), PLAT=15)
    factories.give_dose(inv, subject, "3", date(2026, 3, 16))
    mild = factories.record_ae(inv, subject).id
    grave = factories.record_ae(inv, subject, **SERIOUS)
    with acting_as(inv), transaction():
        found = sae.sae_of(inv, subject.id, grave.id)
        report = sae.save_report(inv, found, kind="SAE", narrative="Admitted.").id
    s, v, ae = (
        subject.id,
        f"/subjects/{subject.id}/visits/3",
        f"/subjects/{subject.id}/adverse-events",
    )
    return {
        "screen": (
            "/subjects/screen",
            {"screening_date": "2026-03-16", "sex": "F", "age_years": "45"},
        ),
        "consent": (f"/subjects/{screened}/consent", {}),
        "screening-data": (f"/subjects/{consented}/screening-data", {}),
        "screening-data-saved": (f"/subjects/{eligible}/screening-data", {}),
        "therapies": (f"/subjects/{eligible}/therapies", THERAPY),
        "enrol": (f"/subjects/{signed}/enrol", {"day1": "2026-03-20"}),
        "disposition": (f"/subjects/{s}/disposition", {"decod": "COMPLETED", "reason": "done"}),
        "vitals": (f"{v}/vitals", {}),
        "labs-cbc": (f"{v}/labs/CBC", {}),
        "labs-chem": (f"{v}/labs/CHEM", {}),
        "bleeding": (f"{v}/bleeding", {}),
        "dose": (f"{v}/dose", {}),
        "medications": (f"{v}/medications", {}),
        "unscheduled": (f"/subjects/{s}/visits/unscheduled", {}),
        "ae-new": (f"{ae}/new", NEW_AE),
        "ae-edit": (f"{ae}/{mild}", {}),
        "sae-report": (f"{ae}/{grave.id}/sae/reports/{report}", {}),
    }


SERIOUS = {
    "aeterm": "pneumonia",
    "ctcae_term": "Lung infection",
    "grade": 3,
    "serious": True,
    "criteria": {"aeshosp"},
    "aware_at": datetime(2026, 3, 15, 2, 0, tzinfo=UTC),
    "relatedness": "unlikely",
}
THERAPY = {
    "category": "corticosteroid",
    "name": "prednisone",
    "start_date": "2024-01",
    "stop_date": "2024-03",
    "best_response": "NR",
    "reason_stopped": "NO RESPONSE",
}
NEW_AE = {
    "aeterm": "Headache",
    "ctcae_term": "Headache",
    "start_date": "2026-03-09",
    "grade": "2",
    "serious": "no",
    "relatedness": "possibly",
    "aeacn": "DOSE NOT CHANGED",
    "aeout": "NOT RECOVERED/NOT RESOLVED",
    "ongoing": "y",
}


def _tags(html: str, path: str, action: str) -> dict[str, dict[str, str]]:
    """The fields of the answered page's form posting to *action*, by name (parsed once)."""
    for form in post_forms(html, path):
        if form["action"] == action:
            return form["tags"]  # type: ignore[no-any-return]
    raise AssertionError(f"the form posting to {action} is not on the page any more")


def _rotated(names: list[str], values: tuple[str, ...], each: int) -> list[tuple[str, str]]:
    """*each* of *values* per field, rotated from field to field so that every value is sent
    to some field of the form: (name, value) pairs."""
    return [
        (name, values[(i + k) % len(values)])
        for i, name in enumerate(names)
        for k in range(min(each, len(values)))
    ]


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    "key",
    [
        "screen", "consent", "screening-data", "screening-data-saved", "therapies",
        "enrol", "disposition", "vitals", "labs-cbc", "labs-chem", "bleeding",
        "dose", "medications", "unscheduled", "ae-new", "ae-edit", "sae-report",
    ],
)  # fmt: skip
def test_odd_numbers_and_dates_get_a_field_message_never_a_server_error(client, auth, pages, key):
    path, base = pages[key]
    auth.login("inv.user")
    page = client.get(path)
    assert page.status_code == 200, path
    forms = post_forms(page.get_data(as_text=True), path)
    tried = 0
    for form in forms:
        fields = {**form["fields"], **base}
        typed = sorted(form["typed"])
        # Every typed field gets every odd value, all fields at once, rotated so that each
        # post pairs different values: never a 5xx, and each field keeps what was typed.
        for turn in range(len(ODD) if typed else 0):
            sent = {name: ODD[(turn + i) % len(ODD)] for i, name in enumerate(typed)}
            response = client.post(form["action"], data={**fields, **sent})
            tried += 1
            assert 400 <= response.status_code < 500, (path, sent)
            html = response.get_data(as_text=True)
            tags = _tags(html, path, form["action"])
            for name, value in sent.items():
                assert tags[name].get("value") == value, (path, name)
            assert 'aria-invalid="true"' in html, (path, sent)
        # Each alone, the rest of the form valid so the services run and the value reaches
        # the database: the message is next to the field (dates a service parses are checked
        # once the rest is valid). Two kinds per field (too large, NaN, digits that are not
        # ASCII, signalling NaN), rotated so each kind reaches half the fields; every field
        # met every odd value in the turns above.
        for name, value in _rotated(typed, (HUGE, "NaN", "１２", "sNaN"), each=2):
            response = client.post(form["action"], data={**fields, name: value})
            tried += 1
            assert 400 <= response.status_code < 500, (path, name, value)
            html = response.get_data(as_text=True)
            tag = _tags(html, path, form["action"])[name]
            assert tag.get("aria-invalid") == "true", (path, name, value)
            assert tag.get("value") == value, (path, name, value)
            assert f'id="{tag["id"]}-error"' in html, (path, name, value)
        # The other fields (choices, text, versions) and blanks in the typed ones: two odd
        # values per field and one blank, rotated so every value meets some field.
        others = sorted(set(fields) - form["typed"] - {"csrf_token"})
        odd = _rotated(others, (HUGE, "sNaN", "１２", "   "), each=2)
        blanks = _rotated(sorted(form["typed"]), BLANK, each=1)
        for name, value in [*odd, *blanks]:
            response = client.post(form["action"], data={**fields, name: value})
            tried += 1
            assert response.status_code < 500, (path, name, value)
    assert tried, f"{path} has no number, date or version field"


@pytest.fixture
def enrolled(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))
    return subject.id


@pytest.mark.req("REL-07", "SEC-09")  # the subject list's sort column is an allowlist
def test_odd_numbers_in_query_strings_are_never_a_server_error(client, auth, enrolled):
    v = f"/subjects/{enrolled}/visits/3"
    queries = {
        f"/subjects/{enrolled}/adverse-events/new": ("dose", "result"),
        "/safety/": ("subject", "min_grade"),
        f"{v}/labs/CBC/preview": ("value", "on"),
        f"{v}/dose": ("part",),
        "/subjects/": ("phase", "sort"),
    }
    auth.login("inv.user")
    for path, names in queries.items():
        for name in names:
            for value in (*ODD, *BLANK, "0", "-1", "2147483648"):
                query = {"testcd": "PLAT", "value": "15", name: value}
                response = client.get(path, query_string=query)
                assert response.status_code < 500, (path, name, value)
    filtered = client.get("/safety/", query_string={"subject": "²", "min_grade": "１２"})
    assert filtered.status_code == 200  # a filter that cannot be read is not applied


@pytest.mark.req("REL-07")
@pytest.mark.parametrize("name", ["subject_id", "page", "date_from", "date_to"])
def test_odd_numbers_in_the_audit_filter_are_never_a_server_error(client, auth, users, name):
    auth.login("mon.user")
    for value in (*ODD, *BLANK):
        response = client.get("/audit/", query_string={name: value})
        assert response.status_code in (200, 400), (name, value)
        if name == "subject_id" and value.strip():
            assert 'id="subject_id-error"' in response.get_data(as_text=True), value


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    "path",
    [
        "/subjects/%00",
        "/subjects/1/visits/%00/vitals",
        "/subjects/1/visits/3%0A/vitals",
        "/audit/history/subjects/%00/status",
        "/audit/history/subjects/1/%1B",
        "/static/%7F",
    ],
)
def test_control_characters_in_the_address_are_refused_with_400(client, auth, users, path):
    assert client.get(path).status_code == 400  # signed out, too
    auth.login("mon.user")
    response = client.get(path)
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    "body", [b"username=\xff\xfe&password=x", b"username=%FF%FE&password=x", b"username=caf\xe9"]
)
def test_a_body_that_is_not_utf8_is_refused_as_such(client, body):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data=b"csrf_token=" + token.encode() + b"&" + body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not valid UTF-8" in page
    assert "form expired" not in page


@pytest.mark.req("REL-07")
def test_utf8_text_passes_the_check(client, users):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    typed = "用户名 ü+%"
    response = client.post(
        "/login", data={"csrf_token": token, "username": typed, "password": typed}
    )
    assert response.status_code == 401  # the ordinary wrong sign-in, not a refusal
    assert "UTF-8" not in response.get_data(as_text=True)
    assert client.get("/login", query_string={"next": "/subjects/?q=张"}).status_code == 200


@pytest.mark.req("REL-07", "GCP-04")
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123.DEF_4", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("<script>alert(1)</script>", False),
        ("a b", False),
        ("id;DROP TABLE", False),
        ("", False),
    ],
)
def test_a_client_request_id_is_kept_only_when_it_is_a_plain_token(
    client, users, auth, given, kept
):
    token = auth.token()
    client.post(
        "/login",
        data={"csrf_token": token, "username": "inv.user", "password": factories.PASSWORD},
        headers={"X-Request-ID": given},
    )
    (login,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "login"))
    if kept:
        assert login.request_id == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", login.request_id), login.request_id


@pytest.mark.req("REL-07")
def test_an_odd_version_of_a_user_account_is_refused_not_overflowed(client, users, auth):
    auth.login("dm.user")
    path = f"/admin/users/{users['investigator'].id}"
    (form,) = [
        f
        for f in post_forms(client.get(path).get_data(as_text=True), path)
        if "version" in f["fields"]
    ]
    for value in ODD:
        data = {**form["fields"], "version": value, "reason": "typo in the name"}
        response = client.post(form["action"], data=data)
        assert 400 <= response.status_code < 500, value
