"""The subject's data as it stood at the end of the cut-off day (site calendar).

A record first saved after that moment is left out, a record removed before it too; a value
changed after it is shown as it was then: the audit trail holds every change with its old
value (P11-07), so the first change after the cut-off gives the value of the day. Without a
cut-off, everything as stored now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import inspect

from studyapp.audit.models import AuditLog
from studyapp.db import site_zone


def end_of(cutoff: date | None) -> datetime | None:
    """The first moment after the cut-off day at the site, in UTC (None: no cut-off)."""
    if cutoff is None:
        return None
    start = datetime.combine(cutoff + timedelta(days=1), time(), site_zone())
    return start.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class AsOf:
    """Which records and values count at the cut-off."""

    def __init__(self, cutoff: date | None, trail: Iterable[AuditLog]) -> None:
        self.end = end_of(cutoff)
        #: (table, row id, column) -> the stored text before its first change after the end.
        self.before: dict[tuple[str, str, str], str | None] = {}
        if self.end is None:
            return
        for row in trail:
            if _utc(row.ts) < self.end or row.action != "update" or row.field is None:
                continue
            self.before.setdefault(
                (row.table_name or "", row.row_id or "", row.field), row.old_value
            )

    def happened(self, moment: datetime | None) -> bool:
        """Whether *moment* (UTC) is on or before the cut-off day."""
        return moment is None or self.end is None or _utc(moment) < self.end

    def keeps(self, record: Any) -> bool:
        """The record existed at the cut-off and was not removed by then."""
        if record is None or not self.happened(record.created_at):
            return False
        deleted = self.value(record, "deleted_at")
        return deleted is None

    def value(self, record: Any, column: str) -> Any:
        """The column's value at the cut-off (the stored one when it did not change since)."""
        key = (record.__tablename__, _row_id(record), column)
        if key not in self.before:
            return getattr(record, column)
        return typed(record, column, self.before[key])


def _row_id(record: Any) -> str:
    mapper = inspect(record).mapper
    return ",".join(str(v) for v in mapper.primary_key_from_instance(record))


def typed(record: Any, column: str, text: str | None) -> Any:
    """The audit trail's text of a value, read back as the column's type."""
    if text is None:
        return None
    try:
        kind = inspect(record).mapper.columns[column].type.python_type
    except (KeyError, NotImplementedError):
        return text
    try:
        return _parse(kind, text)
    except (ValueError, InvalidOperation):
        return text


def _parse(kind: type, text: str) -> Any:
    if kind is bool:
        return text == "true"
    if kind is datetime:
        return datetime.fromisoformat(text)
    if kind is date:
        return date.fromisoformat(text)
    if kind is time:
        return time.fromisoformat(text)
    if kind in (int, Decimal):
        return kind(text)
    return text
