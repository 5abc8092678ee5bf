"""`symbols serve`: migrate, bootstrap an empty database, and serve the HTTP API."""

from __future__ import annotations

import asyncio
import logging
import signal

import click
from aiohttp import web

from ..api import CONTEXT
from ..api.guard import GuardedRunner, limit_accept_errors
from ..app import create_app, settle_garbage_collector
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

    asyncio.run(_serve(app, settings))


async def _serve(app: web.Application, settings: Settings) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, with read timeouts and a connection cap."""
    loop = asyncio.get_running_loop()
    limit_accept_errors(loop)
    runner = GuardedRunner(app, read_timeout=settings.read_timeout_seconds,
                           max_connections=settings.max_connections, access_log=None)
    await runner.setup()
    settle_garbage_collector()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info("listening on http://%s:%s", settings.host, settings.port)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
