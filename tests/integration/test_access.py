"""Access control over the whole URL map (P11-04, P11-09) and per-role navigation."""

from __future__ import annotations

import re

import pytest

from tests.factories import USERNAMES

PUBLIC = {
    "auth.login",
    "auth.login_totp",
    "auth.reset_with_code",
    "auth.set_language",
    "main.healthz",
    "main.favicon",
    "static",
}


def concrete(rule) -> str:
    url = re.sub(r"<int(?:\([^)]*\))?:\w+>", "1", rule.rule)
    url = re.sub(r"<any\(([^,)]+)[^)]*\):\w+>", r"\1", url)  # the first allowed value
    return re.sub(r"<[^>]+>", "x", url)


@pytest.mark.req("P11-04")
def test_every_route_but_the_public_ones_needs_sign_in(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = concrete(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            if method == "GET":
                assert response.status_code == 302, (method, url)
                assert "/login" in response.headers["Location"]
            else:  # CSRF (400) or sign-in (401) stops it first; never a 2xx
                assert response.status_code in (400, 401), (method, url)
            checked += 1
    assert checked >= 10


ROLE_PAGES = {
    "/admin/users/": {"data_manager"},
    "/admin/users/new": {"data_manager"},
    "/audit/": {"data_manager", "monitor"},
    "/audit/history/user/1/role": {"data_manager", "monitor"},
}


@pytest.mark.req("P11-09", "SEC-13")
@pytest.mark.parametrize("role", list(USERNAMES))
def test_pages_answer_403_to_roles_without_the_permission(client, users, auth, role, caplog):
    auth.login(USERNAMES[role])
    for path, allowed in ROLE_PAGES.items():
        expected = 200 if role.value in allowed else 403
        assert client.get(path).status_code == expected, (role, path)
    for path in ("/admin/users/1/deactivate", "/admin/users/1/reset-code"):
        response = auth.post(path, {"reason": "test"}, page="/")
        if role.value != "data_manager":
            assert response.status_code == 403
    if role.value != "data_manager":
        assert "forbidden" in caplog.text


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("investigator", [], ["users", "audit"]),
        ("coordinator", [], ["users", "audit"]),
        ("monitor", ["audit"], ["users"]),
        ("data_manager", ["users", "audit"], []),
    ],
)
def test_navigation_follows_the_role(client, users, auth, role, present, absent):
    from studyapp.permissions import Role

    auth.login(USERNAMES[Role(role)])
    page = client.get("/").get_data(as_text=True)
    for nav in present:
        assert f'data-nav="{nav}"' in page
    for nav in absent:
        assert f'data-nav="{nav}"' not in page


def _with_missing_ids(rule) -> str:
    """The rule's address with every id an object that does not exist."""
    url = re.sub(r"<int(?:\([^)]*\))?:\w+>", "2147483000", rule.rule)
    url = re.sub(r"<any\(([^,)]+)[^)]*\):\w+>", r"\1", url)
    return re.sub(r"<(?:string(?:\([^)]*\))?:)?\w+>", "nope", url)


@pytest.mark.req("SEC-08")
@pytest.mark.parametrize("role", list(USERNAMES))
def test_an_id_of_no_object_is_404_or_403_and_shows_no_data(client, users, auth, role):
    """Every page addressed by an id loads it through a checked query: an id that names no
    object (or one the role may not see) answers 404 or 403 (400 for a preview asked without
    its values), never a page or a 5xx."""
    auth.login(USERNAMES[role])
    checked = 0
    for rule in app_rules(client):
        if "GET" not in rule.methods or "<" not in rule.rule or rule.endpoint == "static":
            continue
        url = _with_missing_ids(rule)
        response = client.get(url)
        assert response.status_code in (400, 403, 404), (role, url, response.status_code)
        checked += 1
    assert checked >= 20


def app_rules(client):
    return list(client.application.url_map.iter_rules())
