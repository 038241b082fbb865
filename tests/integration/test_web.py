"""The web shell: headers, CSRF, error pages, language, limits, bad input (SEC, REL-07)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import config
from studyapp import create_app
from studyapp.auth.models import User
from studyapp.extensions import db
from studyapp.permissions import Role
from tests.factories import USERNAMES, csrf_token

DATA_PAGES = ["/", "/audit/", "/admin/users/", "/admin/users/new", "/account/password"]


@pytest.mark.req("SEC-07")
@pytest.mark.parametrize("path", ["/login", "/reset", "/healthz", "/nowhere", *DATA_PAGES])
def test_security_headers_on_every_page(client, users, auth, path):
    auth.login("dm.user")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.req("SEC-07")
def test_hsts_when_configured_or_behind_tls(make_app):
    plain = make_app().test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    tls = make_app(HSTS=True).test_client().get("/login")
    assert tls.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.req("SEC-07")
def test_templates_have_no_inline_script_or_style():
    from pathlib import Path

    for template in Path("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for forbidden in ("<script>", " style=", "<style", "http://", "https://"):  # no CDN
            assert forbidden not in text, (template, forbidden)


@pytest.mark.req("SEC-06")
@pytest.mark.parametrize(
    "path", ["/login", "/logout", "/language", "/admin/users/new", "/account/password"]
)
def test_posts_without_a_csrf_token_are_refused(client, users, auth, path):
    auth.login("dm.user")
    response = client.post(path, data={"username": "x", "locale": "zh_Hans"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


@pytest.mark.req("SEC-06")
def test_no_state_change_on_get(client, users, auth):
    auth.login("inv.user")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


@pytest.mark.req("SEC-14")
def test_error_page_shows_no_traceback(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body
    assert "secret internals" not in body
    assert "Something went wrong" in body


@pytest.mark.req("SEC-14")
@pytest.mark.parametrize("key", [None, config.DEV_SECRET_KEY, "short"])
def test_production_refuses_a_missing_or_default_secret_key(database_url, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig, SECRET_KEY=key, SQLALCHEMY_DATABASE_URI=database_url)


@pytest.mark.req("SEC-05")
def test_production_cookies_are_secure_host_prefixed(database_url):
    app = create_app(
        config.ProductionConfig,
        SECRET_KEY="k" * 40,
        AUDIT_ANCHOR_KEY="a" * 40,
        SQLALCHEMY_DATABASE_URI=database_url,
    )
    response = app.test_client().get("/login", base_url="https://edc.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-studyapp=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"]
    with app.app_context():
        db.engine.dispose()


def test_language_switch_for_visitors_and_users(client, users, auth):
    auth.post("/language", {"locale": "zh_Hans", "next": "/login"}, page="/login")
    assert "登录" in client.get("/login").get_data(as_text=True)
    auth.login("inv.user")
    page = client.get("/").get_data(as_text=True)
    assert "退出登录" in page
    assert db.session.get(User, users["investigator"].id).locale == "zh_Hans"
    auth.post("/language", {"locale": "en", "next": "/"}, page="/")
    assert "Sign out" in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users["investigator"].id).locale == "en"


def test_language_follows_the_browser_until_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert 'lang="zh-Hans"' in page.get_data(as_text=True)


def test_language_switch_ignores_offsite_next(client, auth):
    response = auth.post(
        "/language", {"locale": "en", "next": "https://evil.example/"}, page="/login"
    )
    assert response.headers["Location"] == "/login" or "evil" not in response.headers["Location"]


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_favicon_answers_at_the_root_and_is_linked_from_every_page(client):
    with client.get("/favicon.ico") as icon:
        assert (icon.status_code, icon.mimetype) == (200, "image/vnd.microsoft.icon")
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


@pytest.mark.req("SEC-12")
def test_login_is_rate_limited_per_address(make_app):
    client = make_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    page = client.get("/login").get_data(as_text=True)
    statuses = [
        client.post(
            "/login", data={"csrf_token": csrf_token(page), "username": "x", "password": "y"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429
    limited = client.post("/login", data={"csrf_token": csrf_token(page)})
    assert limited.headers.get("Retry-After")


@pytest.mark.req("REL-07")
def test_nul_characters_are_refused_with_400(client):
    assert client.get("/login", query_string={"next": "a\x00b"}).status_code == 400
    assert client.post("/login", data={"username": "a\x00"}).status_code == 400


@pytest.mark.req("REL-07")
def test_huge_numbers_in_urls_and_filters_are_not_errors(client, users, auth):
    auth.login("dm.user")
    assert client.get("/admin/users/99999999999999999999").status_code == 404
    huge = {"subject_id": "99999999999999999999", "page": "99999999999999999999"}
    assert client.get("/audit/", query_string=huge).status_code == 400
    assert client.get("/audit/", query_string={"page": "99999999999999999999"}).status_code == 200


@pytest.mark.req("REL-07")
def test_oversized_bodies_are_refused(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post("/login", data={"username": "x" * 5000})
    assert response.status_code == 413


text = st.text(max_size=300)


@pytest.mark.req("REL-07")
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=text, password=text, code=text)
def test_any_input_to_the_public_forms_never_gives_500(client, username, password, code):
    page = client.get("/reset").get_data(as_text=True)
    token = csrf_token(page)
    for path, data in (
        ("/login", {"username": username, "password": password}),
        ("/reset", {"username": username, "code": code, "new": password, "confirm": password}),
    ):
        assert client.post(path, data={"csrf_token": token, **data}).status_code < 500


@pytest.mark.req("REL-07")
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "subject_id",
                "table_name",
                "row_id",
                "field",
                "username",
                "date_from",
                "date_to",
                "page",
            ]
        ),
        text,
        max_size=5,
    )
)
def test_any_audit_filter_never_gives_500(client, users, auth, params):
    if client.get("/audit/").status_code != 200:
        auth.login(USERNAMES[Role.MONITOR])
    assert client.get("/audit/", query_string=params).status_code in (200, 400)


def _redis_up() -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.req("SEC-12")
def test_login_limit_is_shared_by_nodes_through_redis(make_app):
    if not _redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import uuid

    settings = {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "LOGIN_RATE_LIMIT": "2 per minute",
    }
    node_a, node_b = make_app(**settings).test_client(), make_app(**settings).test_client()
    # a fresh client address per run, so earlier runs' counters in Redis do not count
    address = {"REMOTE_ADDR": f"127.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}

    def attempt(client):
        page = client.get("/login", environ_base=address).get_data(as_text=True)
        data = {"csrf_token": csrf_token(page), "username": "x", "password": "y"}
        return client.post("/login", data=data, environ_base=address).status_code

    assert [attempt(node_a), attempt(node_b)] == [401, 401]
    assert attempt(node_a) == 429
    assert attempt(node_b) == 429
