"""flask export csv|odm|sdtm and flask report safety|casebook: the page's files for scheduled
jobs, made by the same runner and audited the same way, under a named account (``--as``)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy import or_, select

from studyapp.errors import DomainError
from studyapp.extensions import db
from studyapp.transaction import transaction

#: The command's word for each kind of the export registry.
REPORT_KINDS = {"safety": "safety_report", "casebook": "casebook", "archive": "archive"}
EXPORT_KINDS = {
    "csv": "csv",
    "odm": "odm",
    "sdtm": "sdtm",
    "enrolment": "enrolment",
    "visit-compliance": "visit_compliance",
    "missing-forms": "missing_forms",
    "form-status": "form_status",
    "audit-trail": "audit_trail",
    "users": "users",
}
#: Kinds made for one subject (``--subject`` required).
SUBJECT_KINDS = {"audit-trail"}
#: The kind ``--audit`` asks for instead: the export with the audit trail and signatures.
AUDITED_KINDS = {"odm": "odm_audit"}
#: ``flask report casebook`` without a subject (or with ``--subject all``): the zip of all.
ALL_CASEBOOKS = "casebooks"


def _account(username: str):  # type: ignore[no-untyped-def]
    from studyapp.auth.models import User

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise click.UsageError(f"no active account named {username!r}")
    return user


def _subject_id(label: str | None) -> int | None:
    from studyapp.subjects.models import Subject

    if label is None or label.lower() == "all":
        return None
    subject = db.session.scalar(
        select(Subject).where(
            or_(Subject.subject_number == label, Subject.screening_number == label)
        )
    )
    if subject is None:
        raise click.UsageError(f"no subject numbered {label!r}")
    return subject.id


def _make(kind: str, out: Path, username: str, cutoff: date | None, **extra: object) -> None:
    from studyapp.audit.context import acting_as
    from studyapp.exports import catalogue, runner
    from studyapp.exports.registry import ExportContext

    catalogue.load()
    try:
        with transaction():
            user = _account(username)
            ctx = ExportContext(actor=user, cutoff=cutoff, **extra)  # type: ignore[arg-type]
            with acting_as(user):
                result = runner.produce(kind, ctx, out)
    except DomainError as error:
        out.unlink(missing_ok=True)
        click.echo(f"refused: {error}", err=True)
        sys.exit(1)
    counts = ", ".join(f"{name} {n}" for name, n in result.rows.items())
    click.echo(f"{out}: {result.size} bytes, sha256 {result.sha256}; rows: {counts or 'none'}")


_out = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
_as = click.option("--as", "username", required=True, help="the account the file is made by")
_cutoff = click.option("--cutoff", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)


@click.command("export")
@click.argument("kind", type=click.Choice(sorted(EXPORT_KINDS)))
@_out
@_as
@_cutoff
@click.option("--audit", is_flag=True, help="odm: add the audit trail and the signatures")
@click.option("--subject", default=None, help="audit-trail: the subject number")
def export_cli(
    kind: str, out: Path, username: str, cutoff: object, audit: bool, subject: str | None
) -> None:
    """Write a data export (CSV, CDISC ODM 1.3.2, SDTM datasets, an operational report's
    CSV, or a subject's audit trail) to --out."""
    day = cutoff.date() if cutoff else None  # type: ignore[attr-defined]
    if audit and kind not in AUDITED_KINDS:
        raise click.UsageError(f"--audit applies to {', '.join(sorted(AUDITED_KINDS))} only")
    if (kind in SUBJECT_KINDS) != (subject is not None and subject.lower() != "all"):
        raise click.UsageError(f"--subject (one subject) goes with {', '.join(SUBJECT_KINDS)}")
    if subject is not None:
        with transaction():
            subject_id = _subject_id(subject)
        _make(EXPORT_KINDS[kind], out, username, day, subject_id=subject_id)
        return
    _make(AUDITED_KINDS[kind] if audit else EXPORT_KINDS[kind], out, username, day)


@click.command("report")
@click.argument("kind", type=click.Choice(sorted(REPORT_KINDS)))
@_out
@_as
@_cutoff
@click.option("--subject", default=None, help="subject number (casebook); 'all' for a zip")
@click.option("--lang", type=click.Choice(["en", "zh_Hans"]), default="en")
def report_cli(
    kind: str, out: Path, username: str, cutoff: object, subject: str | None, lang: str
) -> None:
    """Write the study safety report or a casebook (PDF; all casebooks: zip) to --out."""
    day = cutoff.date() if cutoff else None  # type: ignore[attr-defined]
    with transaction():
        subject_id = _subject_id(subject)
    report = REPORT_KINDS[kind]
    if report == "archive" and subject_id is None:
        raise click.UsageError("the archive is made for one subject: --subject ITP-001")
    if report == "casebook" and subject_id is None:
        report = ALL_CASEBOOKS  # --subject all (or none): every subject's casebook in a zip
    _make(report, out, username, day, subject_id=subject_id, locale=lang)


@click.command("archive-verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def archive_verify_cli(path: Path) -> None:
    """Check a subject's end-of-study archive against its manifest (SHA-256 of every file)."""
    from studyapp.exports.archive import verify

    problems = verify(path)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo("OK: every file matches the manifest")
