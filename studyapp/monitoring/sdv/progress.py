"""The monitor's SDV dashboard: verified and to-verify fields per subject, per visit and per
form, and the verifications a later change cleared (to re-check).

Computed in a fixed number of queries, whatever the number of subjects: one per planned form
code (its stored records), one for the marks, one each for the subjects, visits and users named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import null, select

from studyapp.audit import naming
from studyapp.auth.models import User
from studyapp.extensions import db
from studyapp.monitoring.sdv.models import SdvMark
from studyapp.monitoring.sdv.scope import Planned, planned
from studyapp.subjects.models import Subject
from studyapp.visits.models import Visit


@dataclass
class Tally:
    """Fields verified out of the fields to verify."""

    label: str
    verified: int = 0
    total: int = 0
    subject_id: int | None = None
    visitnum: str | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.verified / self.total) if self.total else 0


@dataclass(frozen=True)
class Cleared:
    """A verification a later change cleared, not verified again since."""

    mark: SdvMark
    subject: str
    cleared_by: str | None
    verified_by: str | None
    cleared_at: datetime
    #: The field's label on its form.
    field_label: str = ""


@dataclass
class Progress:
    subjects: list[Tally] = field(default_factory=list)
    visits: list[Tally] = field(default_factory=list)
    forms: list[Tally] = field(default_factory=list)
    cleared: list[Cleared] = field(default_factory=list)


Row = tuple[int, int | None, str, int, tuple[str, ...]]


def _records(item: Planned) -> list[Row]:
    """(subject id, visit id or None, table, row id, fields) of each stored record of the plan
    entry, and of each of their child rows (lab results) when the plan verifies those."""
    model: Any = item.model
    visit = model.visit_id if "visit_id" in model.__table__.columns else null()
    query = select(model.subject_id, visit, model.id).where(model.deleted_at.is_(None))
    if "form" in model.__table__.columns:
        query = query.where(model.form == item.code)
    table = model.__tablename__
    rows: list[Row] = [(s, v, table, r, item.fields) for s, v, r in db.session.execute(query)]
    if item.child is not None:
        child: Any = item.child
        parents = query.subquery()
        children = (
            select(parents.c[0], parents.c[1], child.id)
            .join(child, getattr(child, item.child_key) == parents.c[2])
            .where(child.deleted_at.is_(None))
        )
        rows += [
            (s, v, child.__tablename__, r, item.child_fields)
            for s, v, r in db.session.execute(children)
        ]
    return rows


def _names(model: Any, column: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def progress() -> Progress:
    """The dashboard's numbers for the whole study."""
    marks = list(db.session.scalars(select(SdvMark).order_by(SdvMark.id)))
    done = {(m.form, m.table_name, m.row_id, m.field) for m in marks if m.cleared_at is None}
    by_subject: dict[int, Tally] = {}
    by_visit: dict[tuple[int, int], Tally] = {}
    out = Progress()
    for item in planned():
        form = Tally(str(item.entry.label) + f" ({item.code})")
        out.forms.append(form)
        for subject_id, visit_id, table, row_id, fields in _records(item):
            verified = sum((item.code, table, row_id, f) in done for f in fields)
            tallies = [form, by_subject.setdefault(subject_id, Tally("", subject_id=subject_id))]
            if visit_id is not None:
                key = (subject_id, visit_id)
                tallies.append(by_visit.setdefault(key, Tally("", subject_id=subject_id)))
            for tally in tallies:
                tally.verified += verified
                tally.total += len(fields)
    _label(out, by_subject, by_visit)
    out.cleared = _cleared(marks, done)
    return out


def _label(out: Progress, by_subject: dict[int, Tally], by_visit: dict[Any, Tally]) -> None:
    """Name the subjects and visits of the tallies (one query each) and order them."""
    numbers = _names(Subject, Subject.subject_number, set(by_subject))
    screening = _names(Subject, Subject.screening_number, set(by_subject))
    visits = dict(
        (row.id, row)
        for row in db.session.execute(
            select(Visit.id, Visit.code, Visit.visitnum).where(
                Visit.id.in_({v for _s, v in by_visit})
            )
        )
    )
    for sid, tally in by_subject.items():
        tally.label = numbers.get(sid) or screening.get(sid) or str(sid)
    for (sid, vid), tally in by_visit.items():
        tally.label = f"{by_subject[sid].label} · {visits[vid].code}"
        tally.visitnum = visits[vid].visitnum
    out.subjects = sorted(by_subject.values(), key=lambda t: t.label)
    out.visits = sorted(by_visit.values(), key=lambda t: (t.label, t.visitnum or ""))


def _cleared(marks: list[SdvMark], done: set[tuple[str, str, int, str]]) -> list[Cleared]:
    """Cleared marks whose field has no active mark now, newest first, each field once."""
    latest: dict[tuple[str, str, int, str], SdvMark] = {}
    for m in marks:
        key = (m.form, m.table_name, m.row_id, m.field)
        if m.cleared_at is not None and key not in done:
            latest[key] = m
    if not latest:
        return []
    users = {m.cleared_by_id for m in latest.values()} | {m.verified_by_id for m in latest.values()}
    names = _names(User, User.username, {u for u in users if u is not None})
    subjects = {m.subject_id for m in latest.values()}
    numbers = _names(Subject, Subject.subject_number, subjects)
    describe = naming.describe()
    rows = [
        Cleared(
            m,
            numbers.get(m.subject_id) or str(m.subject_id),
            names.get(m.cleared_by_id) if m.cleared_by_id else None,
            names.get(m.verified_by_id),
            m.cleared_at,  # type: ignore[arg-type]
            describe.field(m.table_name, m.field),
        )
        for m in latest.values()
    ]
    return sorted(rows, key=lambda c: c.cleared_at, reverse=True)
