"""Set-up and reset codes reach only the account holder (P11-17, SEC-13, P11-05, GCP-04).

A local SMTP server (aiosmtpd) started by the tests receives what the app sends.
"""

from __future__ import annotations

import email
import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.transaction import transaction
from tests.factories import PASSWORD, csrf_token, make_user

CODE_RE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
NEW = "quiet harbour lantern morning"
T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def codes_for(self, address: str) -> list[str]:
        return [
            CODE_RE.search(message.get_content()).group(0)
            for rcpts, message in self.messages
            if rcpts == [address]
        ]


@pytest.fixture
def inbox(app: Any) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, and the app configured to send through it."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_USE_TLS=False,
        MAIL_USE_STARTTLS=False,
        MAIL_FROM="studyapp <noreply@example.org>",
    )
    yield handler
    controller.stop()


def edit_token(client: Any, user_id: int) -> str:
    return csrf_token(client.get(f"/admin/users/{user_id}").get_data(as_text=True))


def issue(client: Any, user_id: int, reason: str = "forgot password") -> Any:
    token = edit_token(client, user_id)
    return client.post(
        f"/admin/users/{user_id}/reset-code", data={"csrf_token": token, "reason": reason}
    )


def use_code(auth: Any, code: str, password: str = NEW, username: str = "inv.user") -> Any:
    return auth.post(
        "/reset", {"username": username, "code": code, "new": password, "confirm": password}
    )


def shown_code(page: str) -> str:
    match = re.search(r'data-testid="setup-code">([^<]+)<', page)
    assert match, "no code on the page"
    return match.group(1).strip()


def audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.mark.req("P11-17")
def test_with_mail_the_code_goes_only_to_the_holder_and_never_to_the_page(
    inbox, client, users, auth
):
    auth.login("dm.user")
    response = issue(client, users["investigator"].id)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A code was sent to i***@example.org" in page
    assert 'data-testid="setup-code"' not in page
    assert [rcpts for rcpts, _ in inbox.messages] == [["inv.user@example.org"]]
    (code,) = inbox.codes_for("inv.user@example.org")
    assert code not in page
    assert not CODE_RE.search(page)
    assert audit("reset_code_issued")[0].new_value == "e-mail to i***@example.org"
    auth.logout()
    assert use_code(auth, code).status_code == 302
    assert auth.login("inv.user", NEW).status_code == 302


@pytest.mark.req("P11-17")
def test_a_mailed_code_works_once_expires_and_is_voided_by_a_newer_one(
    app, inbox, client, users, auth
):
    from studyapp.auth import admin

    assert app.config["RESET_CODE_HOURS"] <= 24
    dm, inv = users["data_manager"], users["investigator"]
    freeze_clock(T0)
    with transaction():
        older = admin.issue_reset_code(dm, inv.id, "forgotten")
        newer = admin.issue_reset_code(dm, inv.id, "forgotten again")
    assert older.code is None
    assert newer.code is None
    first, second = inbox.codes_for("inv.user@example.org")
    assert first != second
    assert use_code(auth, first).status_code == 401  # voided by the newer code
    assert use_code(auth, second).status_code == 302
    assert use_code(auth, second, "another fine long passphrase").status_code == 401  # used
    with transaction():
        admin.issue_reset_code(dm, inv.id, "third time")
    third = inbox.codes_for("inv.user@example.org")[-1]
    freeze_clock(T0 + timedelta(hours=app.config["RESET_CODE_HOURS"], minutes=1))
    assert use_code(auth, third, "another fine long passphrase").status_code == 401  # expired
    assert auth.login("inv.user", NEW).status_code == 302


@pytest.mark.req("P11-17", "GCP-04")
def test_with_mail_a_new_account_needs_an_address_and_gets_its_code_by_mail(
    inbox, client, users, auth
):
    auth.login("dm.user")
    fields = {
        "username": "dr.lin",
        "full_name": "Dr Lin Tao",
        "email": "",
        "role": "investigator",
        "identity_verification": "staff card seen in person",
    }
    missing = auth.post("/admin/users/new", fields)
    assert missing.status_code == 422
    assert "the set-up code is sent to this address" in missing.get_data(as_text=True)
    bad = auth.post("/admin/users/new", {**fields, "email": "lin@x.org\nBcc: dm@x.org"})
    assert bad.status_code == 422
    assert "Give one e-mail address" in bad.get_data(as_text=True)
    assert inbox.messages == []
    made = auth.post("/admin/users/new", {**fields, "email": "lin.tao@hospital.example"})
    page = made.get_data(as_text=True)
    assert made.status_code == 200
    assert "A code was sent to l***@hospital.example" in page
    (code,) = inbox.codes_for("lin.tao@hospital.example")
    assert code not in page
    auth.logout()
    assert use_code(auth, code, username="dr.lin").status_code == 302


