"""Sign-in, lockout, second factor, sessions, passwords and codes (SEC-01..05, P11-17)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.transaction import transaction
from tests.factories import PASSWORD, csrf_token, make_user, totp_now

GENERIC = "Sign-in failed"
T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


def events(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.mark.req("SEC-05", "GCP-04")
def test_login_starts_a_new_session_and_is_audited(client, users, auth):
    with client.session_transaction() as sess:
        sess["planted"] = "attacker value"
    response = auth.login("inv.user")
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"{users['investigator'].id}:0"
    (login,) = events("login")
    assert login.user_id == users["investigator"].id
    assert login.client.startswith("127.0.0.1")
    assert login.request_id


@pytest.mark.req("SEC-04", "GCP-04")
def test_wrong_password_and_unknown_user_get_the_same_message(client, users, auth):
    wrong = auth.login("inv.user", "not the password at all")
    unknown = auth.login("nobody.here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.get_data(as_text=True)
    assert GENERIC in unknown.get_data(as_text=True)
    assert len(events("login_failed")) == 2


@pytest.mark.req("SEC-04", "SEC-13")
def test_fifth_failure_locks_and_sixth_try_is_refused_even_with_the_password(
    app, client, users, auth, caplog
):
    freeze_clock(T0)
    caplog.set_level(logging.WARNING, logger="studyapp.security")
    for _ in range(5):
        assert auth.login("inv.user", "wrong password number x").status_code == 401
    user = db.session.get(User, users["investigator"].id)
    db.session.refresh(user)
    assert user.locked_until == T0 + timedelta(minutes=15)
    refused = auth.login("inv.user", PASSWORD)
    assert refused.status_code == 401
    assert GENERIC in refused.get_data(as_text=True)
    assert len(events("lockout")) == 1
    assert "lockout" in caplog.text
    assert PASSWORD not in caplog.text
    assert "wrong password number x" not in caplog.text
    freeze_clock(T0 + timedelta(minutes=16))
    assert auth.login("inv.user", PASSWORD).status_code == 302


@pytest.mark.req("SEC-04")
def test_each_later_lock_is_longer(app, client, users, auth):
    freeze_clock(T0)
    for _ in range(5):
        auth.login("inv.user", "wrong password number x")
    freeze_clock(T0 + timedelta(minutes=16))
    for _ in range(5):
        auth.login("inv.user", "wrong password number x")
    user = db.session.get(User, users["investigator"].id)
    db.session.refresh(user)
    assert user.locked_until == T0 + timedelta(minutes=16 + 30)


@pytest.mark.req("SEC-05")
@pytest.mark.parametrize(
    ("steps", "expired"),
    [
        ([14], False),
        ([16], True),
        ([14, 14, 14], False),
        ([14] * 52, True),  # 12 h 8 min after sign-in, though never idle 15 minutes
    ],
    ids=["idle-14", "idle-16", "active", "absolute-12h"],
)
def test_idle_and_absolute_timeouts(app, client, users, auth, steps, expired):
    freeze_clock(T0)
    auth.login("inv.user")
    now = T0
    response = None
    for minutes in steps:
        now += timedelta(minutes=minutes)
        freeze_clock(now)
        response = client.get("/")
        if response.status_code != 200:
            break
    assert (response.status_code == 302 and "/login" in response.headers["Location"]) is expired


@pytest.mark.req("SEC-05", "GCP-05")
def test_logout_ends_the_session_and_an_old_cookie_is_rejected(app, client, users, auth):
    auth.login("inv.user")
    with client.session_transaction() as sess:
        stolen = dict(sess)
    auth.logout()
    with client.session_transaction() as sess:
        sess.update(stolen)
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert len(events("logout")) == 1


@pytest.mark.req("SEC-03")
def test_data_manager_cannot_sign_in_without_the_code(client, users, auth):
    first = client.post(
        "/login", data={"csrf_token": auth.token(), "username": "dm.user", "password": PASSWORD}
    )
    assert first.headers["Location"].endswith("/login/code")
    assert client.get("/admin/users/").status_code == 302  # not signed in yet
    page = client.get("/login/code").get_data(as_text=True)
    bad = client.post("/login/code", data={"csrf_token": csrf_token(page), "code": "000000"})
    assert bad.status_code == 401
    assert client.get("/admin/users/").status_code == 302
    assert auth.login("dm.user").status_code == 302
    assert client.get("/admin/users/").status_code == 200


@pytest.mark.req("SEC-03")
def test_a_totp_code_cannot_be_replayed(app, client, users, auth):
    freeze_clock(T0)
    code = totp_now()
    assert auth.login("dm.user", code=code).status_code == 302
    auth.logout()
    replayed = auth.login("dm.user", code=code)
    assert replayed.status_code == 401
    assert "This code was already used. Wait for the next code" in replayed.get_data(as_text=True)
    assert events("login_failed")[-1].new_value == "reused TOTP code"
    freeze_clock(T0 + timedelta(seconds=60))  # the next code, on the same page
    page = client.get("/login/code").get_data(as_text=True)
    next_code = {"csrf_token": csrf_token(page), "code": totp_now()}
    assert client.post("/login/code", data=next_code).status_code == 302


@pytest.mark.req("SEC-03")
def test_data_manager_without_totp_must_enrol_before_anything_else(app, client, auth):
    make_user("dm.new", "data_manager", totp=False)
    auth.login("dm.new")
    assert client.get("/admin/users/").headers["Location"].endswith("/account/second-factor")
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" not in page  # a GET changes nothing; enrolment starts with a POST
    started = client.post(
        "/account/second-factor", data={"csrf_token": csrf_token(page), "action": "start"}
    )
    assert started.status_code == 302
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" in page
    user = db.session.scalar(select(User).where(User.username == "dm.new"))
    db.session.refresh(user)
    bad = client.post(
        "/account/second-factor", data={"csrf_token": csrf_token(page), "code": "123456"}
    )
    assert bad.status_code == 422
    good = client.post(
        "/account/second-factor",
        data={"csrf_token": csrf_token(page), "code": totp_now(user.totp_secret)},
    )
    assert good.status_code == 302
    assert client.get("/admin/users/").status_code == 200


@pytest.mark.req("SEC-01")
def test_hashes_are_argon2id_and_old_parameters_are_rehashed_at_login(client, auth):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    user = make_user("old.hash")
    user.password_hash = weak.hash(PASSWORD)
    from studyapp.audit import set_reason

    set_reason("test set-up")
    db.session.commit()
    assert auth.login("old.hash").status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert "m=8," not in user.password_hash


@pytest.mark.req("SEC-02")
def test_new_account_must_change_its_password_first(client, auth):
    make_user("new.user", must_change_password=True)
    auth.login("new.user")
    assert client.get("/").headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    short = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": PASSWORD,
            "new": "short one",
            "confirm": "short one",
        },
    )
    assert short.status_code == 422
    body = short.get_data(as_text=True)
    assert "at least 15 characters" in body
    assert 'value="short one"' not in body  # passwords are never echoed back
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": PASSWORD,
            "new": "plum tractor velvet window",
            "confirm": "plum tractor velvet window",
        },
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.req("P11-17")
def test_reset_code_works_once_and_expires(app, client, users, auth):
    from studyapp.auth import admin

    freeze_clock(T0)
    with transaction():
        issued = admin.issue_reset_code(
            users["data_manager"], users["investigator"].id, "forgotten"
        )
    code = issued.code
    new = "quiet harbour lantern morning"

    def use(code_: str, password: str = new):
        return auth.post(
            "/reset",
            {"username": "inv.user", "code": code_, "new": password, "confirm": password},
        )

    assert use(code).status_code == 302
    assert auth.login("inv.user", new).status_code == 302
    auth.logout()
    assert use(code, "another fine long passphrase").status_code == 401  # single use
    later = admin.issue_reset_code(users["data_manager"], users["investigator"].id, "again").code
    freeze_clock(T0 + timedelta(hours=25))  # RESET_CODE_HOURS is 24
    assert use(later, "another fine long passphrase").status_code == 401  # expired
    user = db.session.get(User, users["investigator"].id)
    assert code not in (user.reset_code_hash or "")


@pytest.mark.req("P11-17")
def test_the_data_manager_never_sees_a_password(client, users, auth):
    auth.login("dm.user")
    page = auth.post(
        "/admin/users/new",
        {
            "username": "new.inv",
            "full_name": "Dr New",
            "email": "",
            "role": "investigator",
            "identity_verification": "hospital badge checked in person",
        },
    ).get_data(as_text=True)
    assert "single-use code" in page
    user = db.session.scalar(select(User).where(User.username == "new.inv"))
    assert user.password_hash is None
    listing = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "argon2" not in listing
    assert 'type="password"' not in listing
