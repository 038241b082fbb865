"""Casebook sign-off (issue 14, item 3; P11-13, P11-14, P11-16, GCP-09).

The investigator signs a subject's casebook, or one visit of it, through the signature
service (``studyapp.signatures.services.sign``: the password every time, the username at the
first signing of a session). The signature covers the SHA-256 of the exact records signed:
every CRF record of the subject (or of the visit), read through the form registry
(``studyapp.crf.registry``), with its table, id, version and stored values.

A later change to a covered record makes the signature no longer apply: after every CRF save
or removal ``studyapp.crf.save`` asks the hook ``CONTENT_CHANGED``, answered here, which
marks each of the subject's valid sign-offs whose content moved as invalidated, with the
reason "signed content changed" in the audit trail. The investigator then signs again.
Writes that do not go through the save sequence (a grade change ending the earlier adverse
event record, a DLT decision) are caught at commit: ``install`` listens on every session
for flushed covered rows and checks their subjects' sign-offs before the commit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import has_app_context
from flask_babel import gettext as _
from sqlalchemy import event, func, select, union
from sqlalchemy.orm import Session

from studyapp.audit import set_reason
from studyapp.audit.context import current_reason
from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.crf.save import CONTENT_CHANGED
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.signatures import meanings
from studyapp.signatures import services as signatures
from studyapp.signatures.models import Signature
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.visits.models import Visit

#: The meanings stored with the signature (English, as every meaning is stored).
CASEBOOK_MEANING = meanings.CASEBOOK
VISIT_MEANING = meanings.VISIT
#: The reason for change written to the audit trail when a sign-off stops applying.
CHANGED_REASON = "signed content changed"

UNSIGNED, SIGNED, INVALIDATED = "unsigned", "signed", "invalidated"


#: A stored meaning in the user's language (an unknown one as stored).
meaning_label = meanings.meaning_label


@dataclass(frozen=True)
class SignOffState:
    """Where a casebook (or a visit) stands: unsigned, signed (valid) or invalidated."""

    state: str
    #: The latest sign-off, None when never signed.
    signature: Signature | None

    @property
    def current(self) -> bool:
        return self.state == SIGNED


# --- the covered content ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _models() -> list[type]:
    """Every model of the registry's form codes, each once, in the registry's order."""
    out: list[type] = []
    for entry in registry.FORMS.values():
        for model in entry.model_classes():
            if model not in out:
                out.append(model)
    return out


def _parent_column(child: type, parents: list[type]) -> tuple[Any, type] | None:
    """The column of *child* pointing at one of *parents* (a child row of a visit record)."""
    tables = {parent.__table__: parent for parent in parents}  # type: ignore[attr-defined]
    for column in child.__table__.columns:  # type: ignore[attr-defined]
        for key in column.foreign_keys:
            if key.column.table in tables:
                return column, tables[key.column.table]
    return None


def _rows(subject_id: int, visit: Visit | None) -> Iterator[Any]:
    """The covered rows: the subject's, or those of one visit (child rows through parents)."""
    models = _models()
    visit_ids: dict[type, list[int]] = {}
    for model in models:
        query = select(model).where(model.subject_id == subject_id)  # type: ignore[attr-defined]
        if visit is not None:
            columns = model.__table__.columns  # type: ignore[attr-defined]
            if "visit_id" in columns:
                query = query.where(columns["visit_id"] == visit.id)
            else:
                parent = _parent_column(model, list(visit_ids))
                if parent is None:
                    continue  # a subject-level record (adverse events): not of one visit
                query = query.where(parent[0].in_(visit_ids[parent[1]] or [-1]))
        rows = list(db.session.scalars(query.order_by(model.id)))  # type: ignore[attr-defined]
        visit_ids[model] = [row.id for row in rows]
        yield from rows


#: Bookkeeping columns left out of the signed content: a monitor's verification, a freeze or
#: a lock moves a record's status and version without changing what the investigator signed.
NOT_SIGNED = frozenset({"version", "status", "updated_at", "updated_by_id"})


def casebook_content(subject_id: int, visit: Visit | None = None) -> dict[str, Any]:
    """The canonical mapping of the covered records: ``table:id`` -> table, id and every
    stored value but the bookkeeping (``NOT_SIGNED``), for the SHA-256 the signature keeps
    (P11-14). A removal (``deleted_at``) is a change of content."""
    content: dict[str, Any] = {}
    for row in _rows(subject_id, visit):
        table = row.__tablename__
        values = {
            c.key: _plain(getattr(row, c.key))
            for c in row.__table__.columns
            if c.key not in NOT_SIGNED
        }
        content[f"{table}:{row.id}"] = {"table": table, "id": row.id, "values": values}
    return content


