"""audit-verify and audit-anchor: check the audit chain, sign a checkpoint of its head."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from studyapp.errors import DomainError
from studyapp.extensions import db
from studyapp.transaction import transaction


@click.command("audit-verify")
def audit_verify() -> None:
    """Check the audit hash chain and every signed checkpoint; exit 1 on any problem."""
    from studyapp.audit.checkpoints import anchor_path, check_all
    from studyapp.audit.models import AuditLog
    from studyapp.audit.services import verify_chain

    result = verify_chain()
    problems = []
    if result.ok:
        click.echo(f"OK: {result.rows} audit rows, chain head {result.head_hash}")
    else:
        total = db.session.scalar(select(func.count()).select_from(AuditLog)) or 0
        problems.append(
            f"BROKEN at seq {result.first_bad_seq}: {result.problem} "
            f"({result.rows} rows verified before it, {total} in the table)"
        )
    statuses = check_all()
    problems += [f"CHECKPOINT {s.message}" for s in statuses if not s.ok]
    if not statuses:
        click.echo(
            f"WARNING: no checkpoint in {anchor_path()}: rows removed from the end of the "
            "chain cannot be detected; run `flask audit-anchor`"
        )
    elif all(s.ok for s in statuses):
        last = statuses[-1].checkpoint
        click.echo(
            f"OK: {len(statuses)} checkpoint(s) hold; the latest is seq {last.seq} of {last.ts}"
        )
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)


@click.command("audit-anchor")
def audit_anchor() -> None:
    """Sign a checkpoint of the audit chain head and append it to the anchor file."""
    from studyapp.audit.checkpoints import anchor_now, anchor_path

    try:
        with transaction():
            checkpoint = anchor_now(None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Checkpoint: seq {checkpoint.seq}, hash {checkpoint.hash}, {checkpoint.rows} rows, "
        f"{checkpoint.ts}, appended to {anchor_path()}"
    )
