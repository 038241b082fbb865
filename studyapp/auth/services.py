"""Sign-in, second factor, sessions and passwords (SEC-01 to SEC-05, P11-17, GCP-04)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from studyapp.audit import Event, log_event, set_reason
from studyapp.audit.context import acting_as, actor_of
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.db import utcnow
from studyapp.errors import DomainError, ValidationFailed
from studyapp.extensions import db
from studyapp.security_log import security_event

#: Attempts to write sign-in bookkeeping that concurrent requests keep changing.
RETRIES = 3
#: Alphabet of set-up codes: no 0/O or 1/I/L to misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class LoginFailed(DomainError):
    """One generic refusal for every sign-in failure, so nothing is revealed (SEC-04)."""

    status = 401

    def __init__(self) -> None:
        super().__init__(
            _(
                "Sign-in failed: wrong username, password or code, or the account is "
                "locked or inactive. Ask the data manager if this continues."
            )
        )


class CodeReused(LoginFailed):
    """A TOTP code that was right but already used (its 30 s step was spent): told apart
    from a wrong code so the user waits for the next one; still counted as a failure."""

    def __init__(self) -> None:
        DomainError.__init__(
            self,
            _(
                "This code was already used. Wait for the next code of your authenticator "
                "app (a new one every 30 seconds) and type it."
            ),
        )


def find_user(username: str) -> User | None:
    name = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


def _event(user: User | None, action: str, **kw: str | None) -> None:
    log_event(
        Event(
            action=action,
            table_name="user",
            row_id=str(user.id) if user else None,
            actor=actor_of(user),
            **kw,
        )
    )


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def record_failure(user: User | None, reason: str) -> None:
    """Count a failed authentication; the 5th locks for 15 min, each later lock twice as long.

    Used by sign-in, the second factor, reset codes and electronic signatures alike. The
    count is flushed, not committed: the edge that answers the refusal keeps it with
    ``transaction.keep_refusal`` although the answer is an error.
    """
    security_event("login_failed", user=user.username if user else "(unknown)", why=reason)
    _flush_retrying(lambda: _count_failure(user, reason))


def _count_failure(user: User | None, reason: str) -> None:
    _event(user, "login_failed", new_value=reason)
    if user is not None and not is_locked(user):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.lock_count += 1
            minutes = current_app.config["LOGIN_LOCK_MINUTES"] * 2 ** (user.lock_count - 1)
            user.locked_until = utcnow() + timedelta(minutes=min(minutes, 24 * 60))
            user.failed_logins = 0
            _event(user, "lockout", new_value=user.locked_until.isoformat())
            security_event("lockout", user=user.username, minutes=minutes)


def _flush_retrying(change: Callable[[], None], fresh: Callable[[], None] | None = None) -> None:
    """Write sign-in bookkeeping of an account another request changes at the same moment.

    Two sign-ins to one account at once (two nodes): the later versioned UPDATE finds the
    row changed (StaleDataError on PostgreSQL, at the flush). The change is made again on
    the reloaded row (``fresh`` may refuse first) instead of answering 500 (REL-01). The
    rollback that reloads the row is safe here: a sign-in's transaction holds nothing else
    (a signature rolls back what its caller prepared before it counts a failure).
    """
    for attempt in range(RETRIES):
        change()
        try:
            db.session.flush()
            return
        except StaleDataError:
            db.session.rollback()
            if attempt == RETRIES - 1:
                raise
            if fresh is not None:
                fresh()


def _register_failure(user: User | None, reason: str) -> None:
    record_failure(user, reason)
    raise LoginFailed()


def authenticate(username: str, password: str) -> User:
    """Check the first factor. Raises LoginFailed, with the same message for every cause."""
    user = find_user(username)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None:
        _register_failure(None, "unknown user")
    assert user is not None  # noqa: S101 - _register_failure raised otherwise
    if is_locked(user):
        _register_failure(user, "locked")
    if not user.active:
        _register_failure(user, "inactive")
    if not ok:
        _register_failure(user, "bad password")
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        set_reason("password re-hashed with current parameters")
    return user


#: Outcomes of ``check_totp``.
TOTP_OK, TOTP_REUSED, TOTP_WRONG = "ok", "reused", "wrong"


def check_totp(user: User, code: str) -> str:
    """TOTP_OK for a code of the current or adjacent 30 s step not used before (the step is
    then spent); TOTP_REUSED for a code of a step already spent; TOTP_WRONG otherwise."""
    if not user.totp_secret:
        return TOTP_WRONG
    totp = pyotp.TOTP(user.totp_secret)
    code = "".join((code or "").split())
    now = utcnow()
    outcome = TOTP_WRONG
    for offset in (-1, 0, 1):
        at = now + timedelta(seconds=30 * offset)
        step = totp.timecode(at)
        if not secrets.compare_digest(totp.at(at), code):
            continue
        if step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return TOTP_OK
        outcome = TOTP_REUSED
    return outcome


def verify_totp(user: User, code: str) -> bool:
    """A TOTP code of the current or adjacent 30 s step, never the same step twice."""
    return check_totp(user, code) == TOTP_OK


def check_second_factor(user: User, code: str) -> None:
    """The sign-in's second factor; a reused code gets its own message (CodeReused) only when
    the account could otherwise sign in, so a lock is not revealed."""
    if is_locked(user) or not user.active:
        _register_failure(user, "bad TOTP code")
    outcome = check_totp(user, code)
    if outcome == TOTP_REUSED:
        record_failure(user, "reused TOTP code")
        if is_locked(user):  # this failure locked the account: the generic message
            raise LoginFailed()
        raise CodeReused()
    if outcome != TOTP_OK:
        _register_failure(user, "bad TOTP code")


def complete_login(user: User) -> tuple[str, datetime] | None:
    """Record a successful sign-in; the view then starts a new session.

    A concurrent sign-in that used the same one-time code wins; this one then fails.
    Returns who issued the code that set the password, and when, the first time the
    user signs in after using it (the view tells the user); else None.
    """
    step = user.totp_last_step if user.totp_enabled else None
    notice = code_origin(user) if user.password_code_notice else None

    def record() -> None:
        if step is not None:
            user.totp_last_step = step
        user.failed_logins = 0
        user.lock_count = 0
        user.locked_until = None
        user.last_login_at = utcnow()
        user.password_code_notice = False
        _event(user, "login")

    def code_still_unused() -> None:
        if step is not None and (user.totp_last_step or -1) >= step:
            raise LoginFailed()

    with acting_as(user):  # a re-hash at sign-in is the user's own change
        _flush_retrying(record, code_still_unused)
    security_event("login", user=user.username)
    return notice


def code_origin(user: User) -> tuple[str, datetime] | None:
    """Name of the issuer and issue time of the code that set the current password."""
    if user.password_code_issued_at is None:
        return None
    issuer = db.session.get(User, user.password_code_issued_by_id or 0)
    return (issuer.full_name if issuer else _("an unknown user")), user.password_code_issued_at


def logout(user: User) -> None:
    """End every session of ``user`` on every node (SEC-05, GCP-05)."""
    user.session_epoch += 1
    _event(user, "logout")
    security_event("logout", user=user.username)
    db.session.flush()


def _check_new_password(user: User, new: str, confirm: str, field: str) -> None:
    errors = passwords.policy_errors(
        new,
        username=user.username,
        full_name=user.full_name,
        mfa=user.totp_enabled or user.totp_required,
    )
    if new != confirm:
        errors.append(_("The two passwords differ."))
    if errors:
        raise ValidationFailed(_("Choose another password."), field_errors={field: errors})


def _store_password(user: User, new: str, why: str, *, by_code: bool = False) -> None:
    """Every password change is recorded under the account's own name and role, also
    when nobody is signed in (a code used on the reset page)."""
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    user.password_code_issued_by_id = user.reset_code_issued_by_id if by_code else None
    user.password_code_issued_at = user.reset_code_issued_at if by_code else None
    user.password_code_notice = by_code
    user.reset_code_hash = None
    user.reset_code_expires_at = None
    user.reset_code_issued_by_id = None
    user.reset_code_issued_at = None
    user.session_epoch += 1
    set_reason(why)
    _event(user, "password_changed")
    with acting_as(user):
        db.session.flush()


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed(
            _("Check the form."), field_errors={"current": [_("This is not your password.")]}
        )
    _check_new_password(user, new, confirm, "new")
    _store_password(user, new, "password changed by the user")


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def set_password_with_code(username: str, code: str, new: str, confirm: str) -> User:
    """Use a single-use, expiring set-up/reset code to choose a password (P11-17)."""
    user = find_user(username)
    code = (code or "").strip().upper()
    valid = (
        user is not None
        and user.active
        and not is_locked(user)
        and user.reset_code_hash is not None
        and user.reset_code_expires_at is not None
        and user.reset_code_expires_at > utcnow()
        and passwords.verify_password(user.reset_code_hash, code)
    )
    if not valid:
        _register_failure(user, "bad reset code")
    assert user is not None  # noqa: S101
    _check_new_password(user, new, confirm, "new")
    _store_password(user, new, "password set with a single-use code", by_code=True)
    return user


def begin_totp_setup(user: User) -> str:
    """A fresh secret, kept unconfirmed until the user proves their app has it."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    set_reason("second factor enrolment started")
    db.session.flush()
    return user.totp_secret


def confirm_totp_setup(user: User, code: str) -> None:
    outcome = check_totp(user, code)
    if outcome == TOTP_REUSED:
        raise ValidationFailed(
            _("Check the code."),
            field_errors={"code": [_("This code was already used; type the next one.")]},
        )
    if outcome != TOTP_OK:
        raise ValidationFailed(
            _("Check the code."),
            field_errors={"code": [_("That code does not match; check the phone's clock.")]},
        )
    user.totp_enabled = True
    set_reason("second factor enrolled")
    _event(user, "totp_enabled")
    db.session.flush()


def totp_uri(user: User) -> str:
    issuer = current_app.config["TOTP_ISSUER"]
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(
        name=user.username, issuer_name=issuer
    )


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise ValidationFailed(_("Unknown language."), field_errors={"locale": [locale]})
    user.locale = locale
    db.session.flush()
