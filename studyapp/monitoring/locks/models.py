"""The freezes and locks a data manager sets (audited: every insert and release)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studyapp.crf.status import FORM, FROZEN, LOCKED, STUDY, SUBJECT, VISIT
from studyapp.db import AuditedMixin, UTCDateTime, utcnow
from studyapp.extensions import db
from studyapp.subjects.models import Subject

SCOPES = (STUDY, SUBJECT, VISIT, FORM)
STATES = (FROZEN, LOCKED)


class DataLock(AuditedMixin, db.Model):  # type: ignore[name-defined]
    """One freeze or lock of a place; active until released (never deleted)."""

    __tablename__ = "data_lock"
    __table_args__ = (
        CheckConstraint("scope IN ('study', 'subject', 'visit', 'form')", name="scope"),
        CheckConstraint("state IN ('frozen', 'locked')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: study, subject, visit or form (``crf.status``).
    scope: Mapped[str] = mapped_column(String(10), nullable=False)
    #: The subject (None for a study lock).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"), index=True)
    #: The visit's VISITNUM as the calendar stores it (visit locks; form locks of a visit page).
    visitnum: Mapped[str | None] = mapped_column(String(10))
    #: The page key of the form (``crf.registry``: VS, CBC, AE ...) of a form lock.
    form: Mapped[str | None] = mapped_column(String(10))
    #: frozen or locked.
    state: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    #: Who released it, when and why (all None while active).
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_reason: Mapped[str | None] = mapped_column(Text)

    subject: Mapped[Subject | None] = relationship(Subject)

    @property
    def subject_label(self) -> str:
        """The subject's number (screening number before enrolment), as pages show it."""
        return self.subject.label if self.subject is not None else ""

    @property
    def active(self) -> bool:
        return self.released_at is None
