"""Audit-trail review (GCP-03): a monitor marks a subject's trail reviewed up to its newest row;
the review is itself a row of the trail (action ``review``, the subject, the sequence number
reviewed up to), so reviews are recorded and can never be edited; what changed since a subject's
last review is every later row of that subject that is not a review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, cast, func, or_, select

from studyapp.audit.context import Event, log_event
from studyapp.audit.models import AuditLog
from studyapp.errors import Conflict
from studyapp.extensions import db
from studyapp.permissions import Action, require

REVIEW = "review"


@dataclass(frozen=True)
class Review:
    """The latest review of a subject's trail: up to which row, by whom, when."""

    upto: int
    username: str | None
    at: datetime


def last_review(subject_id: int) -> Review | None:
    row = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.subject_id == subject_id, AuditLog.action == REVIEW)
        .order_by(AuditLog.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Review(int(row.row_id or 0), row.username, row.ts)


def newest_row(subject_id: int) -> int | None:
    """The sequence number of the subject's newest row that is not a review."""
    return db.session.scalar(
        select(func.max(AuditLog.seq)).where(
            AuditLog.subject_id == subject_id, AuditLog.action != REVIEW
        )
    )


def mark_reviewed(actor: Any, subject_id: int, upto: int) -> None:
    """Record that *actor* reviewed the subject's trail up to row *upto* (the newest row the
    page showed); refused when nothing of the subject is there to review."""
    require(actor, Action.VIEW_AUDIT)
    newest = newest_row(subject_id)
    if newest is None or not 0 < upto <= newest:
        raise Conflict(_("Nothing of this subject is in the audit trail to review up to there."))
    log_event(Event(REVIEW, table_name="audit_log", row_id=str(upto), subject_id=subject_id))
    db.session.flush()


def since_last_review(query: Select[tuple[AuditLog]], subject_id: int) -> Select[tuple[AuditLog]]:
    """*query* narrowed to the subject's rows after its last review (all when never reviewed)."""
    review = last_review(subject_id)
    query = query.where(AuditLog.subject_id == subject_id, AuditLog.action != REVIEW)
    return query if review is None else query.where(AuditLog.seq > review.upto)


def changed_since_review() -> list[tuple[int, int, int | None]]:
    """(subject id, rows changed since its last review, reviewed up to) for every subject
    with unreviewed rows, most rows first; one query."""
    reviewed = (
        select(
            AuditLog.subject_id.label("sid"),
            func.max(cast(AuditLog.row_id, Integer)).label("upto"),
        )
        .where(AuditLog.action == REVIEW)
        .group_by(AuditLog.subject_id)
        .subquery()
    )
    query = (
        select(AuditLog.subject_id, func.count(), func.max(reviewed.c.upto))
        .outerjoin(reviewed, reviewed.c.sid == AuditLog.subject_id)
        .where(AuditLog.subject_id.is_not(None), AuditLog.action != REVIEW)
        .where(or_(reviewed.c.upto.is_(None), AuditLog.seq > reviewed.c.upto))
        .group_by(AuditLog.subject_id)
        .order_by(func.count().desc(), AuditLog.subject_id)
    )
    return [(sid, count, upto) for sid, count, upto in db.session.execute(query)]
