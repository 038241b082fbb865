"""The web shell: request hooks, error pages, template filters and form helpers.

``register_web`` installs them on the app; features import the helpers from the modules
(``hooks.safe_next``, ``filters.localtime``, ``form_page.submit`` and ``attach_errors``,
``forms``, ``fields``, ``submissions``).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user

from studyapp.db import utcnow
from studyapp.localized import lab_name, local, local_threshold, local_unit
from studyapp.permissions import Action, can
from studyapp.web import submissions
from studyapp.web.errors import register_error_handlers
from studyapp.web.filters import duration, localtime
from studyapp.web.hooks import (
    _before_request,
    _finish_transaction,
    _request_guard,
    _security_headers,
)


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
    app.jinja_env.globals.update(  # the protocol's labels in the reader's language
        local=local, local_unit=local_unit, local_threshold=local_threshold, lab_name=lab_name
    )
