"""User administration by the data manager (P11-15, P11-17, GCP-04, GCP-05).

Accounts are created, edited, deactivated and reactivated, never deleted. The data
manager never sets or sees a password: a new account or a reset gets a single-use code
the person uses to choose their own. With a mail server configured the code goes only to
the account holder's e-mail address; without one it is shown once to the data manager,
who hands it over in person, and the issuer is recorded and told to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.audit import Event, log_event, set_reason
from studyapp.audit.context import actor_of
from studyapp.auth import mail, passwords
from studyapp.auth.models import User
from studyapp.auth.services import find_user, new_code
from studyapp.db import utcnow
from studyapp.errors import NotFound, ReasonRequired, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, Role, require
from studyapp.security_log import security_event
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


@dataclass(frozen=True)
class IssuedCode:
    """What the data manager's page may show: the code only when no mail server is set."""

    code: str | None
    sent_to: str | None
    expires_at: datetime


def _clean_email(raw: str | None, *, required: bool = False) -> str | None:
    email = (raw or "").strip() or None
    if email is None and required:
        message = _("Required: the set-up code is sent to this address.")
    elif email is not None and not mail.EMAIL_RE.match(email):
        message = _("Give one e-mail address, such as name@hospital.org.")
    else:
        return email
    raise ValidationFailed(_("Check the form."), field_errors={"email": [message]})


def _issue_code(actor: User, user: User, action: str, reason: str | None) -> IssuedCode:
    """A new code replaces any older one; mailed when mail is set up, else shown once.

    If the mail server refuses, the change is rolled back (no code exists that nobody
    received), the failure is recorded and MailFailed reaches the page.
    """
    code = new_code()
    now = utcnow()
    user.reset_code_hash = passwords.hash_password(code)
    user.reset_code_expires_at = now + timedelta(hours=current_app.config["RESET_CODE_HOURS"])
    user.reset_code_issued_by_id = actor.id
    user.reset_code_issued_at = now
    expires, name = user.reset_code_expires_at, user.username
    if not mail.mail_configured():
        _record_issue(actor, user, action, reason, "shown on screen: no mail server")
        return IssuedCode(code, None, expires)
    db.session.flush()  # refusals by the database come before anything is sent
    try:
        mail.send_code(user, code, actor, expires)
    except mail.MailFailed:
        db.session.rollback()
        failed = Event("code_mail_failed", "user", None, "username", None, name, reason)
        log_event(replace(failed, actor=actor_of(actor)))
        db.session.flush()
        raise
    sent_to = mail.mask_address(user.email or "")
    _record_issue(actor, user, action, reason, f"e-mail to {sent_to}")
    return IssuedCode(None, sent_to, expires)


def _record_issue(actor: User, user: User, action: str, reason: str | None, how: str) -> None:
    row_id = str(user.id) if user.id else None
    log_event(Event(action, "user", row_id, "delivery", None, how, reason, actor_of(actor)))
    delivery = "email" if mail.mail_configured() else "in_person"
    security_event(action, by=actor.username, user=user.username, delivery=delivery)


def _need_mail_address(user: User) -> None:
    if mail.mail_configured() and not user.email:
        raise ValidationFailed(
            _("This account has no e-mail address: add one, then issue the code.")
        )


def create_user(actor: User, data: NewUser) -> tuple[User, IssuedCode]:
    """Create an account and its single-use set-up code (mailed, or shown once)."""
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
    email = _clean_email(data.email, required=mail.mail_configured())
    Role(data.role)
    user = User(
        username=username,
        full_name=data.full_name.strip(),
        email=email,
        role=data.role,
        identity_verification=data.identity_verification.strip(),
        identity_verified_by_id=actor.id,
        must_change_password=True,
    )
    db.session.add(user)
    db.session.flush()
    log_event(Event("user_created", "user", str(user.id), "role", None, user.role))
    security_event("user_created", by=actor.username, user=username, role=data.role)
    issued = _issue_code(actor, user, "setup_code_issued", None)
    db.session.flush()
    return user, issued


def update_user(
    actor: User, user_id: int, version: int | None, edit: UserEdit, reason: str
) -> User:
    """Change name, e-mail or role; a stale ``version`` raises StaleVersion (REL-01)."""
    user = get_user(actor, user_id)
    check_version(user, version, _("Another user changed this account while you were editing it."))
    set_reason(_need_reason(reason))
    email = _clean_email(edit.email)
    Role(edit.role)
    if edit.role != user.role:
        log_event(Event("role_change", "user", str(user.id), "role", user.role, edit.role))
        security_event("role_change", by=actor.username, user=user.username, role=edit.role)
        user.session_epoch += 1
    user.full_name = edit.full_name.strip()
    user.email = email
    user.role = edit.role
    db.session.flush()
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
    db.session.flush()
    return user


def issue_reset_code(actor: User, user_id: int, reason: str) -> IssuedCode:
    """A new single-use code that voids any older one; the old password stops working
    only when the code is used."""
    user = get_user(actor, user_id)
    reason = _need_reason(reason)
    _need_mail_address(user)
    set_reason(reason)
    issued = _issue_code(actor, user, "reset_code_issued", reason)
    db.session.flush()
    return issued


def unlock(actor: User, user_id: int, reason: str) -> User:
    user = get_user(actor, user_id)
    _need_reason(reason)
    user.locked_until = None
    user.failed_logins = 0
    log_event(Event("unlocked", "user", str(user.id), reason=reason))
    security_event("unlocked", by=actor.username, user=user.username)
    db.session.flush()
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
    db.session.flush()
    return user
