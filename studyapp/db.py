"""Database plumbing shared by every feature: UTC time type, engine set-up, model mixins.

A feature model gets audit, versioning and soft delete by inheriting ``AuditedMixin``;
the session hooks in ``studyapp.audit.capture`` do the rest.
"""

from __future__ import annotations

import contextvars
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Engine, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

#: The site's time zone outside an application context (config SITE_TIMEZONE otherwise).
DEFAULT_SITE_TIMEZONE = "Asia/Shanghai"
#: Set by tests to freeze the application clock (in the calling context only).
_clock: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("clock", default=None)
#: Set by the test suite to pin the clock of every thread (``pin_clock``).
_pinned: datetime | None = None


def utcnow() -> datetime:
    """The application clock: an aware UTC datetime (GCP-06).

    ``freeze_clock`` (this context) wins over ``pin_clock`` (every thread), which wins over
    the system clock.
    """
    frozen = _clock.get()
    if frozen is None:
        frozen = _pinned
    return frozen if frozen is not None else datetime.now(UTC)


def site_today() -> date:
    """Today at the site: clinical dates are the site's calendar dates, not UTC ones (GCP-07).

    At 07:00 in Shanghai it is still yesterday in UTC; a visit dated today must not be
    refused as "in the future", nor a window counted a day late.
    """
    return utcnow().astimezone(site_zone()).date()


def site_zone() -> ZoneInfo:
    """The site's time zone (config SITE_TIMEZONE): times typed at the site are local."""
    from flask import current_app, has_app_context

    return ZoneInfo(
        current_app.config["SITE_TIMEZONE"] if has_app_context() else DEFAULT_SITE_TIMEZONE
    )


def freeze_clock(moment: datetime | None) -> None:
    """Freeze (or, with None, release) the clock; for tests and demo data only.

    The freeze holds in the calling context (thread) only; released, the clock is again
    the pinned one (``pin_clock``), else the system clock.
    """
    _clock.set(moment)


def pin_clock(moment: datetime | None) -> None:
    """Pin (or, with None, release) the clock of every thread; for the test suite only.

    A live server under test answers in its own threads, which do not see
    ``freeze_clock``; the suite's runs at the site's midnight pin the clock here
    (tests/conftest.py). ``moment`` must be aware.
    """
    global _pinned
    if moment is not None and moment.utcoffset() is None:
        raise ValueError("naive datetime refused: pin the clock to an aware time")
    _pinned = None if moment is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp: ``timestamptz`` on PostgreSQL, ISO 8601 with "Z" on SQLite.

    Naive datetimes are refused: a time without a zone is ambiguous in a multi-zone trial.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        if value.tzinfo is None:  # pragma: no cover - PostgreSQL always answers aware
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def configure_sqlite(engine: Engine, busy_timeout_ms: int, synchronous: str = "FULL") -> None:
    """Pragmas on every SQLite connection and explicit BEGIN IMMEDIATE for writers (REL-05).

    pysqlite's own transaction handling is switched off so that SQLAlchemy's ``begin``
    event decides: write transactions start IMMEDIATE, which takes SQLite's single write
    lock up front; that serialises the audit chain head (REL-03) without lock-upgrade
    failures. Read-only requests (GET) begin DEFERRED so they never wait for writers.
    ``synchronous`` is FULL (a commit waits for the disk) except where the database is thrown
    away after use (the tests' copies: OFF).
    """
    if synchronous not in ("FULL", "OFF"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL or OFF, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(
            "PRAGMA synchronous = OFF" if synchronous == "OFF" else "PRAGMA synchronous = FULL"
        )
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if read_only.get() else "BEGIN IMMEDIATE")


#: True while serving a read-only request (GET/HEAD): SQLite then begins DEFERRED.
read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("read_only", default=False)


class AuditedMixin:
    """Mark a model as study data: audited, versioned, soft-deleted, never hard-deleted.

    - every insert, update and soft delete writes one audit row per field, in the same
      transaction (``studyapp.audit.capture``);
    - ``version`` is SQLAlchemy's version counter: a concurrent edit fails instead of
      overwriting (REL-01);
    - changing a saved value needs a reason (GCP-02), given with
      ``studyapp.audit.set_reason`` before the flush (filling an empty field does not);
    - ``session.delete`` and bulk UPDATE/DELETE are refused; use ``soft_delete``.

    Class attributes tune the trail: ``__audit_ignore__`` names bookkeeping columns that
    are neither audited nor need a reason; ``__audit_redact__`` names secrets whose
    changes are recorded without their values; ``__audit_no_reason__`` names workflow
    columns whose changes are audited but need no reason (a draft saved as complete).
    """

    __audit_ignore__: ClassVar[frozenset[str]] = frozenset()
    __audit_redact__: ClassVar[frozenset[str]] = frozenset()
    #: Workflow columns (e.g. a form's status) audited like any other, without a reason.
    __audit_no_reason__: ClassVar[frozenset[str]] = frozenset()

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delete_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("user.id"), nullable=True)

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("user.id"), nullable=True)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.version}

    #: Columns every audited model has; not audited field by field.
    BOOKKEEPING: ClassVar[frozenset[str]] = frozenset(
        {"version", "created_at", "updated_at", "created_by_id", "updated_by_id"}
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def soft_delete(self, reason: str) -> None:
        """Remove the row from use; it stays in the table and the trail (P11-03)."""
        from studyapp.errors import ReasonRequired

        if not (reason or "").strip():
            raise ReasonRequired(
                "A reason is required to remove a record.",
                field_errors={"reason": ["Give a reason for removing this record."]},
            )
        self.deleted_at = utcnow()
        self.delete_reason = reason.strip()

    def audit_subject_id(self) -> int | None:
        """The study subject this row belongs to, for filtering the audit trail."""
        return getattr(self, "subject_id", None)

    def audit_values(self) -> dict[str, Any]:
        """Current values of the audited columns, for 409 pages and history."""
        skip = self.BOOKKEEPING | self.__audit_ignore__ | self.__audit_redact__
        return {
            c.key: getattr(self, c.key)
            for c in self.__table__.columns  # type: ignore[attr-defined]
            if c.key not in skip
        }
