"""`symbols users create EMAIL --name N | list` and `symbols roles create NAME | list`:
the people and roles issues can be assigned to."""

from __future__ import annotations

import asyncio

import click

from ..config import Settings
from ..db.migrate import run_existing
from ..db.users import AlreadyExists, create_role, create_user, list_roles, list_users

_MAX_EMAIL = 254
_MAX_NAME = 200


def _run(work):
    return asyncio.run(run_existing(Settings.from_env().database_url, work))


def _print_all(fetch, line) -> None:
    """One line per row ``fetch(conn)`` returns."""

    async def work(db):
        async with db.connect() as conn:
            return await fetch(conn)

    for item in _run(work):
        click.echo(line(item))


def _create(make):
    """The row ``make(conn)`` inserts; a duplicate email or name ends the command."""

    async def work(db):
        async with db.begin() as conn:
            return await make(conn)

    try:
        return _run(work)
    except AlreadyExists as exc:
        raise click.ClickException(str(exc)) from None


def _bounded(value: str, limit: int, hint: str) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise click.BadParameter(f"must be 1 to {limit} characters", param_hint=hint)
    return value


@click.group()
def users() -> None:
    """Manage the users issues can be assigned to."""


@users.command("create")
@click.argument("email")
@click.option("--name", default="", help="Display name (default: the email).")
def create_user_command(email: str, name: str) -> None:
    """Create a user and print its id (the assignee id: {"type": "user", "id": N})."""
    email = _bounded(email, _MAX_EMAIL, "EMAIL")
    if "@" not in email:
        raise click.BadParameter("must be an email address", param_hint="EMAIL")
    name = _bounded(name or email, _MAX_NAME, "--name")
    user = _create(lambda conn: create_user(conn, email, name))
    click.echo(f"created user {user.id} ({user.email})")


@users.command("list")
def list_users_command() -> None:
    """List users: id, email, name, created_at."""
    _print_all(list_users, lambda u: f"{u.id}\t{u.email}\t{u.name}\t{u.created_at.isoformat()}")


@click.group()
def roles() -> None:
    """Manage the roles issues can be assigned to."""


@roles.command("create")
@click.argument("name")
def create_role_command(name: str) -> None:
    """Create a role and print its id (the assignee id: {"type": "role", "id": UUID})."""
    name = _bounded(name, _MAX_NAME, "NAME")
    role = _create(lambda conn: create_role(conn, name))
    click.echo(f"created role {role.id} ({role.name})")


@roles.command("list")
def list_roles_command() -> None:
    """List roles: id, name, created_at."""
    _print_all(list_roles, lambda r: f"{r.id}\t{r.name}\t{r.created_at.isoformat()}")
