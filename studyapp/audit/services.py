"""Reading the audit trail: the viewer's filtered, paginated query and field history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from studyapp.audit import chain, reviews
from studyapp.audit.models import AuditLog
from studyapp.extensions import db
from studyapp.permissions import Action, require

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    subject_id: int | None = None
    table_name: str | None = None
    row_id: str | None = None
    field: str | None = None
    username: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: Only the subject's rows after its last audit-trail review (needs ``subject_id``).
    since_review: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[AuditLog]
    page: int
    pages: int
    total: int


def _filtered(f: AuditFilter) -> Select[tuple[AuditLog]]:
    query = select(AuditLog)
    if f.subject_id is not None:
        query = query.where(AuditLog.subject_id == f.subject_id)
    if f.table_name:
        query = query.where(AuditLog.table_name == f.table_name)
    if f.row_id:
        query = query.where(AuditLog.row_id == f.row_id)
    if f.field:
        query = query.where(AuditLog.field == f.field)
    if f.username:
        query = query.where(AuditLog.username == f.username.strip().lower())
    if f.date_from:
        query = query.where(AuditLog.ts >= datetime.combine(f.date_from, time(), UTC))
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), UTC)
        query = query.where(AuditLog.ts < end)
    return query


def search(actor: Any, f: AuditFilter, page: int = 1) -> Page:
    """Newest first, ``PAGE_SIZE`` rows a page (monitor and data manager only)."""
    require(actor, Action.VIEW_AUDIT)
    query = _filtered(f)
    if f.since_review and f.subject_id is not None:
        query = reviews.since_last_review(query, f.subject_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.scalars(
        query.order_by(AuditLog.seq.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return Page(list(rows), page, pages, total)


def field_history(actor: Any, table_name: str, row_id: str, field: str) -> list[AuditLog]:
    """Every value a field has had, oldest first (P11-07)."""
    require(actor, Action.VIEW_AUDIT)
    query = _filtered(AuditFilter(table_name=table_name, row_id=row_id, field=field))
    return list(db.session.scalars(query.order_by(AuditLog.seq)))


def table_names() -> list[str]:
    rows = db.session.scalars(
        select(AuditLog.table_name).where(AuditLog.table_name.is_not(None)).distinct()
    )
    return sorted(rows)


def iter_chain_rows(
    batch: int = 1000, after: int = 0, conn: Any = None
) -> Iterator[dict[str, Any]]:
    """The rows after seq ``after`` in chain order as plain dicts, streamed in batches.

    Read through ``conn`` (a Connection) when given, else the session.
    """
    cols = [getattr(AuditLog, name) for name in (*chain.HASHED_FIELDS, "prev_hash", "hash")]
    last = after
    while True:
        result = (
            (conn or db.session)
            .execute(select(*cols).where(AuditLog.seq > last).order_by(AuditLog.seq).limit(batch))
            .mappings()
        )
        rows = list(result)
        if not rows:
            return
        yield from rows
        last = rows[-1]["seq"]


def verify_chain() -> chain.VerifyResult:
    return chain.verify(iter_chain_rows())
