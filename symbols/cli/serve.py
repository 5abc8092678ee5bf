"""`symbols serve`: migrate, bootstrap an empty database, and serve the HTTP API."""

from __future__ import annotations

import logging

import click
from aiohttp import web

from ..api import CONTEXT
from ..app import create_app
from ..config import Settings
from ..db.access import KNOWN_SCOPES, bootstrap
from ..logging import configure_logging

log = logging.getLogger("symbols.serve")


async def _bootstrap(app: web.Application) -> None:
    async with app[CONTEXT].db.begin() as conn:
        created = await bootstrap(conn)
    if created is not None:
        project, secret = created
        log.info("created project %s and a personal API key", project.id)
        click.echo(
            f"\nFirst start: created project {project.id} ({project.name!r}) and a personal API key\n"
            f"with scopes {','.join(KNOWN_SCOPES)}. It is shown only once:\n\n"
            f"    {secret}\n\n"
            f"PostHog SDKs capture exceptions with the project's public token (also shown by\n"
            f"`symbols projects list`):\n\n"
            f"    {project.api_token}\n"
        )


@click.command()
@click.option("--host", default=None, help="Bind address (default SYMBOLS_BIND_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default SYMBOLS_PORT or 8000).")
@click.option(
    "--no-pipeline", is_flag=True,
    help="The embedded worker does not consume the capture stream (default SYMBOLS_PIPELINE or on).",
)
def serve(host: str | None, port: int | None, no_pipeline: bool) -> None:
    """Run the HTTP service (applies migrations first)."""
    settings = Settings.from_env()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if no_pipeline:
        overrides["pipeline"] = False
    settings = settings.with_overrides(**overrides)
    configure_logging(settings.log_level)
    app = create_app(settings, embedded_worker=settings.embedded_worker)
    if settings.bootstrap:
        app.on_startup.append(_bootstrap)

    def announce(message: str) -> None:
        log.info("listening on http://%s:%s", settings.host, settings.port)

    web.run_app(app, host=settings.host, port=settings.port, print=announce, access_log=None)
