"""Small reads the export pages and writers share."""

from __future__ import annotations

from sqlalchemy import select

from studyapp.extensions import db
from studyapp.subjects.models import Subject


def study_subjects() -> list[Subject]:
    """Every subject on record (screened, enrolled or not), in order of registration."""
    query = select(Subject).where(Subject.deleted_at.is_(None)).order_by(Subject.id)
    return list(db.session.scalars(query))


def subject_choices() -> list[tuple[int, str]]:
    return [(s.id, s.label) for s in study_subjects()]
