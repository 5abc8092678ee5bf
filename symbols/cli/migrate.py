"""`symbols migrate`: bring the database schema to the newest revision."""

from __future__ import annotations

import asyncio

import click

from ..config import Settings
from ..db.migrate import run_migrated
from ..signing import load_signing_key


@click.command()
def migrate() -> None:
    """Apply database migrations (SYMBOLS_DATABASE_URL)."""
    settings = Settings.from_env()

    async def done(db) -> None:
        return None

    asyncio.run(run_migrated(settings.database_url, done, load_signing_key(settings)))
    click.echo("database schema is up to date")
