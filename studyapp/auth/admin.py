"""User administration by the data manager (P11-15, P11-17, GCP-04, GCP-05).

Accounts are created, edited, deactivated and reactivated, never deleted. The data
manager never sets or sees a password: a new account or a reset gets a single-use code
the person uses to choose their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.audit import Event, log_event, set_reason
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.auth.permissions import Action, Role, require
from studyapp.auth.security_log import security_event
from studyapp.auth.services import find_user, new_code
from studyapp.db import utcnow
from studyapp.errors import NotFound, ReasonRequired, ValidationFailed
from studyapp.extensions import db
from studyapp.versioning import check_version

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    email: str | None
    role: str
    identity_verification: str


@dataclass(frozen=True)
class UserEdit:
    full_name: str
    email: str | None
    role: str


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.username)))


def get_user(actor: User, user_id: int) -> User:
    require(actor, Action.MANAGE_USERS)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def _need_reason(reason: str | None) -> str:
    if not (reason or "").strip():
        raise ReasonRequired(
            _("A reason is required."), field_errors={"reason": [_("Give a reason.")]}
        )
    return (reason or "").strip()


def _issue_code(user: User) -> str:
    code = new_code()
    user.reset_code_hash = passwords.hash_password(code)
    hours = current_app.config["RESET_CODE_HOURS"]
    user.reset_code_expires_at = utcnow() + timedelta(hours=hours)
    return code


def create_user(actor: User, data: NewUser) -> tuple[User, str]:
    """Create an account and its single-use set-up code (shown once to the data manager)."""
    require(actor, Action.MANAGE_USERS)
    username = data.username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            _("Check the form."),
            field_errors={"username": [_("3 to 40 characters: lower-case letters, digits, . _ -")]},
        )
    if find_user(username) is not None:
        raise ValidationFailed(
            _("Check the form."),
            field_errors={"username": [_("This username exists or existed; never reused.")]},
        )
    Role(data.role)
    user = User(
        username=username,
        full_name=data.full_name.strip(),
        email=(data.email or "").strip() or None,
        role=data.role,
        identity_verification=data.identity_verification.strip(),
        identity_verified_by_id=actor.id,
        must_change_password=True,
    )
    code = _issue_code(user)
    db.session.add(user)
    db.session.flush()
    log_event(Event("user_created", "user", str(user.id), "role", None, user.role))
    security_event("user_created", by=actor.username, user=username, role=data.role)
    db.session.commit()
    return user, code


def update_user(
    actor: User, user_id: int, version: int | None, edit: UserEdit, reason: str
) -> User:
    """Change name, e-mail or role; a stale ``version`` raises StaleVersion (REL-01)."""
    user = get_user(actor, user_id)
    check_version(user, version, _("Another user changed this account while you were editing it."))
    set_reason(_need_reason(reason))
    Role(edit.role)
    if edit.role != user.role:
        log_event(Event("role_change", "user", str(user.id), "role", user.role, edit.role))
        security_event("role_change", by=actor.username, user=user.username, role=edit.role)
        user.session_epoch += 1
    user.full_name = edit.full_name.strip()
    user.email = (edit.email or "").strip() or None
    user.role = edit.role
    db.session.commit()
    return user


def set_active(actor: User, user_id: int, active: bool, reason: str) -> User:
    """Deactivate (sessions end on every node at their next request) or reactivate."""
    user = get_user(actor, user_id)
    if user.id == actor.id and not active:
        raise ValidationFailed(_("You cannot deactivate your own account."))
    set_reason(_need_reason(reason))
    user.active = active
    user.session_epoch += 1
    action = "user_reactivated" if active else "user_deactivated"
    log_event(Event(action, "user", str(user.id), reason=reason))
    security_event(action, by=actor.username, user=user.username)
    db.session.commit()
    return user


def issue_reset_code(actor: User, user_id: int, reason: str) -> str:
    """A new single-use code; the old password stops working only when it is used."""
    user = get_user(actor, user_id)
    set_reason(_need_reason(reason))
    code = _issue_code(user)
    log_event(Event("reset_code_issued", "user", str(user.id), reason=reason))
    security_event("reset_code_issued", by=actor.username, user=user.username)
    db.session.commit()
    return code


def unlock(actor: User, user_id: int, reason: str) -> User:
    user = get_user(actor, user_id)
    _need_reason(reason)
    user.locked_until = None
    user.failed_logins = 0
    log_event(Event("unlocked", "user", str(user.id), reason=reason))
    security_event("unlocked", by=actor.username, user=user.username)
    db.session.commit()
    return user


def create_first_user(username: str, full_name: str, role: str, password: str) -> User:
    """``flask create-user``: an account with a password typed at the console.

    The account must change that password at first sign-in.
    """
    Role(role)
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed(_("3 to 40 characters: lower-case letters, digits, . _ -"))
    if find_user(username) is not None:
        raise ValidationFailed(_("This username exists or existed; never reused."))
    errors = passwords.policy_errors(
        password, username=username, full_name=full_name, mfa=Role(role) == Role.DATA_MANAGER
    )
    if errors:
        raise ValidationFailed("; ".join(errors))
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=passwords.hash_password(password),
        must_change_password=True,
        identity_verification="created at the server console (flask create-user)",
    )
    db.session.add(user)
    db.session.flush()
    log_event(Event("user_created", "user", str(user.id), "role", None, role))
    db.session.commit()
    return user
