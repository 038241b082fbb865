"""The audit trail: one append-only, hash-chained table (P11-05, REL-03)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.db import UTCDateTime
from studyapp.extensions import db

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditLog(db.Model):
    """One row per changed field or per security event. Never updated, never deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_table_row", "table_name", "row_id"),
        Index("ix_audit_log_subject_id", "subject_id"),
        Index("ix_audit_log_user_id", "user_id"),
        Index("ix_audit_log_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: Position in the chain, 1, 2, 3 ...; unique, so two writers cannot fork the chain.
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    #: UTC time the change was committed to the trail.
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(40))
    #: insert, update, delete, or a security event (login, logout, login_failed, lockout ...).
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    table_name: Mapped[str | None] = mapped_column(String(80))
    row_id: Mapped[str | None] = mapped_column(String(80))
    field: Mapped[str | None] = mapped_column(String(80))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    subject_id: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(255))
    app_version: Mapped[str | None] = mapped_column(String(40))
    protocol_version: Mapped[str | None] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
