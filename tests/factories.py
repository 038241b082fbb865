"""Builders for test data: users now; subjects, visits and AEs as features arrive."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from studyapp.audit import acting_as
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.auth.permissions import Role
from studyapp.extensions import db

PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPTESTSECRET"


def make_user(
    username: str,
    role: Role | str = Role.INVESTIGATOR,
    *,
    password: str = PASSWORD,
    totp: bool | None = None,
    **fields: Any,
) -> User:
    role = Role(role)
    totp = role == Role.DATA_MANAGER if totp is None else totp
    user = User(
        username=username,
        full_name=fields.pop("full_name", username.replace(".", " ").title()),
        role=role.value,
        password_hash=passwords.hash_password(password),
        must_change_password=fields.pop("must_change_password", False),
        identity_verification="test fixture",
        totp_secret=TOTP_SECRET if totp else None,
        totp_enabled=totp,
        **fields,
    )
    with acting_as(None):
        db.session.add(user)
        db.session.commit()
    return user


USERNAMES = {
    Role.INVESTIGATOR: "inv.user",
    Role.COORDINATOR: "crc.user",
    Role.MONITOR: "mon.user",
    Role.DATA_MANAGER: "dm.user",
}


def users_per_role() -> dict[str, User]:
    return {role.value: make_user(name, role) for role, name in USERNAMES.items()}


def totp_now(secret: str = TOTP_SECRET) -> str:
    from studyapp.db import utcnow

    return pyotp.TOTP(secret).at(utcnow())


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class AuthActions:
    """Sign in and out through the real pages, CSRF token included."""

    def __init__(self, client: Any):
        self.client = client

    def token(self, path: str = "/login") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def login(self, username: str, password: str = PASSWORD, code: str | None = None) -> Any:
        response = self.client.post(
            "/login",
            data={"csrf_token": self.token(), "username": username, "password": password},
        )
        if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
            page = self.client.get("/login/code").get_data(as_text=True)
            response = self.client.post(
                "/login/code",
                data={"csrf_token": csrf_token(page), "code": code or totp_now()},
            )
        return response

    def post(self, path: str, data: dict[str, Any], page: str | None = None) -> Any:
        """POST a form with the token from ``page`` (default: the same path)."""
        token = csrf_token(self.client.get(page or path).get_data(as_text=True))
        return self.client.post(path, data={"csrf_token": token, **data})

    def logout(self) -> Any:
        return self.post("/logout", {}, page="/")
