"""demo-data and demo-code: the demo study and its second-factor codes."""

from __future__ import annotations

import click
import pyotp
from flask import current_app
from sqlalchemy import select

from studyapp.extensions import db


@click.command("demo-data")
def demo_data() -> None:
    """Load the demo study (idempotent) and print the demo sign-ins."""
    from studyapp.demo.loader import DEMO_TOTP_SECRET, demo_summary, load_demo

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
    from studyapp.demo.loader import is_demo

    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None or not is_demo(user) or not user.totp_secret:
        raise click.ClickException("only demo accounts with a second factor have demo codes")
    click.echo(pyotp.TOTP(user.totp_secret).at(utcnow()))  # the clock the sign-in checks
