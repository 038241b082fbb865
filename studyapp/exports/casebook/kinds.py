"""The casebook kinds of the export registry: one subject's PDF, or every subject's in a zip.

The zip is written subject by subject: each PDF is rendered into a temporary file, copied
into the archive and dropped; nothing of a subject is kept once its PDF is written (the
session's identity map holds unchanged rows weakly), so memory holds one subject at a time.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from studyapp.exports import queries, registry
from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.build import write_one
from studyapp.exports.registry import Export, ExportContext
from studyapp.permissions import Action
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.guards import get_subject


def write_casebook(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    """One subject's casebook (the runner checked that a subject was chosen and exists)."""
    if ctx.subject_id is None:
        raise ValueError("the casebook needs a subject")
    subject = get_subject(ctx.actor, ctx.subject_id)
    ctx.progress(0, 1)
    rows = write_one(ctx, subject, out)
    ctx.progress(1, 1)
    return rows


def member_name(label: str) -> str:
    """The name of a subject's PDF inside the zip."""
    study = get_protocol().study.id
    return f"{study}_casebook_{label}.pdf".replace(" ", "-").replace("/", "-")


def write_casebooks(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    """Every subject's casebook as one PDF each in a zip, written subject by subject."""
    asof = AsOf(ctx.cutoff, ())  # a subject screened after the cut-off has no casebook yet
    ids = [s.id for s in queries.study_subjects() if asof.happened(s.created_at)]
    totals = {"subjects": 0, "records": 0, "audit_rows": 0}
    ctx.progress(0, len(ids))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, subject_id in enumerate(ids, start=1):
            subject = get_subject(ctx.actor, subject_id)
            with tempfile.TemporaryFile() as pdf:
                rows = write_one(ctx, subject, pdf)
                pdf.seek(0)
                with archive.open(member_name(subject.label), "w") as member:
                    shutil.copyfileobj(pdf, member)
            for key, count in rows.items():
                totals[key] += count
            totals["subjects"] += 1
            ctx.progress(done, len(ids))
    return totals


CASEBOOK = registry.register(
    Export(
        kind="casebook",
        label=_l("Subject casebook (PDF)"),
        group="report",
        action=Action.VIEW_REPORTS,
        suffix=".pdf",
        mimetype="application/pdf",
        write=write_casebook,
        description=_l(
            "Every page and form of one subject with values, units, status, confirmed "
            "warnings and signatures, then the subject's audit trail."
        ),
        subject="required",
        cutoff=True,
    )
)
CASEBOOKS = registry.register(
    Export(
        kind="casebooks",
        label=_l("All casebooks (zip of PDFs)"),
        group="report",
        action=Action.VIEW_REPORTS,
        suffix=".zip",
        mimetype="application/zip",
        write=write_casebooks,
        description=_l("One casebook PDF per subject, in a zip file."),
        subject=None,
        cutoff=True,
    )
)
