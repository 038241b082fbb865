"""The web shell: request hooks, session rules, security headers, errors, template helpers."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from studyapp import db as dbmod
from studyapp import submissions, transaction
from studyapp.auth.permissions import Action, can
from studyapp.auth.security_log import security_event
from studyapp.db import utcnow
from studyapp.errors import DomainError, ValidationFailed
from studyapp.submissions import AlreadySaved
from studyapp.versioning import is_write_conflict

log = logging.getLogger(__name__)

#: Pages a signed-in user may reach while a password change or TOTP enrolment is due.
GATE_OPEN = {
    "auth.change_password",
    "auth.totp_setup",
    "auth.logout",
    "auth.set_language",
    "static",
    "main.healthz",
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


def attach_errors(form: Any, exc: ValidationFailed) -> None:
    """Put a service's field errors next to their fields; the rest above the form.

    The failed change is rolled back first, so the page never shows unsaved values of
    the records it reads as if they were saved (the form keeps what the user typed).
    """
    from studyapp.extensions import db

    db.session.rollback()
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.append(" ".join(messages))
    if not exc.field_errors:
        form.form_errors.append(exc.message)


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
    if request.endpoint != "static":
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


def _render_error(status: int, message: str | None = None, **extra: Any) -> Any:
    return render_template("errors/error.html", status=status, message=message, **extra), status


def _csrf_error(_exc: CSRFError) -> Any:
    security_event("csrf_failure", path=request.path)
    return _render_error(
        400,
        _(
            "The form expired or was not sent from this site. "
            "Go back, reload the page and try again."
        ),
    )


def _domain_error(exc: DomainError) -> Any:
    from studyapp.extensions import db

    db.session.rollback()  # a refused change writes nothing, whatever it had begun
    if exc.status == 403:
        security_event("forbidden", path=request.path, user=getattr(current_user, "username", None))
    return _render_error(exc.status, exc.message)


def _http_error(exc: HTTPException) -> Any:
    if exc.code == 403:
        security_event("forbidden", path=request.path)
    # A description given with abort() is ours and translated; Werkzeug's defaults are not.
    own = exc.description if exc.description != type(exc).description else None
    return _render_error(exc.code or 500, own)


def _already_saved(exc: AlreadySaved) -> Any:
    flash(exc.message, "info")
    return redirect(exc.location)


def _write_conflict(exc: Exception) -> Any:
    """A save that lost a race with another request on the same record (REL-01): 409."""
    from studyapp.extensions import db

    db.session.rollback()
    if not is_write_conflict(exc):
        return _unexpected_error(exc)
    log.info("write conflict on %s: %s", request.path, type(exc).__name__)
    return _render_error(
        409,
        _(
            "Another user saved this record at the same moment, so your change was not "
            "saved. Reload the page to see the stored values and make your change again."
        ),
    )


def _unexpected_error(_exc: Exception) -> Any:
    log.exception("unhandled error on %s (request %s)", request.path, getattr(g, "request_id", "-"))
    from studyapp.extensions import db

    db.session.rollback()
    return _render_error(500, None, request_id=getattr(g, "request_id", None))


def register_error_handlers(app: Flask) -> None:
    """Friendly pages for every error; never a traceback (SEC-14)."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(AlreadySaved, _already_saved)
    app.register_error_handler(StaleDataError, _write_conflict)
    app.register_error_handler(IntegrityError, _write_conflict)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in the site's zone with its offset, e.g. 2026-11-25 15:48 (+08:00)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(current_app.config["SITE_TIMEZONE"]))
    offset = local.strftime("%z")
    return f"{local.strftime(fmt)} ({offset[:3]}:{offset[3:]})"


def duration(value: timedelta | None) -> str:
    """Time left on a clock, e.g. "23 h 05 min left", or "overdue by 1 d 2 h"."""
    if value is None:
        return ""
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    text = f"{days} d {hours} h" if days else f"{hours} h {minutes:02d} min"
    if value.total_seconds() < 0:
        return _("overdue by %(t)s", t=text)
    return _("%(t)s left", t=text)


def register_web(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _request_guard)
    submissions.install()
    app.before_request(_before_request)
    app.after_request(_security_headers)
    app.after_request(_finish_transaction)  # runs first: after-request hooks run in reverse
    register_error_handlers(app)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.globals["can"] = lambda action: can(current_user, Action(action))
    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
