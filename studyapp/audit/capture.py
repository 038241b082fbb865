"""Audit by construction: SQLAlchemy session events write the trail (P11-05, P11-06).

``install()`` hooks the Session class once. For every flush it

1. refuses hard deletes of audited rows and any change to audit rows (P11-03);
2. refuses a change of a saved value without a reason (GCP-02); filling a field that
   was empty is not a change and needs none;
3. after the flush (primary keys known, history intact) writes one audit row per
   changed field, plus queued security events, in the same transaction (REL-02);
4. serialises the chain head (PostgreSQL advisory lock; SQLite's write lock, taken by
   BEGIN IMMEDIATE) so that concurrent writers never fork it (REL-03);
5. after the commit, writes a signed checkpoint of the head when one is due (REL-03).

Bulk UPDATE/DELETE statements on audited tables are refused because they skip these
events (P11-06).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from studyapp.audit import chain, checkpoints
from studyapp.audit.context import (
    EVENTS_KEY,
    REASON_KEY,
    Event,
    current_actor,
    current_reason,
    request_fields,
    versions,
)
from studyapp.audit.models import AuditLog
from studyapp.db import AuditedMixin, utcnow
from studyapp.errors import AuditIntegrityError, ReasonRequired

#: Arbitrary constant key of the PostgreSQL advisory lock guarding the chain head.
CHAIN_LOCK_KEY = 7_415_002
REDACTED = "[redacted]"
PENDING_KEY = "audit_pending"
#: ids of the rows inserted in the current transaction (their values are not saved yet).
INSERTED_KEY = "audit_inserted"


def install() -> None:
    """Listen on every Session once (idempotent: create_app may run many times)."""
    for name, fn in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _refuse_bulk),
        ("before_commit", _write_queued_events),
        ("after_commit", _clear),
        ("after_commit", checkpoints.after_commit),
        ("after_soft_rollback", _clear_on_rollback),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


def audited_tables() -> set[str]:
    from studyapp.extensions import db

    tables = {AuditLog.__tablename__}
    for mapper in db.Model.registry.mappers:
        if issubclass(mapper.class_, AuditedMixin):
            tables.add(mapper.local_table.name)
    return tables


def _field_keys(obj: AuditedMixin) -> list[str]:
    skip = AuditedMixin.BOOKKEEPING | obj.__audit_ignore__
    return [attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in skip]


def _changes(session: Session, obj: AuditedMixin) -> list[tuple[str, Any, Any]]:
    """(field, old, new) of each audited column changed on a persistent object.

    An attribute set on an expired object has no old value in its history; that value
    is read from the database, where it still stands before the flush.
    """
    state = inspect(obj)
    out, unloaded = [], []
    for key in _field_keys(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        if hist.added and not hist.deleted and not hist.unchanged:
            unloaded.append(key)
        out.append(
            (key, hist.deleted[0] if hist.deleted else None, hist.added[0] if hist.added else None)
        )
    if unloaded:
        mapper = state.mapper
        table = mapper.local_table
        pk = mapper.primary_key_from_instance(obj)
        where = [col == value for col, value in zip(mapper.primary_key, pk, strict=True)]
        stored = (
            session.connection()
            .execute(
                select(*[table.c[mapper.get_property(k).columns[0].key] for k in unloaded]).where(
                    *where
                )
            )
            .first()
        )
        if stored is not None:
            before = dict(zip(unloaded, stored, strict=True))
            out = [(k, before.get(k, old), new) for k, old, new in out]
    return [(k, old, new) for k, old, new in out if old != new]


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    actor = current_actor(session)
    pending: list[tuple[AuditedMixin, str, list[tuple[str, Any, Any]] | None]] = []
    for obj in session.deleted:
        if isinstance(obj, AuditedMixin | AuditLog):
            raise AuditIntegrityError(
                f"{type(obj).__name__} rows are never deleted; use soft_delete(reason)"
            )
    for obj in session.dirty:
        if isinstance(obj, AuditLog):
            raise AuditIntegrityError("audit rows are append-only")
        if isinstance(obj, AuditedMixin):
            changes = _changes(session, obj)
            if not changes:
                continue
            deleting = _is_soft_delete(obj)
            # A row inserted earlier in this same transaction holds nothing saved yet.
            fresh = id(obj) in session.info.get(INSERTED_KEY, ())
            free = obj.__audit_no_reason__
            overwrites = not fresh and any(
                old is not None for key, old, _new in changes if key not in free
            )
            if overwrites and current_reason(session) is None and not deleting:
                raise ReasonRequired(
                    "A reason for change is required to edit a saved record.",
                    field_errors={"reason": ["Give a reason for this change."]},
                )
            obj.updated_by_id = actor.user_id
            pending.append((obj, "delete" if deleting else "update", changes))
    for obj in session.new:
        if isinstance(obj, AuditedMixin):
            obj.created_by_id = obj.updated_by_id = actor.user_id
            obj.version = obj.version or 1
            pending.append((obj, "insert", None))
            session.info.setdefault(INSERTED_KEY, set()).add(id(obj))
    session.info[PENDING_KEY] = pending


def _is_soft_delete(obj: AuditedMixin) -> bool:
    hist = inspect(obj).attrs["deleted_at"].history
    return bool(hist.added) and hist.added[0] is not None


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    rows = _rows_for_objects(session) + _rows_for_events(session)
    if rows:
        _append(session, rows)


def _write_queued_events(session: Session) -> None:
    """Security events queued in a transaction with no data change (a failed login)."""
    if session.info.get(EVENTS_KEY):
        session.flush()
        rows = _rows_for_events(session)
        if rows:
            _append(session, rows)


def _rows_for_objects(session: Session) -> list[dict[str, Any]]:
    reason = current_reason(session)
    rows: list[dict[str, Any]] = []
    for obj, action, changes in session.info.pop(PENDING_KEY, []):
        if changes is None:
            changes = [(key, None, getattr(obj, key)) for key in _field_keys(obj)]
        deleting = action == "delete"
        for key, old, new in changes:
            if action == "insert" and new is None:
                continue
            redact = key in obj.__audit_redact__
            rows.append(
                {
                    "action": action,
                    "table_name": obj.__tablename__,  # type: ignore[attr-defined]
                    "row_id": _row_id(obj),
                    "field": key,
                    "old_value": REDACTED if redact and old is not None else _text(old),
                    "new_value": REDACTED if redact and new is not None else _text(new),
                    "reason": obj.delete_reason if deleting else reason,
                    "subject_id": obj.audit_subject_id(),
                    "actor": None,
                }
            )
    return rows


def _row_id(obj: AuditedMixin) -> str:
    state = inspect(obj)
    return ",".join(str(v) for v in state.mapper.primary_key_from_instance(obj))


def _rows_for_events(session: Session) -> list[dict[str, Any]]:
    events: list[Event] = session.info.pop(EVENTS_KEY, [])
    return [
        {
            "action": e.action,
            "table_name": e.table_name,
            "row_id": e.row_id,
            "field": e.field,
            "old_value": e.old_value,
            "new_value": e.new_value,
            "reason": e.reason,
            "subject_id": e.subject_id,
            "actor": e.actor,
        }
        for e in events
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return chain._canonical(value)
    if isinstance(value, date | Decimal):
        return str(value.isoformat() if isinstance(value, date) else value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _append(session: Session, rows: list[dict[str, Any]]) -> None:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
    head = conn.execute(
        select(AuditLog.seq, AuditLog.hash).order_by(AuditLog.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0], head[1]) if head else (0, chain.GENESIS)
    checkpoints.record_written(session, seq, seq + len(rows))
    default_actor = current_actor(session)
    common = {"ts": utcnow(), **request_fields(), **versions()}
    out = []
    for row in rows:
        actor = row.pop("actor") or default_actor
        seq += 1
        full = {
            **common,
            **row,
            "seq": seq,
            "user_id": actor.user_id,
            "username": actor.username,
            "role": actor.role,
        }
        full["prev_hash"] = prev
        full["hash"] = prev = chain.row_hash(prev, full)
        out.append(full)
    conn.execute(insert(AuditLog.__table__), out)


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in audited_tables():
        raise AuditIntegrityError(
            f"bulk {'UPDATE' if state.is_update else 'DELETE'} on {table.name} refused: "
            "it would bypass the audit trail"
        )


def _clear(session: Session) -> None:
    session.info.pop(REASON_KEY, None)
    session.info.pop(EVENTS_KEY, None)
    session.info.pop(PENDING_KEY, None)
    session.info.pop(INSERTED_KEY, None)


def _clear_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _clear(session)
        session.info.pop(checkpoints.WRITTEN_KEY, None)
