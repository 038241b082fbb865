"""Gap-tolerant, never-reused number sequences (screening and subject numbers, PRV-01).

A number taken is never given again, even if its transaction rolls back later: the
counter row is incremented in the same transaction as the record that uses it, under
the database's row lock (PostgreSQL) or write lock (SQLite).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.extensions import db

SCREENING = "screening"
SUBJECT = "subject"


class Counter(db.Model):
    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def next_value(name: str) -> int:
    """Increment counter ``name`` and return its new value (1, 2, 3 ...)."""
    table = Counter.__table__
    stmt = (
        update(table)
        .where(table.c.name == name)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    value = db.session.execute(stmt).scalar()
    if value is None:
        raise LookupError(f"no counter named {name!r}: it is created by a migration")
    return int(value)


def formatted(prefix: str, width: int, value: int) -> str:
    """``ITP-`` and 3 and 7 give ``ITP-007``."""
    return f"{prefix}{value:0{width}d}"
