"""The moderators command group: flask --app predictions moderators …"""

import sys

import click
from flask.cli import AppGroup

from .extensions import db
from .services import moderators as moderator_service

moderators_cli = AppGroup("moderators", help="Create, list and disable moderator accounts.")


def _moderator_or_fail(name: str):
    moderator = moderator_service.by_name(name)
    if moderator is None:
        raise click.ClickException(f"no moderator called {name!r}")
    return moderator


@moderators_cli.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Also manages moderators, questions, resolutions.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def create_command(name: str, admin: bool, password_stdin: bool) -> None:
    """Create a moderator account (the password is asked for twice, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        moderator = moderator_service.create_moderator(name, password, is_admin=admin)
    except moderator_service.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{moderator.name}: created{' (admin)' if admin else ''}")


@moderators_cli.command("token")
@click.argument("name")
def token_command(name: str) -> None:
    """Print a new personal API token (shown once; it replaces any earlier token)."""
    moderator = _moderator_or_fail(name)
    if not moderator.is_active:
        raise click.ClickException(f"{name} is disabled")
    token = moderator_service.issue_token(moderator)
    db.session.commit()
    click.echo(token)


@moderators_cli.command("list")
def list_command() -> None:
    """List moderators: name, role, state, whether they hold an API token."""
    for moderator in moderator_service.list_moderators():
        role = "admin" if moderator.is_admin else "moderator"
        state = "active" if moderator.is_active else "disabled"
        token = "token" if moderator.api_token_hash else "no token"
        click.echo(f"{moderator.name}\t{role}\t{state}\t{token}")


@moderators_cli.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Disable an account: its sessions and API token stop working at once."""
    moderator = _moderator_or_fail(name)
    changed = moderator_service.disable(moderator)
    db.session.commit()
    click.echo(f"{name}: {'disabled' if changed else 'already disabled'}")
