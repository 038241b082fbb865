"""A stand-in CRF table for testing the audit machinery before real CRFs exist.

It is mapped on the application's metadata (so its audit behaviour is exactly that of a
feature model) but has no migration: tests create its table themselves, and the
migration check leaves it out.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.db import AuditedMixin
from studyapp.extensions import db

TABLE = "test_vitals"


class Vitals(AuditedMixin, db.Model):
    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)
    visit_date: Mapped[date | None] = mapped_column(Date)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    comment: Mapped[str | None] = mapped_column(String(200))


def create_table() -> None:
    Vitals.__table__.create(db.engine, checkfirst=True)
