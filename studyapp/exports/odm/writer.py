"""Write the ODM file, streamed: the Study and AdminData first, then one SubjectData at a
time (lxml's incremental writer), so memory stays flat however many subjects there are."""

from __future__ import annotations

from typing import Any, BinaryIO

from lxml import etree
from sqlalchemy import select

from studyapp.db import utcnow
from studyapp.exports.odm import trail
from studyapp.exports.odm.clinical import SubjectWriter
from studyapp.exports.odm.metadata import mdv_oid, study, study_oid
from studyapp.exports.odm.nodes import NS, NSMAP
from studyapp.exports.odm.values import after, utc
from studyapp.exports.registry import ExportContext
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject

ODM_VERSION = "1.3.2"


def _subject_ids(ctx: ExportContext) -> list[int]:
    """Every subject on record screened by the cut-off, in order of registration."""
    query = select(Subject.id, Subject.screening_date).where(Subject.deleted_at.is_(None))
    rows = db.session.execute(query.order_by(Subject.id))
    return [sid for sid, screened in rows if not after(screened, ctx.cutoff)]


def _root_attrs(ctx: ExportContext, audit: bool) -> dict[str, str]:
    made = ctx.generated_at or utcnow()
    kind = "audit" if audit else "data"
    attrs = {
        "FileType": "Transactional" if audit else "Snapshot",
        "Granularity": "All",
        "FileOID": f"{get_protocol().study.id}.{kind}.{made.strftime('%Y%m%dT%H%M%S%fZ')}",
        "CreationDateTime": utc(made),
        "ODMVersion": ODM_VERSION,
        "Originator": "studyapp",
        "SourceSystem": "studyapp",
        "Description": f"Data cut-off {ctx.cutoff.isoformat() if ctx.cutoff else 'none'}",
    }
    if not audit:
        attrs["AsOfDateTime"] = attrs["CreationDateTime"]
    return attrs


def _other_signatures(xf: Any, written: set[int]) -> int:
    signatures = trail.other_signatures(written)
    if signatures:
        holder = etree.Element(f"{{{NS}}}Signatures", nsmap=NSMAP)
        for signature in signatures:
            trail.signature(holder, signature)
        xf.write(holder)
    return len(signatures)


def write(ctx: ExportContext, out: BinaryIO, audit: bool = False) -> dict[str, int]:
    """Stream the ODM document into *out*; answers the number of each element written."""
    ids = _subject_ids(ctx)
    subjects = SubjectWriter(ctx.cutoff, audit)
    ctx.progress(0, len(ids))
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{NS}}}ODM", _root_attrs(ctx, audit), nsmap=NSMAP):
            xf.write(study())
            xf.write(trail.admin_data())
            clinical = {"StudyOID": study_oid(), "MetaDataVersionOID": mdv_oid()}
            with xf.element(f"{{{NS}}}ClinicalData", clinical):
                for done, subject_id in enumerate(ids, start=1):
                    xf.write(subjects.element(db.session.get_one(Subject, subject_id)))
                    ctx.progress(done, len(ids))
                if audit:
                    subjects.counts["Signature"] += _other_signatures(xf, subjects.signed)
    counts = {"SubjectData": 0, "ItemData": 0, **subjects.counts}
    return dict(sorted(counts.items()))


def write_data(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    return write(ctx, out, audit=False)


def write_audit(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    return write(ctx, out, audit=True)
