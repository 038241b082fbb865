"""The answer to the casebook's hook ``exports.casebook.monitoring.facts_of``: one subject's
freezes and locks (with the study's), SDV marks and query threads as plain facts, read in
five statements whatever the number of records (locks, marks, queries, messages, names)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from studyapp.auth.models import User
from studyapp.crf.status import STUDY
from studyapp.exports.casebook.monitoring import (
    Facts,
    LockFact,
    MarkFact,
    MessageFact,
    QueryFact,
    facts_of,
)
from studyapp.extensions import db
from studyapp.monitoring.locks.models import DataLock
from studyapp.monitoring.queries.models import DataQuery
from studyapp.monitoring.sdv.models import SdvMark


def _names(ids: set[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = select(User.id, User.full_name).where(User.id.in_(wanted))
    return {uid: name for uid, name in db.session.execute(found)}


@facts_of.answer
def subject_facts(subject_id: int) -> Facts:
    """Every freeze, lock, mark and query of the subject (released and cleared ones too)."""
    locks = list(
        db.session.scalars(
            select(DataLock)
            .where(or_(DataLock.subject_id == subject_id, DataLock.scope == STUDY))
            .order_by(DataLock.id)
        )
    )
    marks = list(
        db.session.scalars(
            select(SdvMark).where(SdvMark.subject_id == subject_id).order_by(SdvMark.id)
        )
    )
    queries = list(
        db.session.scalars(
            select(DataQuery)
            .where(DataQuery.subject_id == subject_id, DataQuery.deleted_at.is_(None))
            .options(selectinload(DataQuery.messages))
            .order_by(DataQuery.id)
        )
    )
    ids: set[int | None] = {k.set_by_id for k in locks}
    ids |= {m.verified_by_id for m in marks} | {m.cleared_by_id for m in marks}
    ids |= {x.author_id for q in queries for x in q.messages}
    names = _names(ids)
    return Facts(
        tuple(_lock(k, names) for k in locks if k.deleted_at is None),
        tuple(_mark(m, names) for m in marks if m.deleted_at is None),
        tuple(_query(q, names) for q in queries),
    )


def _lock(lock: DataLock, names: dict[int | None, str]) -> LockFact:
    return LockFact(
        scope=lock.scope,
        state=lock.state,
        visitnum=lock.visitnum,
        form=lock.form,
        reason=lock.reason or "",
        by=names.get(lock.set_by_id, "?"),
        set_at=lock.set_at,
        released_at=lock.released_at,
    )


def _mark(mark: SdvMark, names: dict[int | None, str]) -> MarkFact:
    return MarkFact(
        table=mark.table_name,
        row_id=mark.row_id,
        field=mark.field,
        by=names.get(mark.verified_by_id, "?"),
        at=mark.verified_at,
        cleared_by=names.get(mark.cleared_by_id, "?"),
        cleared_at=mark.cleared_at,
    )


def _query(query: DataQuery, names: dict[int | None, str]) -> QueryFact:
    messages = tuple(
        MessageFact(names.get(x.author_id, "?"), x.at, x.kind, x.text)
        for x in query.messages
        if x.deleted_at is None
    )
    return QueryFact(
        query.visitnum, query.form, query.field, query.state, query.raised_at, messages
    )
