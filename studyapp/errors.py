"""Domain errors raised by services; views and the error handlers turn them into HTTP.

Services never call ``abort``: they raise one of these, and the same rule serves the
web pages, the API and the CLI.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a person can act on. ``status`` is the HTTP status a view answers."""

    status = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``field_errors`` maps field names to messages."""

    status = 422


class NeedsConfirmation(ValidationFailed):
    """Values outside the plausibility limits: saved only once the user confirms them."""

    def __init__(self, message: str, *, warnings: dict[str, list[str]]):
        super().__init__(message, field_errors={})
        self.warnings = warnings


class ReasonRequired(ValidationFailed):
    """An edit of a saved record without a reason for change (GCP-02)."""


class Conflict(DomainError):
    status = 409


class StaleVersion(Conflict):
    """The record changed since the form was opened (REL-01).

    ``current`` holds the values now stored, shown beside what the user submitted.
    """

    def __init__(self, message: str, *, current: dict[str, Any], version: int):
        super().__init__(message)
        self.current = current
        self.version = version


class VersionMissing(DomainError):
    """An edit of a saved record sent without the version it is based on (REL-01)."""

    status = 400


class AuditIntegrityError(DomainError):
    """An operation would bypass or rewrite the audit trail (P11-03, P11-06)."""

    status = 409
