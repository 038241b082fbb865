"""A subject's audit trail as CSV (monitor, data manager): every row of the chain that names
the subject, oldest first, up to the cut-off, with the record and field in words beside their
table and column names (GCP-06, P11-05). Made through the export runner, so the file itself is
audited as an export (who, cut-off, row count, SHA-256)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any, BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from studyapp.audit.models import AuditLog
from studyapp.exports import csvfile, registry
from studyapp.exports.casebook import trail
from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.labels import Labels
from studyapp.exports.casebook.values import local_time
from studyapp.exports.registry import Export, ExportContext
from studyapp.permissions import Action
from studyapp.subjects.guards import get_subject


def header() -> list[str]:
    return [
        _("Sequence"),
        _("Time (UTC)"),
        _("Time (site)"),
        _("User"),
        _("Role"),
        _("Action"),
        _("Record"),
        _("Field"),
        _("Old value"),
        _("New value"),
        _("Reason"),
        "table_name",
        "row_id",
        "field_name",
    ]


def rows_of(subject_id: int, asof: AsOf, rows: list[AuditLog]) -> Iterator[list[Any]]:
    tables, labels, tests = trail.table_names(), Labels(), trail.lab_tests(subject_id)
    for row in rows:
        moment = row.ts if row.ts.tzinfo else row.ts.replace(tzinfo=UTC)
        if not asof.happened(moment):
            continue
        record = f"{tables.get(row.table_name or '', row.table_name or '')} {row.row_id or ''}"
        if row.table_name == "lab_result" and row.row_id in tests:
            record = f"{record.strip()}: {tests[row.row_id]}"
        yield [
            row.seq,
            moment,
            local_time(row.ts),
            row.username or _("system"),
            row.role or "",
            str(trail.ACTIONS.get(row.action, row.action)),
            record.strip(),
            labels.of(row.table_name, row.field),
            row.old_value,
            row.new_value,
            row.reason,
            row.table_name,
            row.row_id,
            row.field,
        ]


def write_audit_trail(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    """One subject's audit trail (the runner checked the permission and the subject)."""
    if ctx.subject_id is None:
        raise ValueError("the audit trail export needs a subject")
    subject = get_subject(ctx.actor, ctx.subject_id)
    rows = trail.subject_rows(subject.id)
    ctx.progress(0, 1)
    count = csvfile.write(out, header(), rows_of(subject.id, AsOf(ctx.cutoff, ()), rows))
    ctx.progress(1, 1)
    return {"audit_rows": count}


AUDIT_TRAIL = registry.register(
    Export(
        kind="audit_trail",
        label=_l("Subject audit trail (CSV)"),
        group="data",
        action=Action.VIEW_AUDIT,
        suffix=".csv",
        mimetype="text/csv",
        write=write_audit_trail,
        description=_l(
            "Every change of one subject's data, oldest first: who, when (UTC and site time), "
            "the record and field in words, old and new value, and the reason."
        ),
        subject="required",
        cutoff=True,
    )
)