@pytest.mark.req("P11-17")
def test_smtp_down_says_so_and_leaves_no_code_that_nobody_received(app, client, users, auth):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_STARTTLS=False)
    auth.login("dm.user")
    target = users["investigator"].id
    response = issue(client, target)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The code could not be sent" in page
    assert "No code was issued" in page
    db.session.expire_all()
    user = db.session.get(User, target)
    assert user.reset_code_hash is None
    assert user.reset_code_issued_by_id is None
    assert audit("reset_code_issued") == []
    (failed,) = audit("code_mail_failed")
    assert (failed.username, failed.new_value) == ("dm.user", "inv.user")
    fields = {
        "username": "dr.lin",
        "full_name": "Dr Lin Tao",
        "email": "lin.tao@hospital.example",
        "role": "investigator",
        "identity_verification": "staff card seen in person",
    }
    refused = auth.post("/admin/users/new", fields)
    assert refused.status_code == 503
    assert "The code could not be sent" in refused.get_data(as_text=True)
    assert 'value="Dr Lin Tao"' in refused.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "dr.lin")) is None
    db.session.expire_all()
    assert len(audit("code_mail_failed")) == 2  # kept although the answer is 503


@pytest.mark.req("P11-17", "SEC-13")
def test_without_mail_the_code_is_shown_once_and_the_issuer_is_recorded(
    app, client, users, auth, caplog
):
    assert not app.config["MAIL_SERVER"]
    auth.login("dm.user")
    target = users["investigator"].id
    with caplog.at_level(logging.WARNING, logger="studyapp.security"):
        response = issue(client, target)
    page = response.get_data(as_text=True)
    assert "No mail server is configured" in page
    code = shown_code(page)
    assert response.headers["Cache-Control"] == "no-store"
    (row,) = audit("reset_code_issued")
    assert (row.username, row.role, row.row_id) == ("dm.user", "data_manager", str(target))
    assert "no mail server" in row.new_value
    logged = [r.getMessage() for r in caplog.records if "reset_code_issued" in r.getMessage()]
    assert logged
    assert "by=dm.user" in logged[0]
    assert "delivery=in_person" in logged[0]
    assert code not in caplog.text
    assert code not in client.get(f"/admin/users/{target}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target).reset_code_issued_by_id == users["data_manager"].id


@pytest.mark.req("P11-17")
def test_the_user_is_told_who_issued_the_code_at_sign_in_and_on_the_account_page(
    client, users, auth
):
    freeze_clock(T0)
    auth.login("dm.user")
    code = shown_code(issue(client, users["investigator"].id).get_data(as_text=True))
    auth.logout()
    assert use_code(auth, code).status_code == 302
    told = "Your password was set with a code issued by Dm User on 2026-05-04 09:00 (+08:00)"
    signed_in = auth.login("inv.user", NEW)
    assert told in client.get(signed_in.headers["Location"]).get_data(as_text=True)
    account = client.get("/account/password").get_data(as_text=True)
    assert told in account
    auth.logout()
    auth.login("inv.user", NEW)
    assert told not in client.get("/").get_data(as_text=True)  # the flash comes once
    assert told in client.get("/account/password").get_data(as_text=True)  # the line stays
    changed = auth.post(
        "/account/password", {"current": NEW, "new": PASSWORD + " x", "confirm": PASSWORD + " x"}
    )
    assert changed.status_code == 302
    assert "issued by" not in client.get("/account/password").get_data(as_text=True)


def _password_rows(user: User, after: int) -> list[AuditLog]:
    rows = db.session.scalars(
        select(AuditLog).where(
            AuditLog.seq > after, AuditLog.table_name == "user", AuditLog.row_id == str(user.id)
        )
    )
    return [r for r in rows if r.field == "password_hash" or r.action == "password_changed"]


def _head() -> int:
    return db.session.scalar(select(db.func.max(AuditLog.seq))) or 0


@pytest.mark.req("P11-05", "P11-17")
def test_every_password_change_is_audited_under_the_account_and_its_role(client, users, auth):
    inv = users["investigator"]
    auth.login("dm.user")
    code = shown_code(issue(client, inv.id).get_data(as_text=True))
    auth.logout()
    before = _head()
    assert use_code(auth, code).status_code == 302  # nobody signed in
    by_code = _password_rows(inv, before)
    assert {r.action for r in by_code} == {"update", "password_changed"}
    assert {(r.user_id, r.username, r.role) for r in by_code} == {
        (inv.id, "inv.user", "investigator")
    }
    auth.login("inv.user", NEW)
    before = _head()
    own = auth.post("/account/password", {"current": NEW, "new": NEW + " x", "confirm": NEW + " x"})
    assert own.status_code == 302
    rows = _password_rows(inv, before)
    assert rows
    assert {(r.username, r.role) for r in rows} == {("inv.user", "investigator")}
    auth.logout()
    first = make_user("new.crc", "coordinator", must_change_password=True)
    auth.login("new.crc")
    before = _head()
    forced = auth.post("/account/password", {"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert forced.status_code == 302
    rows = _password_rows(first, before)
    assert rows
    assert {(r.username, r.role) for r in rows} == {("new.crc", "coordinator")}
