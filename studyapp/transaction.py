"""One transaction per request, command or call (ARCHITECTURE "Request life").

Services read, write and flush; they never commit. The edge that called them commits once:

- a web request: ``finish_request`` (an after-request hook of the web shell) commits when
  the answer is a success (below 400) and rolls back otherwise, so a refused or failed
  request writes nothing, whatever it had begun;
- a CLI command, a script or a test: ``with transaction():`` commits at the end of the
  block, or rolls back when anything in it raised.
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
