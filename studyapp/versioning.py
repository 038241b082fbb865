"""The one optimistic-lock check of every edit of a saved record (REL-01).

A form carries the version of the record it was opened on: empty when the record did not
exist yet (a first save), the record's version otherwise. A POST without the field at all
cannot say which change it is based on: it is refused (400) rather than allowed to write
over another user's change.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from studyapp.db import AuditedMixin
from studyapp.errors import StaleVersion, VersionMissing

#: What a form sends for "this form was opened before the record existed" (a first save).
NEW = 0


def check_version(record: AuditedMixin | None, version: int | None, message: str = "") -> None:
    """Refuse a save based on another version of the record than the stored one.

    ``record`` None (or not yet flushed) is a create: no version is needed. Otherwise
    ``version`` None (the field was not sent) is a 400, and any other number than the
    stored one (``NEW`` included: the record was made meanwhile) is a 409.
    """
    if record is None or record.version is None:
        return
    if version is None:
        raise VersionMissing(
            _(
                "This form was sent without the version of the record it changes, so the "
                "change was not saved. Reload the page and make the change again."
            )
        )
    if version != record.version:
        raise StaleVersion(
            message or _("Another user changed this form while you were editing."),
            current=record.audit_values(),
            version=record.version,
        )


def is_write_conflict(exc: Exception) -> bool:
    """Did a write lose a race with another request on the same study record?

    A versioned UPDATE that matched no row (the other request changed the row first:
    StaleDataError), or an INSERT that hit a unique constraint of a study-data table (the
    other request made the same row first: a visit, a form of a visit, an AE number).
    Unique violations of other tables (the audit chain) are not conflicts but faults.
    """
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, IntegrityError):
        return False
    table = _unique_violation_table(exc.orig)
    return table is not None and table in _study_tables()


def _unique_violation_table(orig: Any) -> str | None:
    diag = getattr(orig, "diag", None)  # psycopg
    if getattr(orig, "sqlstate", None) == "23505" and diag is not None:
        return diag.table_name
    text = str(orig)
    prefix = "UNIQUE constraint failed: "  # sqlite3
    if text.startswith(prefix):
        return text[len(prefix) :].split(".", 1)[0]
    return None


def _study_tables() -> set[str]:
    from studyapp.extensions import db

    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, AuditedMixin)
    }
