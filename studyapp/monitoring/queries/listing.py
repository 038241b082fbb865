"""The lists of queries (per role, filtered, as CSV) and their metrics per subject and visit.

Each list is read in one statement (queries, subject, author), whatever the number of rows.
Age in days: from raising to closing for a closed query, to now for an open or answered one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from studyapp.auth.models import User
from studyapp.db import utcnow
from studyapp.extensions import db
from studyapp.monitoring.queries import models as m
from studyapp.permissions import Action, can, require
from studyapp.subjects.models import Subject

ANY = "any"


@dataclass(frozen=True)
class Filters:
    """What the list shows; ``state`` None: the role's default (``default_state``)."""

    state: str | None = None
    subject_id: int | None = None
    visitnum: str | None = None
    form: str | None = None


@dataclass(frozen=True)
class Row:
    id: int
    subject_id: int
    subject: str
    visitnum: str | None
    form: str | None
    field: str | None
    state: str
    raised_by: str
    raised_at: datetime
    closed_at: datetime | None
    age_days: int
    question: str


def default_state(actor: User) -> str:
    """Site roles see what they have to answer; monitors and DMs what they have to review."""
    if can(actor, Action.ANSWER_QUERY):
        return m.OPEN
    if can(actor, Action.RAISE_QUERY):
        return m.ANSWERED
    return ANY


def age_days(raised_at: datetime, closed_at: datetime | None, now: datetime) -> int:
    return ((closed_at or now) - raised_at).days


def _statement(filters: Filters, state: str) -> Select[Any]:
    author = aliased(User)
    label = db.func.coalesce(Subject.subject_number, Subject.screening_number)
    question = (
        select(m.QueryMessage.text)
        .where(m.QueryMessage.query_id == m.DataQuery.id, m.QueryMessage.kind == m.RAISE)
        .order_by(m.QueryMessage.id)
        .limit(1)
        .scalar_subquery()
    )
    found = (
        select(m.DataQuery, label, author.full_name, question)
        .join(Subject, Subject.id == m.DataQuery.subject_id)
        .join(author, author.id == m.DataQuery.raised_by_id)
        .where(m.DataQuery.deleted_at.is_(None))
    )
    if state != ANY:
        found = found.where(m.DataQuery.state == state)
    if filters.subject_id is not None:
        found = found.where(m.DataQuery.subject_id == filters.subject_id)
    if filters.visitnum:
        found = found.where(m.DataQuery.visitnum == filters.visitnum)
    if filters.form:
        found = found.where(m.DataQuery.form == filters.form)
    return found.order_by(m.DataQuery.raised_at, m.DataQuery.id)


def rows(actor: User, filters: Filters) -> tuple[str, list[Row]]:
    """The state shown (the filter's, else the role's default) and the rows, oldest first."""
    require(actor, Action.VIEW_STUDY_DATA)
    state = filters.state or default_state(actor)
    now = utcnow()
    found = [
        Row(
            q.id,
            q.subject_id,
            subject,
            q.visitnum,
            q.form,
            q.field,
            q.state,
            author,
            q.raised_at,
            q.closed_at,
            age_days(q.raised_at, q.closed_at, now),
            text or "",
        )
        for q, subject, author, text in db.session.execute(_statement(filters, state))
    ]
    return state, found


CSV_HEADER = (
    "query_id",
    "subject",
    "visitnum",
    "form",
    "field",
    "state",
    "raised_by",
    "raised_at_utc",
    "closed_at_utc",
    "age_days",
    "question",
)


def csv_rows(found: list[Row]) -> Iterator[tuple[Any, ...]]:
    for r in found:
        yield (
            r.id,
            r.subject,
            r.visitnum,
            r.form,
            r.field,
            r.state,
            r.raised_by,
            r.raised_at,
            r.closed_at,
            r.age_days,
            r.question,
        )


@dataclass(frozen=True)
class Metric:
    """Counts of one subject or visit, and the median age in days of all its queries."""

    key: str
    open: int
    answered: int
    closed: int
    median_age: float


def _metric(key: str, group: list[Row]) -> Metric:
    states = [r.state for r in group]
    return Metric(
        key,
        states.count(m.OPEN),
        states.count(m.ANSWERED),
        states.count(m.CLOSED),
        float(median(r.age_days for r in group)),
    )


def metrics(found: list[Row]) -> tuple[list[Metric], list[Metric]]:
    """Per subject and per visit (a subject-level query counts under "—" for visits)."""
    by_subject: dict[str, list[Row]] = {}
    by_visit: dict[str, list[Row]] = {}
    for r in found:
        by_subject.setdefault(r.subject, []).append(r)
        by_visit.setdefault(r.visitnum or "—", []).append(r)
    return (
        [_metric(k, g) for k, g in sorted(by_subject.items())],
        [_metric(k, by_visit[k]) for k in sorted(by_visit, key=_visit_order)],
    )


def _visit_order(visitnum: str) -> tuple[float, str]:
    """Visits in the protocol's numeric order ("2" before "10"), the subject row ("—") last."""
    try:
        return float(visitnum), visitnum
    except ValueError:
        return float("inf"), visitnum
