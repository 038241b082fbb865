"""Who is acting and why: the context the audit hook reads when it writes rows.

Services call ``set_reason`` before changing a saved record and ``log_event`` for
security events; they never insert audit rows themselves (P11-06).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy.orm import Session

from studyapp.extensions import db

if TYPE_CHECKING:
    from collections.abc import Iterator

REASON_KEY = "audit_reason"
ACTOR_KEY = "audit_actor"
EVENTS_KEY = "audit_events"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str | None
    role: str | None


@dataclass(frozen=True)
class Event:
    action: str
    table_name: str | None = None
    row_id: str | None = None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    reason: str | None = None
    actor: Actor | None = None
    #: The subject the event concerns (an audit-trail review of one subject), if any.
    subject_id: int | None = None


def set_reason(reason: str | None, session: Session | None = None) -> None:
    """The reason for change of the edits flushed next in this transaction (GCP-02).

    A reason holding an ID-card or phone number is refused: the trail is never rewritten,
    so an identifier must not reach it (PRV-02).
    """
    from studyapp.privacy import check_free_text

    check_free_text({"reason": reason})
    (session or db.session).info[REASON_KEY] = (reason or "").strip() or None


def current_reason(session: Session) -> str | None:
    return session.info.get(REASON_KEY)


@contextmanager
def acting_as(user: Any, session: Session | None = None) -> Iterator[None]:
    """Attribute changes to ``user`` outside a request (CLI, demo loader, tests)."""
    sess = session or db.session
    previous = sess.info.get(ACTOR_KEY)
    sess.info[ACTOR_KEY] = actor_of(user)
    try:
        yield
    finally:
        sess.info[ACTOR_KEY] = previous


def actor_of(user: Any) -> Actor:
    if user is None:
        return Actor(None, None, None)
    return Actor(user.id, user.username, user.role)


def log_event(event: Event, session: Session | None = None) -> None:
    """Queue a security event; the flush hook writes it into the chain."""
    sess = session or db.session
    sess.info.setdefault(EVENTS_KEY, []).append(event)


def current_actor(session: Session) -> Actor:
    actor = session.info.get(ACTOR_KEY)
    if actor is not None:
        return actor
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return actor_of(current_user)
    return Actor(None, None, None)


def request_fields() -> dict[str, str | None]:
    """Request ID and client of the current request, when there is one."""
    if not has_request_context():
        return {"request_id": None, "client": "cli"}
    agent = (request.user_agent.string or "")[:180]
    return {
        "request_id": getattr(g, "request_id", None),
        "client": f"{request.remote_addr or '-'} {agent}".strip()[:255],
    }


def versions() -> dict[str, str | None]:
    if not has_app_context():
        return {"app_version": None, "protocol_version": None}
    return {
        "app_version": current_app.config.get("APP_VERSION"),
        "protocol_version": current_app.config.get("PROTOCOL_VERSION"),
    }
