"""`symbols integrations create --project N --kind K --display-name D --config JSON
--secret JSON | list --project N`: a project's accounts on GitHub, GitLab, Linear or Jira.
Credentials (``--secret``, or ``--secret -`` to read them from stdin) are stored
encrypted with the service's secret key and never printed."""

from __future__ import annotations

import asyncio
import sys

import click
import orjson

from ..config import Settings
from ..db.migrate import run_existing
from ..errors import DomainError
from ..errortracking.integrations import SecretBox, create_integration, integrations_page
from ..errortracking.providers import PROVIDERS
from ..signing import load_signing_key


def _json(value: str, hint: str):
    try:
        return orjson.loads(sys.stdin.read() if value == "-" else value)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=hint) from None


@click.group()
def integrations() -> None:
    """Manage the issue trackers issues can be linked to (external references)."""


@integrations.command("create")
@click.option("--project", "project_id", type=int, required=True)
@click.option("--kind", type=click.Choice(sorted(PROVIDERS)), required=True)
@click.option("--display-name", required=True)
@click.option("--config", "config", default="{}", help="JSON: org / hostname, project_id, project_path / "
              "url_key / site_url, and the API base (api_url) if not the provider's public one.")
@click.option("--secret", "secret", required=True, help='JSON credentials, e.g. {"token": "..."}; - reads stdin.')
def create_command(project_id: int, kind: str, display_name: str, config: str, secret: str) -> None:
    """Create an integration and print its id (the integration_id of external references)."""
    settings = Settings.from_env()
    box = SecretBox(load_signing_key(settings))
    parsed, secrets = _json(config, "--config"), _json(secret, "--secret")

    async def work(db):
        return await create_integration(db, box, project_id, kind, display_name, parsed, secrets)

    try:
        made = asyncio.run(run_existing(settings.database_url, work))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"created integration {made.id} ({made.kind}: {made.display_name})")


@integrations.command("list")
@click.option("--project", "project_id", type=int, required=True)
def list_command(project_id: int) -> None:
    """List a project's integrations: id, kind, display name, config (never credentials)."""

    async def work(db):
        return (await integrations_page(db, project_id, limit=None))[0]

    for item in asyncio.run(run_existing(Settings.from_env().database_url, work)):
        click.echo(f"{item.id}\t{item.kind}\t{item.display_name}\t{orjson.dumps(item.config).decode()}")
