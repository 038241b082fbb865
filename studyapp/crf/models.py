"""The columns every CRF row has, beside ``AuditedMixin`` (audit and version)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from studyapp.crf.status import IN_PROGRESS
from studyapp.db import utcnow


class CrfMixin:
    """Columns every CRF row has: status and the plausibility warnings the user confirmed."""

    #: Completing a draft or confirming a warning is audited but is not a correction.
    __audit_no_reason__: ClassVar[frozenset[str]] = frozenset({"status", "confirmed_warnings"})

    #: ``crf.status``: in_progress, complete (later verified, frozen, locked).
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=IN_PROGRESS)
    #: Edit-check warnings the user confirmed on saving ("value is correct"), audited.
    confirmed_warnings: Mapped[str | None] = mapped_column(Text)

    def touch(self) -> None:
        """Bump the version when only child rows changed (optimistic lock of the whole form).

        ``flag_modified`` makes the UPDATE happen even when the clock gives the same time.
        """
        self.updated_at = utcnow()  # type: ignore[attr-defined]
        flag_modified(self, "updated_at")
