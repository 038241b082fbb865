"""A signature binds a person, a meaning and a time to the content of one record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.db import AuditedMixin, UTCDateTime
from studyapp.extensions import db


class Signature(AuditedMixin, db.Model):
    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    #: The signer's printed name and role at the time of signing (P11-13).
    printed_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    #: What the signature means, e.g. "Investigator confirmation of eligibility".
    meaning: Mapped[str] = mapped_column(String(200), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: The signed record: a signature never moves to another one (P11-14).
    table_name: Mapped[str] = mapped_column(String(80), nullable=False)
    row_id: Mapped[str] = mapped_column(String(80), nullable=False)
    subject_id: Mapped[int | None] = mapped_column(Integer)
    #: SHA-256 of the canonical JSON of the signed content.
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    #: ``valid`` or ``invalidated`` (the signed content changed afterwards).
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="valid")
    invalidated_reason: Mapped[str | None] = mapped_column(Text)

    def audit_subject_id(self) -> int | None:
        return self.subject_id

    @property
    def role_label(self) -> str:
        from studyapp.permissions import ROLE_LABELS, Role

        return str(ROLE_LABELS[Role(self.role)])