# --- signing and state --------------------------------------------------------------------


def _target(subject: Subject, visit: Visit | None) -> tuple[str, str, str]:
    if visit is None:
        return "subject", str(subject.id), CASEBOOK_MEANING
    return "visit", str(visit.id), VISIT_MEANING


def _subject(subject_id: int) -> Subject:
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(_("No such subject."))
    return subject


def find_visit(subject_id: int, visitnum: str) -> Visit:
    """The subject's visit by number; NotFound (404) when there is none."""
    visit = db.session.scalar(
        select(Visit).where(Visit.subject_id == subject_id, Visit.visitnum == visitnum)
    )
    if visit is None:
        raise NotFound(_("No such visit."))
    return visit


def sign_casebook(
    actor: User,
    subject_id: int,
    username: str | None,
    password: str,
    visit: Visit | None = None,
) -> Signature:
    """The investigator signs the subject's casebook (or one visit); flushed, not committed.

    Raises PermissionDenied (403), NotFound (404), Conflict (409: not enrolled, no data, or
    already signed and unchanged) and SignatureRefused (422: wrong credentials, counted).
    """
    require(actor, Action.SIGN)
    subject = _subject(subject_id)
    if visit is not None and visit.subject_id != subject.id:
        raise NotFound(_("No such visit."))
    if subject.status != ENROLLED:
        raise Conflict(_("Only an enrolled subject's casebook is signed."))
    content = casebook_content(subject.id, visit)
    if not content:
        raise Conflict(_("There is no data to sign yet."))
    if casebook_state(subject.id, visit).current:
        raise Conflict(_("The casebook is signed and unchanged since."))
    table, row_id, meaning = _target(subject, visit)
    return signatures.sign(
        actor,
        password=password,
        username=username,
        meaning=meaning,
        table_name=table,
        row_id=row_id,
        subject_id=subject.id,
        content=content,
    )


def latest_signature(subject_id: int, visit: Visit | None = None) -> Signature | None:
    table, row_id, meaning = _target(_subject(subject_id), visit)
    query = (
        select(Signature)
        .where(Signature.table_name == table, Signature.row_id == row_id)
        .where(Signature.meaning == meaning)
        .order_by(Signature.id.desc())
    )
    return db.session.scalars(query).first()


def casebook_state(subject_id: int, visit: Visit | None = None) -> SignOffState:
    """Unsigned, signed (valid, content unchanged) or invalidated (changed since signing)."""
    signature = latest_signature(subject_id, visit)
    if signature is None:
        return SignOffState(UNSIGNED, None)
    if signatures.is_current(signature, casebook_content(subject_id, visit)):
        return SignOffState(SIGNED, signature)
    return SignOffState(INVALIDATED, signature)


def visit_states(subject_id: int) -> list[tuple[Visit, SignOffState]]:
    """The subject's visits holding data, in order, each with its own sign-off state."""
    query = select(Visit).where(Visit.subject_id == subject_id).order_by(Visit.id)
    return [
        (visit, casebook_state(subject_id, visit))
        for visit in db.session.scalars(query)
        if casebook_content(subject_id, visit)
    ]


# --- invalidation -------------------------------------------------------------------------


def _valid_signoffs(subject_id: int) -> list[Signature]:
    query = select(Signature).where(
        Signature.subject_id == subject_id,
        Signature.status == "valid",
        Signature.meaning.in_((CASEBOOK_MEANING, VISIT_MEANING)),
    )
    return list(db.session.scalars(query))


def _content_of(signature: Signature) -> dict[str, Any]:
    if signature.table_name == "visit":
        visit = db.session.get(Visit, int(signature.row_id))
        return casebook_content(signature.subject_id or 0, visit) if visit else {}
    return casebook_content(int(signature.row_id))


@CONTENT_CHANGED.answer
def invalidate_changed(subject_id: int) -> list[Signature]:
    """Mark each valid sign-off of the subject whose content changed as invalidated, audited
    with the reason "signed content changed" (P11-14); the records' own reason is kept for
    whatever the caller flushes next."""
    changed = [
        s
        for s in _valid_signoffs(subject_id)
        if s.content_hash != signatures.content_hash(_content_of(s))
    ]
    if not changed:
        return []
    previous = current_reason(db.session)
    set_reason(CHANGED_REASON)
    for signature in changed:
        signature.status = "invalidated"
        signature.invalidated_reason = CHANGED_REASON
    db.session.flush()
    set_reason(previous)
    return changed


