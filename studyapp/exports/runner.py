"""Produce one report or export file: permission, the file, its SHA-256, the audit event.

The same path for a page's job and a command (P11-05): every file made is an ``export`` row
in the audit trail with who, what, the cut-off, the row counts and the file's hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from studyapp.audit.context import Event, actor_of, log_event
from studyapp.db import site_today, utcnow
from studyapp.errors import NotFound, ValidationFailed
from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.permissions import require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.guards import get_subject


@dataclass(frozen=True)
class Result:
    kind: str
    filename: str
    mimetype: str
    sha256: str
    size: int
    rows: dict[str, int]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check(kind: str, actor: Any, ctx: registry.ExportContext) -> registry.Export:
    """The export of *kind*, after the permission and the subject rule; raises otherwise."""
    export = registry.get(kind)
    if export is None:
        raise NotFound(_("There is no export of that kind."))
    require(actor, export.action)
    if export.subject == "required" and ctx.subject_id is None:
        raise ValidationFailed(
            _("Choose a subject."), field_errors={"subject_id": [_("Choose a subject.")]}
        )
    if export.subject is None and ctx.subject_id is not None:
        message = _("This export covers the whole study.")
        raise ValidationFailed(message, field_errors={"subject_id": [message]})
    if ctx.subject_id is not None:
        get_subject(actor, ctx.subject_id)  # NotFound for an unknown subject
    if ctx.cutoff is not None and ctx.cutoff > site_today():
        message = _("The cut-off date cannot be in the future.")
        raise ValidationFailed(message, field_errors={"cutoff": [message]})
    return export


def filename(export: registry.Export, ctx: registry.ExportContext) -> str:
    parts = [get_protocol().study.id, export.kind]
    if ctx.subject_id is not None:
        parts.append(get_subject(ctx.actor, ctx.subject_id).label)
    parts.append((ctx.cutoff or site_today()).isoformat())
    return "_".join(part.replace(" ", "-") for part in parts) + export.suffix


def produce(kind: str, ctx: registry.ExportContext, out: Path) -> Result:
    """Write the file of *kind* to *out* and record the export (flushes; the edge commits)."""
    export = check(kind, ctx.actor, ctx)
    if ctx.generated_at is None:
        ctx = replace(ctx, generated_at=utcnow())
    with force_locale(ctx.locale), out.open("wb") as handle:
        rows = export.write(ctx, handle)
    result = Result(
        kind=kind,
        filename=filename(export, ctx),
        mimetype=export.mimetype,
        sha256=file_sha256(out),
        size=out.stat().st_size,
        rows=rows,
    )
    record(result, ctx)
    return result


def record(result: Result, ctx: registry.ExportContext) -> None:
    """The export's audit row: what, the cut-off, the subject, row counts, size and hash."""
    details = {
        "file": result.filename,
        "cutoff": ctx.cutoff.isoformat() if ctx.cutoff else None,
        "subject_id": ctx.subject_id,
        "language": ctx.locale,
        "rows": result.rows,
        "bytes": result.size,
        "sha256": result.sha256,
    }
    if ctx.options:
        details["options"] = ctx.options  # e.g. the form status matrix's filters
    log_event(
        Event(
            action="export",
            table_name="export",
            row_id=result.kind,
            field="file",
            new_value=json.dumps(details, sort_keys=True, ensure_ascii=False),
            # The maker, named: a queued event is written at commit, after ``acting_as``
            # (the command) has let go of the session.
            actor=actor_of(ctx.actor),
        )
    )
    db.session.flush()
