"""`symbols projects create NAME | list`."""

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
