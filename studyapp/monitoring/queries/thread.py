"""The queries of the form page being shown, as plain data for the shared CRF templates.

``page_queries()`` is a template global: the CRF layout (``templates/visits/_crf.html``) and
the field macro (``templates/macros/crf.html``) ask it, so every form shows its markers and
threads without a line in its own view. The page is found from the request's endpoint; the
queries are read once per request in three statements (queries, messages, authors).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.extensions import db
from studyapp.monitoring.queries import models as m
from studyapp.monitoring.queries.services import on_page
from studyapp.permissions import Action, can


@dataclass(frozen=True)
class Message:
    author: str
    at: datetime
    kind: str
    text: str


@dataclass(frozen=True)
class Thread:
    id: int
    field: str | None
    state: str
    raised_at: datetime
    messages: list[Message]


@dataclass
class PageQueries:
    """The queries of one form page (subject, visit, page key) and who may do what here."""

    subject_id: int
    visitnum: str | None
    form: str | None
    threads: list[Thread] = field(default_factory=list)
    may_raise: bool = False
    may_answer: bool = False
    #: The fields a query may name (the form's record columns).
    fields: tuple[str, ...] = ()
    #: The one-time token of the page's "raise a query" form (a repeat makes no second query).
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def on_field(self, name: str) -> list[Thread]:
        """The open or answered queries of one field (its marker)."""
        return [t for t in self.threads if t.field == name and t.state != m.CLOSED]


def field_labels(code: str) -> dict[str, str]:
    """The fields of a form a query may name, each with its column name as label."""
    entry = registry.FORMS.get(code)
    if entry is None:
        return {}
    return {name: name for name in registry.fields_of(entry.page.key)}


def _authors(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = select(User.id, User.full_name).where(User.id.in_(ids))
    return {uid: name for uid, name in db.session.execute(found)}


def _threads(queries: list[m.DataQuery]) -> list[Thread]:
    names = _authors({msg.author_id for q in queries for msg in q.messages})
    return [
        Thread(
            q.id,
            q.field,
            q.state,
            q.raised_at,
            [Message(names.get(x.author_id, "?"), x.at, x.kind, x.text) for x in q.messages],
        )
        for q in queries
    ]


def _from_request() -> tuple[int, str | None, str] | None:
    if not has_request_context() or not request.view_args:
        return None
    page = registry.page_at(request.endpoint, request.view_args)
    subject_id = request.view_args.get("subject_id")
    if page is None or not isinstance(subject_id, int):
        return None
    visitnum = request.view_args.get("visitnum") if page.per_visit else None
    return subject_id, visitnum, page.key


def page_queries(
    subject_id: int | None = None,
    visitnum: str | None = None,
    form: str | None = None,
    only: int | None = None,
) -> PageQueries | None:
    """The queries of a form page (no arguments: the page of this request), once a request."""
    if subject_id is None:
        cached = g.get("page_queries")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        where = _from_request()
        if where is None or not can(current_user, Action.VIEW_STUDY_DATA):
            return None
        g.page_queries = page_queries(*where)
        return g.page_queries  # type: ignore[no-any-return]
    found = [q for q in on_page(subject_id, visitnum, form) if only is None or q.id == only]
    return PageQueries(
        subject_id,
        visitnum,
        form,
        _threads(found),
        may_raise=can(current_user, Action.RAISE_QUERY),
        may_answer=can(current_user, Action.ANSWER_QUERY),
        fields=registry.fields_of(form) if form else (),
    )
