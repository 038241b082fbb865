"""Request hooks of the web shell: the request guard, session rules, security headers and
the one commit of a request."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from studyapp import db as dbmod
from studyapp import transaction
from studyapp.db import utcnow
from studyapp.errors import DomainError
from studyapp.security_log import security_event
from studyapp.web.errors import _domain_error, _write_conflict

#: Pages a signed-in user may reach while a password change or TOTP enrolment is due.
GATE_OPEN = {
    "auth.change_password",
    "auth.totp_setup",
    "auth.logout",
    "auth.set_language",
    "static",
    "main.healthz",
    "main.favicon",
}


#: A client's X-Request-ID is kept only when it is a plain token (it goes into logs).
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


#: Control characters are never part of a page's address (PostgreSQL refuses NUL).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _request_guard() -> None:
    """Runs before every other hook, CSRF's included: a request id, then refuse an address
    with control characters and text that is not UTF-8 (REL-07), each with its own 400."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    if CONTROL.search(request.path):
        abort(400, description=_("The address contained a control character."))
    if not _is_utf8(request.query_string) or (
        request.mimetype == "application/x-www-form-urlencoded"
        and not _is_utf8(request.get_data(cache=True))
    ):
        abort(400, description=_("The request was not valid UTF-8 text."))


def _is_utf8(raw: bytes) -> bool:
    """Werkzeug drops a form body that is not UTF-8 and keeps %FF as text: check first."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _before_request() -> Any:
    dbmod.read_only.set(request.method in ("GET", "HEAD", "OPTIONS"))
    if _has_nul(request.args) or _has_nul(request.form):
        abort(400, description=_("The request contained a NUL character."))
    if not current_user.is_authenticated:
        return None
    expired = _session_expired()
    if expired:
        security_event("session_expired", user=current_user.username, why=expired)
        logout_user()
        session.clear()
        flash(
            _("Your session ended after inactivity or its maximum length. Sign in again."),
            "warning",
        )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    session["last_seen"] = utcnow().timestamp()
    if request.endpoint not in GATE_OPEN:
        if current_user.must_change_password:
            return redirect(url_for("auth.change_password"))
        if current_user.totp_required and not current_user.totp_enabled:
            return redirect(url_for("auth.totp_setup"))
    return None


def _has_nul(values: Any) -> bool:
    """NUL is never valid text input, and PostgreSQL refuses it in any text column."""
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def _session_expired() -> str | None:
    """Idle 15 minutes or 12 hours since sign-in ends a session (SEC-05)."""
    now = utcnow().timestamp()
    login_at, last_seen = session.get("login_at"), session.get("last_seen")
    if login_at is None or last_seen is None:
        return "no session times"
    if now - last_seen > current_app.config["IDLE_TIMEOUT"].total_seconds():
        return "idle"
    if now - login_at > current_app.config["ABSOLUTE_TIMEOUT"].total_seconds():
        return "absolute"
    return None


def _security_headers(response: Any) -> Any:
    """SEC-07 on every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["HSTS"] or request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint not in ("static", "main.favicon"):
        headers["Cache-Control"] = "no-store"
    return response


def _finish_transaction(response: Any) -> Any:
    """The one commit of a request: a success (below 400) commits, anything else rolls back.

    A commit that loses a race with another request (REL-01) answers 409, never 500; the
    success message the view had queued is dropped, because nothing was saved.
    """
    try:
        transaction.commit_if(response.status_code < 400)
    except Exception as exc:  # every failed commit is answered; none shows a trace
        from studyapp.extensions import db

        db.session.rollback()
        session.pop("_flashes", None)
        if isinstance(exc, DomainError):
            body, status = _domain_error(exc)
        else:
            body, status = _write_conflict(exc)
        return current_app.make_response((body, status))
    return response
