"""One transaction per request, command or call (ARCHITECTURE "Request life").

Services read, write and flush; they never commit. The edge that called them commits once:

- a web request: ``finish_request`` (an after-request hook of the web shell) commits when
  the answer is a success (below 400) and rolls back otherwise, so a refused or failed
  request writes nothing, whatever it had begun;
- a CLI command, a script or a test: ``with transaction():`` commits at the end of the
  block, or rolls back when anything in it raised.

One exception, ``keep_refusal``: a refused sign-in, code or signature is counted toward the
lockout (SEC-04), and an undelivered set-up code is recorded (P11-17), although the request
then answers an error. And one helper for views, ``discard``: a view that answers a refused
change with a success (flash and redirect) drops what the service had begun.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def transaction() -> Iterator[None]:
    """All the writes of the block in one commit, or none of them."""
    from studyapp.extensions import db

    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def commit_if(success: bool) -> None:
    """The request edge: commit a successful answer's writes, roll back any other's.

    A commit that fails raises (a lost race, a constraint): the caller maps it to an answer.
    """
    from studyapp.extensions import db

    session = db.session()
    if not session.in_transaction():
        return
    if success:
        session.commit()
    else:
        session.rollback()


def discard() -> None:
    """Drop what a refused service call had begun, when the answer is still a success.

    A view that catches a domain error and answers with a flash and a redirect (below 400)
    would otherwise have the edge commit a half-done change.
    """
    from studyapp.extensions import db

    db.session.rollback()


def keep_refusal() -> None:
    """Commit the record of a refusal before the error answer (SEC-04, P11-17).

    Only the views that answer a failed sign-in, set-up code, signature or code e-mail call
    this, right after the service recorded the failure (``auth.services.record_failure``,
    ``auth.admin._issue_code``); the service has rolled back or written nothing else by
    then, so nothing but the count and its audit row is kept.
    """
    from studyapp.extensions import db

    db.session.commit()
