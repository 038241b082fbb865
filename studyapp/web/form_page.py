"""The one place a form page turns a service's domain errors into an answer.

A view builds its form, calls ``submit`` with the service call, and either redirects
(saved) or renders the page again with ``outcome.status``:

- the form's own validation failed, or the service raised ValidationFailed: 422, the
  messages next to their fields, the typed values kept;
- NeedsConfirmation: 422, the warnings next to their fields and a "confirm" box;
- StaleVersion: 409, ``outcome.stale`` holds the other user's values for the page;
- Conflict: 409, its message above the form;
- PermissionDenied and NotFound are not caught: the error handlers answer 403 and 404.

Every refusal rolls the session back before the page is rendered, so the page never shows
unsaved values of the records it reads as if they were saved. The request edge commits a
success once (``studyapp.transaction``); views never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from flask_babel import gettext as _

from studyapp.errors import Conflict, NeedsConfirmation, StaleVersion, ValidationFailed
from studyapp.extensions import db


class Outcome:
    """What happened to a submitted form: saved (redirect), or why not (status code)."""

    def __init__(self) -> None:
        self.redirect: Any = None
        #: The 409 of a stale version, with the stored values (``current``) for the page.
        self.stale: StaleVersion | None = None
        #: 200 for a page that was not submitted; 422 or 409 for a refusal.
        self.status = 200


def submit(
    form: Any,
    action: Callable[[], Any],
    done: Callable[[Any], str],
    *,
    saved_message: bool = True,
    stale_on_form: bool = False,
) -> Outcome:
    """Validate *form*, call *action* (the service) and redirect to ``done(result)``.

    *saved_message*: flash "Saved." on success (off when the action flashes its own).
    *stale_on_form*: a stale version is also told above the form and the form takes the
    stored version (a small side form of a page, such as a removal).
    """
    outcome = Outcome()
    if not form.is_submitted():
        return outcome
    outcome.status = 422
    if not form.validate():
        return outcome
    try:
        result = action()
    except StaleVersion as exc:
        db.session.rollback()
        outcome.stale, outcome.status = exc, 409
        if stale_on_form:
            form.form_errors.append(exc.message)
            form.version.data = exc.version
    except NeedsConfirmation as exc:
        db.session.rollback()
        _ask_confirmation(form, exc)
    except ValidationFailed as exc:
        attach_errors(form, exc)
    except Conflict as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        outcome.status = 409
    else:
        if saved_message:
            flash(_("Saved."), "success")
        outcome.redirect = redirect(done(result))
    return outcome


def _ask_confirmation(form: Any, exc: NeedsConfirmation) -> None:
    """The warnings next to their fields (else next to the confirm box), and the question."""
    for name, messages in exc.warnings.items():
        field = getattr(form, name, None)
        target = field if field is not None else form.confirm
        target.warnings = [*getattr(target, "warnings", []), *messages]
    form.needs_confirmation = True
    form.form_errors.append(exc.message)


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
