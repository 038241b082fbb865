"""One-time submission tokens of create forms: a repeated "new record" form makes no second row.

Each create form carries a random token (``forms.OnceForm``). The first save records the
token with the row it made, in the same transaction; the same form sent again (back button
and resubmit, a double click, a retry) is answered with a redirect to that row. Two copies
sent at the same moment cannot both pass: the token is unique, so the later insert fails
(PostgreSQL) or waits for the earlier commit (SQLite's single writer) and then finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from studyapp.db import UTCDateTime, utcnow
from studyapp.errors import DomainError
from studyapp.extensions import db

#: session.info key: the claimed token waiting for the row its form creates.
PENDING = "submission_pending"


class Submission(db.Model):  # type: ignore[name-defined]
    """A create form's token and the row it made (bookkeeping, not study data)."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    endpoint: Mapped[str] = mapped_column(String(100), nullable=False)
    object_type: Mapped[str] = mapped_column(String(60), nullable=False)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class AlreadySaved(DomainError):
    """The form was saved before: answered with a redirect to what it made."""

    status = 303

    def __init__(self, location: str):
        super().__init__(_("This form was already saved."))
        self.location = location


def claim(form: Any, model: type, locate: Callable[[Any], str]) -> None:
    """Record the form's token for the ``model`` row about to be made, or refuse a repeat.

    Call it just before the create service. ``locate`` gives the page of a made row; a
    repeat raises AlreadySaved with it. A form without a token (an old page, a script) is
    not deduplicated.
    """
    token = (getattr(form, "submission", None) and form.submission.data) or ""
    if not token:
        return
    _refuse_repeat(token, model, locate)
    row = Submission(
        token=token,
        user_id=getattr(current_user, "id", None),
        endpoint=(request.endpoint or "")[:100],
        object_type=model.__tablename__,  # type: ignore[attr-defined]
    )
    db.session.add(row)
    try:
        db.session.flush()  # a concurrent twin waits here on PostgreSQL, then fails
    except IntegrityError:
        db.session.rollback()
        _refuse_repeat(token, model, locate)
        raise
    db.session.info[PENDING] = (row, model, [])


def _refuse_repeat(token: str, model: type, locate: Callable[[Any], str]) -> None:
    found = db.session.scalar(select(Submission).where(Submission.token == token))
    if found is None:
        return
    made = db.session.get(model, found.object_id) if found.object_id is not None else None
    location = locate(made) if made is not None else request.path
    db.session.rollback()
    raise AlreadySaved(location)


def _collect(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: note the new row of the model a claimed token waits for."""
    pending = session.info.get(PENDING)
    if pending is not None:
        pending[2].extend(o for o in session.new if isinstance(o, pending[1]))


def _link(session: Session, _context: Any) -> None:
    """After a flush: the made row has its id; the token row points at it (same commit)."""
    pending = session.info.get(PENDING)
    if pending is None or not pending[2] or pending[2][0].id is None:
        return
    row, _model, made = session.info.pop(PENDING)
    row.object_id = made[0].id


def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    """Listen on every Session once (create_app may run many times)."""
    for name, fn in (
        ("before_flush", _collect),
        ("after_flush_postexec", _link),
        ("after_soft_rollback", _forget),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


def once(
    form: Any, model: type, locate: Callable[[Any], str], action: Callable[[], Any]
) -> Callable[[], Any]:
    """``action`` (a create service call) preceded by the claim of the form's token."""

    def run() -> Any:
        claim(form, model, locate)
        return action()

    return run
