"""The one place a form page turns a service's domain errors into an answer.

A view builds its form, calls ``submit`` with the service call, and either redirects
(saved) or renders the page again with ``outcome.status``:

- the form's own validation failed, or the service raised ValidationFailed: 422, the
  messages next to their fields, the typed values kept;
- NeedsConfirmation: 422, the warnings next to their fields and a "confirm" box;
- StaleVersion: 409, ``outcome.stale`` holds the other user's values for the page;
- Conflict: 409, its message above the form;
- a *kept* refusal (a failed signature or code counted toward the lockout, an undelivered
  code e-mail): committed first (``keep_refusal``), then told with its own status;
- PermissionDenied and NotFound are not caught: the error handlers answer 403 and 404.

A button that answers with a redirect either way (saved or refused, flashed) calls
``attempt``: the service's result, or its refusal with nothing of it kept.

Every refusal rolls the session back before the page is rendered, so the page never shows
unsaved values of the records it reads as if they were saved. The request edge commits a
success once (``studyapp.transaction``); views never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from flask_babel import gettext as _

from studyapp.errors import (
    Conflict,
    DomainError,
    NeedsConfirmation,
    StaleVersion,
    ValidationFailed,
)
from studyapp.extensions import db
from studyapp.transaction import keep_refusal


class Outcome:
    """What happened to a submitted form: saved (an answer), or why not (status code)."""

    def __init__(self) -> None:
        #: The answer of a saved form: a redirect, or the page ``done`` made.
        self.redirect: Any = None
        #: The 409 of a stale version, with the stored values (``current``) for the page.
        self.stale: StaleVersion | None = None
        #: The refusal the service raised, if any (its message is on the form).
        self.refusal: DomainError | None = None
        #: 200 for a page that was not submitted; 422, 409 (or a kept refusal's) otherwise.
        self.status = 200


def submit(
    form: Any,
    action: Callable[[], Any],
    done: Callable[[Any], Any],
    *,
    saved_message: bool | str = True,
    stale_on_form: bool = False,
    kept: tuple[type[DomainError], ...] = (),
) -> Outcome:
    """Validate *form*, call *action* (the service) and answer with ``done(result)``.

    ``done`` gives the address to redirect to, or a whole answer (a page shown once).
    *saved_message*: flash "Saved." on success, or this text, or nothing (False or "").
    *stale_on_form*: a stale version is also told above the form and the form takes the
    stored version (a small side form of a page, such as a removal).
    *kept*: refusals whose record is committed before the answer (``keep_refusal``), such
    as a failed signature counted toward the lockout; they are told above the form (or
    next to their fields) with their own status.
    """
    outcome = Outcome()
    if not form.is_submitted():
        return outcome
    outcome.status = 422
    if not form.validate():
        return outcome
    result, refusal = attempt(action, kept=kept)
    if refusal is not None:
        _tell(form, outcome, refusal, stale_on_form)
        return outcome
    if saved_message:
        flash(_("Saved.") if saved_message is True else saved_message, "success")
    answer = done(result)
    outcome.redirect = redirect(answer) if isinstance(answer, str) else answer
    return outcome


def attempt(
    action: Callable[[], Any],
    *,
    refusals: tuple[type[DomainError], ...] = (ValidationFailed, Conflict),
    kept: tuple[type[DomainError], ...] = (),
) -> tuple[Any, DomainError | None]:
    """Call the service: its result, or the refusal it raised, with nothing of it saved.

    A refusal is rolled back, so neither the page nor a redirect's commit keeps what the
    service had begun; a *kept* one (a counted failure) is committed first. Other errors
    (PermissionDenied, NotFound) pass on to the error handlers.
    """
    try:
        return action(), None
    except (*refusals, *kept) as exc:
        if isinstance(exc, kept):
            keep_refusal()
        db.session.rollback()
        return None, exc


def _tell(form: Any, outcome: Outcome, exc: DomainError, stale_on_form: bool) -> None:
    """The refusal on the page: next to its fields, or above the form, and its status."""
    outcome.refusal, outcome.status = exc, exc.status
    if isinstance(exc, StaleVersion):
        outcome.stale = exc
        if stale_on_form:
            form.form_errors.append(exc.message)
            form.version.data = exc.version
    elif isinstance(exc, NeedsConfirmation):
        _ask_confirmation(form, exc)
    elif isinstance(exc, ValidationFailed):
        attach_errors(form, exc)
    else:
        form.form_errors.append(exc.message)


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
    db.session.rollback()
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.append(" ".join(messages))
    if not exc.field_errors:
        form.form_errors.append(exc.message)
