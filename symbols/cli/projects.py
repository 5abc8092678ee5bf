"""`symbols projects create NAME | list | fetch PROJECT_ID`."""

from __future__ import annotations

import asyncio

import click

from ..config import Settings
from ..db.access import create_project, list_projects
from ..db.migrate import run_existing


@click.group()
def projects() -> None:
    """Manage projects."""


@projects.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create a project and print its id."""
    if not name.strip() or len(name) > 200:
        raise click.BadParameter("must be 1 to 200 characters", param_hint="NAME")

    async def work(db):
        async with db.begin() as conn:
            return await create_project(conn, name.strip())

    project = asyncio.run(run_existing(Settings.from_env().database_url, work))
    click.echo(f"created project {project.id} ({project.name})")


@projects.command("list")
def list_() -> None:
    """List projects: id, created_at, name, capture token (phc_..., for PostHog SDKs)."""

    async def work(db):
        async with db.connect() as conn:
            return await list_projects(conn)

    for project in asyncio.run(run_existing(Settings.from_env().database_url, work)):
        click.echo(f"{project.id}\t{project.created_at.isoformat()}\t{project.name}\t{project.api_token}")


@projects.command("fetch")
@click.argument("project_id", type=int)
@click.option("--allow-domain", "domains", multiple=True,
              help="A host the service may fetch this project's scripts and maps from (its "
                   "subdomains too); repeat for several. Replaces the domains and header set before.")
@click.option("--auth-header", help="A header sent with every fetch, as 'Name: value' (stored encrypted).")
@click.option("--off", is_flag=True, help="Stop fetching for this project (its domains and header are kept).")
def fetch(project_id: int, domains: tuple[str, ...], auth_header: str | None, off: bool) -> None:
    """Let the service fetch scripts and maps nobody uploaded (public addresses only).
    The same setting as the API's .../error_tracking/fetch_settings/."""
    from ..errors import InvalidInput, Missing
    from ..resolve.fetch_settings import FetchSettings
    from ..signing import load_signing_key

    if off == bool(domains):
        raise click.UsageError("pass --allow-domain (one or more) or --off")
    header = None
    if auth_header is not None:
        name, sep, value = auth_header.partition(":")
        if not sep:
            raise click.BadParameter("must be 'Name: value'", param_hint="--auth-header")
        header = (name, value)
    settings = Settings.from_env()
    secret = load_signing_key(settings)

    async def work(db):
        fetch_settings = FetchSettings(db, secret)
        if off:
            return await fetch_settings.change(project_id, enabled=False)
        return await fetch_settings.change(project_id, enabled=True, allowed_domains=domains, auth_header=header)

    try:
        view = asyncio.run(run_existing(settings.database_url, work, secret))
    except Missing:
        raise click.ClickException(f"no project {project_id}") from None
    except InvalidInput as exc:
        raise click.BadParameter(exc.detail, param_hint="--auth-header" if exc.attr.startswith("auth") else
                                 "--allow-domain") from None
    click.echo(f"project {project_id}: fetching off" if off
               else f"project {project_id}: fetching from {', '.join(view.allowed_domains)}")
