"""The monitoring line of each casebook record (issue 14 item 6): the freeze or lock covering
it, its SDV marks (cleared ones said so) and the query threads of its page.

Monitoring imports exports (its CSV lists), so exports may not import monitoring: the subject's
locks, marks and queries come as plain facts through the hook ``facts_of``, answered by
``studyapp.monitoring.casebook`` in a fixed number of statements per subject. Here they are
replayed to the cut-off: a lock set by then and not released by then covers; a mark made by
then counts, cleared only if cleared by then; a query raised by then shows the messages
written by then, its state the one its last such message gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.labels import Labels
from studyapp.exports.casebook.values import local_time
from studyapp.hooks import Hook


@dataclass(frozen=True)
class LockFact:
    """A freeze or lock (scope study, subject, visit or form), with its release if any."""

    scope: str
    state: str
    visitnum: str | None
    form: str | None
    reason: str
    by: str
    set_at: datetime
    released_at: datetime | None


@dataclass(frozen=True)
class MarkFact:
    """A verified field of one row; ``cleared_at`` set once a later change cleared it."""

    table: str
    row_id: int
    field: str
    by: str
    at: datetime
    cleared_by: str
    cleared_at: datetime | None


@dataclass(frozen=True)
class MessageFact:
    author: str
    at: datetime
    kind: str
    text: str


@dataclass(frozen=True)
class QueryFact:
    """A query on a subject (``form`` None), a form page (``field`` None) or a field."""

    visitnum: str | None
    form: str | None
    field: str | None
    state: str
    raised_at: datetime
    messages: tuple[MessageFact, ...]


@dataclass(frozen=True)
class Facts:
    """One subject's monitoring facts (and the study's locks), oldest first."""

    locks: tuple[LockFact, ...] = ()
    marks: tuple[MarkFact, ...] = ()
    queries: tuple[QueryFact, ...] = ()


#: The monitoring facts of one subject, answered by monitoring.
facts_of: Hook[[int], Facts] = Hook("exports.casebook.facts_of", "studyapp.monitoring.casebook")

#: A query's state after a message of each kind (``monitoring.queries.models``).
STATE_AFTER = {"raise": "open", "reopen": "open", "reply": "answered", "answer": "answered"}
STATE_AFTER["close"] = "closed"
STATES = {"open": _l("open"), "answered": _l("answered"), "closed": _l("closed")}
LOCK_STATES = {"frozen": _l("Frozen"), "locked": _l("Locked")}
SCOPES = {"study": _l("study"), "subject": _l("subject"), "visit": _l("visit"), "form": _l("form")}
_RANK = {"study": 0, "subject": 1, "visit": 2, "form": 3}


@dataclass(frozen=True)
class Place:
    """Where a record is: its visit (None: a subject-level page) and page key (None: the
    subject itself). ``queries`` False: the page's queries are shown on another record."""

    visitnum: str | None
    form: str | None
    queries: bool = True


class Monitoring:
    """The facts of one subject as they stood at the cut-off, read once, asked per record."""

    def __init__(self, facts: Facts, asof: AsOf, labels: Labels) -> None:
        self.asof, self.labels = asof, labels
        self.locks = [k for k in facts.locks if self._active(k.set_at, k.released_at)]
        self.marks: dict[tuple[str, int], list[MarkFact]] = {}
        for mark in facts.marks:
            if asof.happened(mark.at):
                self.marks.setdefault((mark.table, mark.row_id), []).append(mark)
        self.queries = [q for q in facts.queries if asof.happened(q.raised_at)]

    def _active(self, start: datetime, end: datetime | None) -> bool:
        return self.asof.happened(start) and (end is None or not self.asof.happened(end))

    def line(self, place: Place, table: str, rows: Iterable[tuple[str, int, str]] = ()) -> str:
        """The record's monitoring text: lock, marks of its *rows* (table, id, name shown
        before a child's field, "" for the record's own), and its page's query threads."""
        parts = [self._lock(place)]
        for row_table, row_id, name in rows:
            parts += [
                self._mark(m, row_table, name) for m in self.marks.get((row_table, row_id), [])
            ]
        if place.queries:
            parts += [self._thread(q, table) for q in self._of(place)]
        return "\n".join(p for p in parts if p)

    def _lock(self, place: Place) -> str:
        found = sorted(
            (k for k in self.locks if _covers(k, place)),
            key=lambda k: (k.state != "locked", _RANK.get(k.scope, 9)),
        )
        if not found:
            return ""
        k = found[0]
        text = _(
            "%(state)s (%(scope)s) by %(by)s, %(at)s",
            state=LOCK_STATES.get(k.state, k.state),
            scope=SCOPES.get(k.scope, k.scope),
            by=k.by,
            at=local_time(k.set_at),
        )
        return f"{text}: {k.reason}" if k.reason else text

    def _mark(self, mark: MarkFact, table: str, name: str) -> str:
        field = self.labels.of(table, mark.field)
        field = f"{name}: {field}" if name else field
        done: str = _(
            "SDV %(field)s verified by %(by)s, %(at)s",
            field=field,
            by=mark.by,
            at=local_time(mark.at),
        )
        if mark.cleared_at is None or not self.asof.happened(mark.cleared_at):
            return done
        cleared = _(
            "cleared by a change (%(by)s, %(at)s)",
            by=mark.cleared_by,
            at=local_time(mark.cleared_at),
        )
        return f"{done}; {cleared}"

    def _of(self, place: Place) -> list[QueryFact]:
        return [q for q in self.queries if (q.visitnum, q.form) == (place.visitnum, place.form)]

    def _thread(self, query: QueryFact, table: str) -> str:
        kept = messages_then(query, self.asof)
        state = state_then(query, kept, self.asof)
        on = self.labels.of(table, query.field) if query.field else _("the whole form")
        head = _("Query on %(field)s: %(state)s", field=on, state=STATES.get(state, state))
        lines = [f"  {local_time(m.at)} {m.author}: {m.text}" for m in kept]
        return "\n".join([head, *lines])

    def threads(self, place: Place, table: str) -> str:
        """Only the query threads of a page (a list page shows them once, not per record)."""
        return "\n".join(self._thread(q, table) for q in self._of(place))


def messages_then(query: QueryFact, asof: AsOf) -> list[MessageFact]:
    """The messages of *query* written by the cut-off."""
    return [m for m in query.messages if asof.happened(m.at)]


def state_then(query: QueryFact, kept: list[MessageFact], asof: AsOf) -> str:
    """The query's state at the cut-off: the one its last message by then gave."""
    if asof.end is None or not kept:
        return query.state
    return STATE_AFTER.get(kept[-1].kind, query.state)


def _covers(lock: LockFact, place: Place) -> bool:
    """Whether *lock* covers *place* (as ``monitoring.locks.services.covering`` asks)."""
    if lock.scope in ("study", "subject"):
        return True
    if lock.scope == "visit":
        return place.visitnum is not None and lock.visitnum == place.visitnum
    return place.form is not None and (lock.visitnum, lock.form) == (place.visitnum, place.form)