# --- the net at commit -------------------------------------------------------------------

#: Session.info key: the subjects whose covered rows were flushed in this transaction.
TOUCHED_KEY = "signoff_touched_subjects"


@functools.cache
def _covered_tables() -> frozenset[str]:
    return frozenset(model.__tablename__ for model in _models())  # type: ignore[attr-defined]


def _collect(session: Session, _ctx: Any) -> None:
    tables = _covered_tables()
    touched = session.info.setdefault(TOUCHED_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in tables:
            touched.add(obj.subject_id)


def _check_touched(session: Session) -> None:
    if not has_app_context() or session is not db.session():
        return  # another session (a side connection) is left alone
    session.flush()  # before_commit comes before the commit's own flush
    touched = session.info.pop(TOUCHED_KEY, set())
    if touched:
        for subject_id in sorted(touched):
            invalidate_changed(subject_id)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(TOUCHED_KEY, None)


def install() -> None:
    """Listen on every Session once (idempotent: create_app may run many times)."""
    for name, fn in (
        ("after_flush", _collect),
        ("before_commit", _check_touched),
        ("after_soft_rollback", _forget),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


# --- the investigator's to-do list ----------------------------------------------------------


@dataclass(frozen=True)
class ToDo:
    subject: Subject
    state: SignOffState
    #: None: the whole casebook; else the visit whose own sign-off no longer applies.
    visit: Visit | None = None


def _latest(table: str, meaning: str) -> dict[str, Signature]:
    """The latest signature of each signed record of *table* with *meaning*, by row id."""
    newest = (
        select(func.max(Signature.id))
        .where(Signature.table_name == table, Signature.meaning == meaning)
        .group_by(Signature.row_id)
    )
    query = select(Signature).where(Signature.id.in_(newest.scalar_subquery()))
    return {signature.row_id: signature for signature in db.session.scalars(query)}


def _subjects_with_data() -> set[int]:
    """The subjects holding any covered record: one statement over every covered table."""
    parts = [
        select(model.subject_id)  # type: ignore[attr-defined]
        for model in _models()
    ]
    return set(db.session.scalars(union(*parts)))


def _state_of(signature: Signature) -> SignOffState:
    """A sign-off's state as stored: invalidation is written when the content changes
    (``invalidate_changed``, before every commit), so a list needs no re-hash per subject."""
    return SignOffState(SIGNED if signature.status == "valid" else INVALIDATED, signature)


def to_do(actor: User) -> tuple[list[ToDo], list[ToDo]]:
    """(ready to sign, needing re-signing): enrolled subjects with data and no valid casebook
    signature, split by whether an earlier one stopped applying; then the visits whose own
    sign-off stopped applying (GCP-09). A fixed number of statements however many subjects:
    the latest sign-off per subject and per visit, and one "has data" query."""
    require(actor, Action.VIEW_STUDY_DATA)
    ready: list[ToDo] = []
    again: list[ToDo] = []
    casebooks = _latest("subject", CASEBOOK_MEANING)
    with_data = _subjects_with_data()
    query = select(Subject).where(Subject.status == ENROLLED).order_by(Subject.subject_number)
    subjects = list(db.session.scalars(query))
    for subject in subjects:
        signature = casebooks.get(str(subject.id))
        if signature is not None and signature.status != "valid":
            again.append(ToDo(subject, _state_of(signature)))
        elif signature is None and subject.id in with_data:
            ready.append(ToDo(subject, SignOffState(UNSIGNED, None)))
    return ready, again + _visits_again()


def _visits_again() -> list[ToDo]:
    """The visits whose latest sign-off no longer applies."""
    stale = {
        int(row_id): signature
        for row_id, signature in _latest("visit", VISIT_MEANING).items()
        if signature.status != "valid"
    }
    if not stale:
        return []
    visits = list(db.session.scalars(select(Visit).where(Visit.id.in_(stale)).order_by(Visit.id)))
    owners = {visit.subject_id for visit in visits}
    subjects = {s.id: s for s in db.session.scalars(select(Subject).where(Subject.id.in_(owners)))}
    return [ToDo(subjects[visit.subject_id], _state_of(stale[visit.id]), visit) for visit in visits]
