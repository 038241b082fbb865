"""Flask commands: create-user, demo-data, demo-code, audit-verify, audit-anchor.

Each command is an edge: what it writes is one transaction (``with transaction():``),
committed when the command succeeds and rolled back when it fails.
"""

from __future__ import annotations

import sys

import click
import pyotp
from flask import Flask, current_app
from sqlalchemy import func, select

from studyapp.auth.permissions import Role
from studyapp.errors import DomainError
from studyapp.extensions import db
from studyapp.transaction import transaction


def register(app: Flask) -> None:
    for command in (create_user, demo_data, demo_code, audit_verify, audit_anchor):
        app.cli.add_command(command)
    try:
        from studyapp.clinical_cli import clinical_cli
    except ImportError:  # pragma: no cover - arrives with the clinical core
        return
    app.cli.add_command(clinical_cli)


@click.command("create-user")
@click.option("--username", prompt=True)
@click.option("--full-name", prompt=True)
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.DATA_MANAGER.value,
    show_default=True,
)
@click.password_option(help="Typed twice at the prompt; never pass it on a shared machine.")
def create_user(username: str, full_name: str, role: str, password: str) -> None:
    """Create an account (the first data manager); it must change the password at sign-in."""
    from studyapp.auth.admin import create_first_user

    try:
        with transaction():
            user = create_first_user(username, full_name, role, password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {user.username} ({user.role}); the password must be changed at sign-in.")


@click.command("demo-data")
def demo_data() -> None:
    """Load the demo study (idempotent) and print the demo sign-ins."""
    from studyapp.demo import DEMO_TOTP_SECRET, demo_summary, load_demo

    users = load_demo()  # the loader is its own edge: one transaction
    click.echo(demo_summary())
    password = current_app.config["DEMO_PASSWORD"]
    click.echo(f"Demo sign-ins (password for all: {password}):")
    for user in users:
        extra = ""
        if user.totp_enabled:
            extra = (
                f"  second factor: secret {DEMO_TOTP_SECRET}, or `flask demo-code {user.username}`"
            )
        click.echo(f"  {user.username:<10} {user.role_label:<18}{extra}")


@click.command("demo-code")
@click.argument("username")
def demo_code(username: str) -> None:
    """Print the current second-factor code of a demo account (never of a real one)."""
    from studyapp.auth.models import User
    from studyapp.db import utcnow
    from studyapp.demo import is_demo

    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None or not is_demo(user) or not user.totp_secret:
        raise click.ClickException("only demo accounts with a second factor have demo codes")
    click.echo(pyotp.TOTP(user.totp_secret).at(utcnow()))  # the clock the sign-in checks


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
