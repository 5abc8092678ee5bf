"""`symbols keys create --project N --scopes ... | list | revoke ID`."""

from __future__ import annotations

import asyncio

import click

from ..config import Settings
from ..db.access import KNOWN_SCOPES, UnknownProject, create_api_key, list_api_keys, revoke_api_key
from ..db.migrate import run_existing


def _run(work):
    return asyncio.run(run_existing(Settings.from_env().database_url, work))


@click.group()
def keys() -> None:
    """Manage personal API keys."""


@keys.command("create")
@click.option("--project", "project_ids", type=int, multiple=True, required=True, help="Project id (repeatable).")
@click.option(
    "--scopes",
    default=",".join(KNOWN_SCOPES),
    show_default=True,
    help="Comma-separated scopes.",
)
@click.option("--label", default="cli", show_default=True, help="A name to recognise the key by.")
def create(project_ids: tuple[int, ...], scopes: str, label: str) -> None:
    """Create a key bound to projects; its secret is printed once (only a hash is stored)."""
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    unknown = sorted(set(scope_list) - set(KNOWN_SCOPES))
    if unknown or not scope_list:
        raise click.BadParameter(f"choose from {', '.join(KNOWN_SCOPES)}", param_hint="--scopes")

    async def work(db):
        async with db.begin() as conn:
            return await create_api_key(conn, label=label, scopes=scope_list, project_ids=list(project_ids))

    try:
        key, secret = _run(work)
    except UnknownProject as exc:
        raise click.BadParameter(f"no project {exc.args[0]}", param_hint="--project") from None
    click.echo(f"created key {key.id} for project(s) {', '.join(map(str, sorted(project_ids)))}", err=True)
    click.echo(secret)


@keys.command("list")
def list_() -> None:
    """List keys: id, label, scopes, projects, last used, state (never the secret)."""

    async def work(db):
        async with db.connect() as conn:
            return await list_api_keys(conn)

    for key in _run(work):
        last_used = key.last_used_at.isoformat() if key.last_used_at else "never"
        state = "revoked" if key.revoked_at else "active"
        projects = ",".join(map(str, sorted(key.project_ids)))
        click.echo(f"{key.id}\t{key.label}\t{','.join(sorted(key.scopes))}\t{projects}\t{last_used}\t{state}")


@keys.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Revoke a key; requests with it get 401 from then on."""

    async def work(db):
        async with db.begin() as conn:
            return await revoke_api_key(conn, key_id)

    if not _run(work):
        raise click.ClickException(f"no active key {key_id}")
    click.echo(f"revoked key {key_id}")
