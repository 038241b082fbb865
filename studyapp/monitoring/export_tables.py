"""The monitoring tables the CSV export writes (``exports.monitoring_tables.tables_of``): one
row per query message, per SDV mark and per freeze or lock, of the subjects in the export's
scope, made on or before its cut-off day; times in UTC, people by username."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from studyapp.auth.models import User
from studyapp.exports.monitoring_tables import Table, tables_of
from studyapp.exports.scope import Scope, stream
from studyapp.monitoring.locks.models import DataLock
from studyapp.monitoring.queries import models as q
from studyapp.monitoring.sdv.models import SdvMark
from studyapp.subjects.models import Subject

QUERY_HEADER = [
    "subject", "query_id", "visitnum", "form", "field", "state", "message_seq", "kind",
    "author", "at_utc", "text",
]  # fmt: skip
SDV_HEADER = [
    "subject", "form", "table_name", "row_id", "field", "record_version", "verified_by",
    "verified_at_utc", "cleared_by", "cleared_at_utc", "cleared_reason",
]  # fmt: skip
LOCK_HEADER = [
    "subject", "scope", "visitnum", "form", "state", "reason", "set_by", "set_at_utc",
    "released_by", "released_at_utc", "release_reason",
]  # fmt: skip


def _end(scope: Scope) -> datetime | None:
    """The first moment after the cut-off day (UTC), None without a cut-off."""
    if scope.cutoff is None:
        return None
    return datetime.combine(scope.cutoff + timedelta(days=1), time(), UTC)


def _label() -> Any:
    return Subject.subject_number.label("number"), Subject.screening_number.label("screening")


def _queries(scope: Scope) -> Iterator[list[Any]]:
    author = aliased(User)
    query = (
        select(*_label(), q.DataQuery, q.QueryMessage, author.username)
        .join(q.DataQuery, q.DataQuery.subject_id == Subject.id)
        .join(q.QueryMessage, q.QueryMessage.query_id == q.DataQuery.id)
        .join(author, author.id == q.QueryMessage.author_id)
        .where(Subject.id.in_(scope.subject_ids()), q.DataQuery.deleted_at.is_(None))
        .order_by(Subject.id, q.DataQuery.id, q.QueryMessage.id)
    )
    if (end := _end(scope)) is not None:
        query = query.where(q.QueryMessage.at < end)
    seqs: dict[int, int] = {}
    for number, screening, dq, msg, username in stream(query):
        seqs[dq.id] = seqs.get(dq.id, 0) + 1
        yield [
            number or screening, dq.id, dq.visitnum, dq.form, dq.field, dq.state,
            seqs[dq.id], msg.kind, username, msg.at, msg.text,
        ]  # fmt: skip


def _marks(scope: Scope) -> Iterator[list[Any]]:
    by, cleared = aliased(User), aliased(User)
    query = (
        select(*_label(), SdvMark, by.username, cleared.username)
        .join(SdvMark, SdvMark.subject_id == Subject.id)
        .join(by, by.id == SdvMark.verified_by_id)
        .outerjoin(cleared, cleared.id == SdvMark.cleared_by_id)
        .where(Subject.id.in_(scope.subject_ids()))
        .order_by(Subject.id, SdvMark.id)
    )
    end = _end(scope)
    if end is not None:
        query = query.where(SdvMark.verified_at < end)
    for number, screening, mark, verifier, clearer in stream(query):
        still = end is None or mark.cleared_at is None or mark.cleared_at < end
        yield [
            number or screening, mark.form, mark.table_name, mark.row_id, mark.field,
            mark.record_version, verifier, mark.verified_at,
            clearer if still else None, mark.cleared_at if still else None,
            mark.cleared_reason if still else None,
        ]  # fmt: skip


def _locks(scope: Scope) -> Iterator[list[Any]]:
    by, released = aliased(User), aliased(User)
    query = (
        select(*_label(), DataLock, by.username, released.username)
        .select_from(DataLock)
        .outerjoin(Subject, Subject.id == DataLock.subject_id)
        .join(by, by.id == DataLock.set_by_id)
        .outerjoin(released, released.id == DataLock.released_by_id)
        .where(or_(DataLock.subject_id.is_(None), DataLock.subject_id.in_(scope.subject_ids())))
        .order_by(DataLock.id)
    )
    end = _end(scope)
    if end is not None:
        query = query.where(DataLock.set_at < end)
    for number, screening, lock, setter, releaser in stream(query):
        gone = lock.released_at is not None and (end is None or lock.released_at < end)
        yield [
            number or screening, lock.scope, lock.visitnum, lock.form, lock.state, lock.reason,
            setter, lock.set_at, releaser if gone else None,
            lock.released_at if gone else None, lock.release_reason if gone else None,
        ]  # fmt: skip


@tables_of.answer
def tables(scope: Scope) -> list[Table]:
    return [
        ("monitoring/query_messages.csv", QUERY_HEADER, _queries(scope)),
        ("monitoring/sdv_marks.csv", SDV_HEADER, _marks(scope)),
        ("monitoring/locks.csv", LOCK_HEADER, _locks(scope)),
    ]
