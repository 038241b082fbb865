"""What every page that signs does around the signing service (21 CFR 11.200).

The first signature of a session asks for the user name and the password; later ones in the
same session ask for the password only (P11-16). A refused signature (wrong credentials) is
counted toward the lockout and kept although the answer is an error (SEC-04): the request
would otherwise roll the count back. Used by the eligibility page (subjects) and the DLT
review (safety); it is no feature's view, so either may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, session

from studyapp.db import utcnow
from studyapp.signatures.services import SignatureRefused
from studyapp.transaction import keep_refusal
from studyapp.web.form_page import Outcome, submit

#: Set after a signature: later ones in the same session ask for the password only.
ESIGN_KEY = "esign_at"


def needs_username() -> bool:
    return ESIGN_KEY not in session


def username(form: Any) -> str | None:
    """The user name typed on the form, or None when this session signed before."""
    if needs_username():
        return form.username.data or ""
    return None


def sign_page(form: Any, action: Callable[[], Any], done: str, target: str) -> Outcome:
    """``form_page.submit`` for a signing form: count a refusal, flash *done*, remember it."""

    def counted() -> Any:
        try:
            return action()
        except SignatureRefused:
            keep_refusal()  # the failed signature counts toward the lockout (SEC-04)
            raise

    outcome = submit(form, counted, lambda _result: target, saved_message=False)
    if outcome.redirect is not None:
        flash(done, "success")
        session[ESIGN_KEY] = utcnow().timestamp()
    return outcome
