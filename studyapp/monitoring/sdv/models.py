"""The SDV mark: one field of one CRF record a monitor verified against the source.

A mark names the form code, the record (table and row id) and the field, the record version
verified, who verified it and when. A later change of the field clears the mark (when, by whom,
the reason for change given with it); the cleared mark stays, so the monitor's list of
verifications to re-check is the cleared marks with no newer mark of the same field.
Audited like study data: every insert and clearing is a row of the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.db import AuditedMixin, UTCDateTime, utcnow
from studyapp.extensions import db


class SdvMark(AuditedMixin, db.Model):
    """A verified field; ``cleared_at`` set when a later change cleared the verification."""

    __tablename__ = "sdv_mark"
    __table_args__ = (
        Index("ix_sdv_mark_record", "table_name", "row_id"),
        # One active mark per field: the loser of two simultaneous verifications gets a 409.
        Index(
            "uq_sdv_mark_active",
            "form",
            "table_name",
            "row_id",
            "field",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )
    #: Clearing is workflow: the reason is the one of the change that cleared it.
    __audit_no_reason__: ClassVar[frozenset[str]] = frozenset(
        {"cleared_at", "cleared_by_id", "cleared_reason"}
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False, index=True)
    form: Mapped[str] = mapped_column(String(20), nullable=False)  # protocol form code
    table_name: Mapped[str] = mapped_column(String(64), nullable=False)
    row_id: Mapped[int] = mapped_column(Integer, nullable=False)
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The version of the record the monitor verified.
    record_version: Mapped[int] = mapped_column(Integer, nullable=False)
    verified_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cleared_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def active(self) -> bool:
        return self.cleared_at is None
