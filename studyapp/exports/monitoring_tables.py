"""The monitoring tables of the CSV export (issue 14 item 6): query threads, SDV marks and
freezes and locks, as files under ``monitoring/`` in the zip.

Monitoring imports exports, so exports never imports monitoring: the tables come through the
hook ``tables_of``, answered by ``studyapp.monitoring.export_tables``. Each table is
(file name, header, rows): rows of the subjects in the export's scope, made on or before its
cut-off day, streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from studyapp.exports.scope import Scope
from studyapp.hooks import Hook

Table = tuple[str, list[str], Iterator[list[Any]]]

tables_of: Hook[[Scope], list[Table]] = Hook(
    "exports.monitoring_tables", "studyapp.monitoring.export_tables"
)
