"""Audit rows in words: the record a table row is, the label of a column, the subject's number.

The audit trail stores table and column names (what the database changed); a monitor reads the
form's words. The words live with the features above audit (the form labels, the subject
numbers), so audit asks for them through hooks (``studyapp.hooks``) and never imports them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from studyapp.hooks import Hook


class AuditRow(Protocol):
    """What the naming reads of an audit row."""

    table_name: str | None
    field: str | None
    action: str


@dataclass(frozen=True)
class Naming:
    """How the rows of the audit viewer are named."""

    #: table -> the record in words ("Vital signs", "Lab result").
    tables: dict[str, str]
    #: (table, column) -> the field's label; the column's name when nobody labelled it.
    field: Callable[[str | None, str | None], str]
    #: action ("insert", "update", ...) -> the action in words.
    actions: dict[str, str]
    #: role ("investigator", ...) -> the role in words.
    roles: dict[str, str] = dataclasses.field(default_factory=dict)
    #: (table, field, action, stored value) -> the value in words: a stored code shown in
    #: the reader's language (a role, a signature's meaning); any other value as stored.
    values: Callable[[str | None, str | None, str, str], str] | None = None

    def table(self, name: str | None) -> str:
        return self.tables.get(name or "", name or "")

    def action(self, name: str) -> str:
        return self.actions.get(name, name)

    def role(self, name: str | None) -> str:
        return self.roles.get(name or "", name or "")

    def value(self, row: AuditRow, stored: str | None) -> str:
        """A row's old or new value as the viewer shows it ("" for none)."""
        if stored is None:
            return ""
        if self.values is None:
            return stored
        return self.values(row.table_name, row.field, row.action, stored)


#: The naming of tables, fields and actions, in the current language.
describe: Hook[[], Naming] = Hook("audit.naming.describe", "studyapp.exports.casebook.trail")
#: The subject's id for a subject or screening number (None: no such subject).
subject_by_number: Hook[[str], int | None] = Hook(
    "audit.naming.subject_by_number", "studyapp.subjects.queries"
)
#: Subject id -> its number, for the ids given.
subject_numbers: Hook[[set[int]], dict[int, str]] = Hook(
    "audit.naming.subject_numbers", "studyapp.subjects.queries"
)
