"""create-user: the first data manager (or any account) from the command line."""

from __future__ import annotations

import click

from studyapp.errors import DomainError
from studyapp.permissions import Role
from studyapp.transaction import transaction


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
