"""Error pages for every failure; never a traceback (SEC-14)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from studyapp.errors import DomainError
from studyapp.security_log import security_event
from studyapp.versioning import is_write_conflict
from studyapp.web.submissions import AlreadySaved

log = logging.getLogger(__name__)


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
