"""A subject's end-of-study archive for the site (GCP-11: no exclusive sponsor control): one zip
with the casebook PDF, the subject's data as CSV (one file per CRF table, with the data
dictionary), the subject's audit trail, its signatures, and ``manifest.json`` naming every
file with its size and SHA-256. ``verify`` (and ``flask archive-verify``) checks a copy
against its manifest: a changed, missing or added file is reported.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from studyapp.db import utcnow
from studyapp.exports import audit_trail, csvfile, dictionary, registry, tables
from studyapp.exports.casebook import trail
from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.build import write_one
from studyapp.exports.registry import Export, ExportContext
from studyapp.exports.scope import Scope
from studyapp.extensions import db
from studyapp.permissions import Action
from studyapp.protocol.loader import get_protocol
from studyapp.signatures.models import Signature
from studyapp.subjects.guards import get_subject

MANIFEST = "manifest.json"
SIGNATURE_HEADER = [
    "printed_name", "role", "meaning", "signed_at_utc", "table_name", "row_id", "status",
    "content_sha256", "invalidated_reason",
]  # fmt: skip


def _signature_rows(subject_id: int) -> Iterator[list[Any]]:
    query = select(Signature).where(Signature.subject_id == subject_id).order_by(Signature.id)
    for s in db.session.scalars(query):
        yield [
            s.printed_name, s.role, s.meaning, s.signed_at, s.table_name, s.row_id, s.status,
            s.content_hash, s.invalidated_reason,
        ]  # fmt: skip


class _Members:
    """Zip members written one by one, each hashed as it is written."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []

    def add(self, name: str, write: Any) -> Any:
        with tempfile.TemporaryFile() as spool:
            result = write(spool)
            spool.seek(0)
            digest, size = hashlib.sha256(), 0
            with self.archive.open(name, "w") as member:
                for block in iter(lambda: spool.read(1 << 16), b""):
                    digest.update(block)
                    size += len(block)
                    member.write(block)
        self.files.append({"name": name, "bytes": size, "sha256": digest.hexdigest()})
        return result


def _data(members: _Members, scope: Scope) -> int:
    rows = 0
    for model in tables.models():
        name = f"data/{model.__tablename__}.csv"  # type: ignore[attr-defined]
        rows += members.add(
            name,
            lambda out, m=model: csvfile.write(out, tables.header(m), tables.rows(m, scope)),
        )
    members.add(
        "data/data_dictionary.csv",
        lambda out: csvfile.write(out, dictionary.HEADER, dictionary.rows()),
    )
    return rows


def write_archive(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    """The subject's archive (the runner checked the permission and the subject)."""
    if ctx.subject_id is None:
        raise ValueError("the archive needs a subject")
    subject = get_subject(ctx.actor, ctx.subject_id)
    ctx.progress(0, 4)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        members = _Members(archive)
        members.add("casebook.pdf", lambda f: write_one(ctx, subject, f))
        ctx.progress(1, 4)
        data_rows = _data(members, Scope(ctx.cutoff, subject.id))
        ctx.progress(2, 4)
        rows = trail.subject_rows(subject.id)
        audit_rows = members.add(
            "audit_trail.csv",
            lambda f: csvfile.write(
                f, audit_trail.header(), audit_trail.rows_of(subject.id, AsOf(ctx.cutoff, ()), rows)
            ),
        )
        signatures = members.add(
            "signatures.csv",
            lambda f: csvfile.write(f, SIGNATURE_HEADER, _signature_rows(subject.id)),
        )
        ctx.progress(3, 4)
        manifest = {
            "study": get_protocol().study.id,
            "subject": subject.label,
            "cutoff": ctx.cutoff.isoformat() if ctx.cutoff else None,
            "made_at_utc": csvfile.utc_text(ctx.generated_at or utcnow()),
            "made_by": getattr(ctx.actor, "username", None),
            "app_version": current_app.config.get("APP_VERSION"),
            "files": members.files,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
    ctx.progress(4, 4)
    return {"data_rows": data_rows, "audit_rows": audit_rows, "signatures": signatures}


def verify(source: str | Path | IO[bytes]) -> list[str]:
    """What does not match the manifest in an archive: [] when every file is as listed."""
    problems = []
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist()) - {MANIFEST}
        try:
            listed = json.loads(archive.read(MANIFEST))["files"]
        except (KeyError, ValueError):
            return [f"{MANIFEST} is missing or unreadable"]
        for entry in listed:
            name = entry["name"]
            if name not in names:
                problems.append(f"{name}: missing")
                continue
            names.discard(name)
            digest = hashlib.sha256(archive.read(name)).hexdigest()
            if digest != entry["sha256"]:
                problems.append(f"{name}: SHA-256 differs from the manifest")
        problems += [f"{name}: not in the manifest" for name in sorted(names)]
    return problems


ARCHIVE = registry.register(
    Export(
        kind="archive",
        label=_l("Subject end-of-study archive (zip)"),
        group="data",
        action=Action.VIEW_REPORTS,
        suffix=".zip",
        mimetype="application/zip",
        write=write_archive,
        description=_l(
            "For the site: the casebook PDF, the subject's data as CSV, its audit trail and "
            "signatures, and a manifest with the SHA-256 of every file."
        ),
        subject="required",
        cutoff=True,
    )
)
