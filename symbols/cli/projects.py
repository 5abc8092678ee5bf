"""`symbols projects create NAME | list | fetch PROJECT_ID`."""

from __future__ import annotations

import asyncio

import click

from ..config import Settings
from ..db.access import create_project, list_projects, project_exists
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
                   "subdomains too); repeat for several.")
@click.option("--auth-header", help="A header sent with every fetch, as 'Name: value'.")
@click.option("--off", is_flag=True, help="Stop fetching for this project.")
def fetch(project_id: int, domains: tuple[str, ...], auth_header: str | None, off: bool) -> None:
    """Let the service fetch scripts and maps nobody uploaded (public addresses only)."""
    from ..db.fetch_settings import FetchSetting, set_fetch_setting

    if off == bool(domains):
        raise click.UsageError("pass --allow-domain (one or more) or --off")
    header = None
    if auth_header is not None:
        name, sep, value = auth_header.partition(":")
        if not sep or not name.strip() or any(c in auth_header for c in "\r\n"):
            raise click.BadParameter("must be 'Name: value'", param_hint="--auth-header")
        header = (name.strip(), value.strip())
    for domain in domains:
        if not domain.isascii() or any(c in domain for c in "/:@ ?#*"):
            raise click.BadParameter(f"{domain!r} is not a host name", param_hint="--allow-domain")
    setting = None if off else FetchSetting(tuple(d.lower().strip(".") for d in domains), header)

    async def work(db):
        async with db.begin() as conn:
            if not await project_exists(conn, project_id):
                return False
            await set_fetch_setting(conn, project_id, setting)
            return True

    if not asyncio.run(run_existing(Settings.from_env().database_url, work)):
        raise click.ClickException(f"no project {project_id}")
    click.echo(f"project {project_id}: fetching off" if off
               else f"project {project_id}: fetching from {', '.join(setting.allowed_domains)}")
